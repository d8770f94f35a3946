"""What a served app accepts: the largest settings a link, an upload or a form may ask for, and the budget of one run.

The engine itself goes further (engine.model and engine.tasks have their own, larger maxima for library use); these are
the limits for a lecturer's laptop serving a room. The URL table (viz_app/state/fields.py), the upload checks
(engine/io.py, engine/tasks.py) and the run budget (engine/serving/budget.py) all read them from here. The budget can be
set per server with environment variables: RNN_VIZ_MAX_RUN_SECONDS, RNN_VIZ_MAX_RUN_MB.
"""
from __future__ import annotations

import os

MAX_HIDDEN = 128
MAX_LAYERS = 3
MAX_LENGTH = 200  # steps of a generated task
MAX_BATCH = 256
MAX_RHO = 10.0  # spectral radius W_hh may be rescaled to (engine.init allows 100)
MAX_EPOCHS = 5000
MAX_INPUTS = 2000  # input size of an uploaded model or a CSV's features (a text's vocabulary is bounded by its length)
MAX_CSV_COLUMNS = 64
MAX_UPLOAD_PARAMETERS = 2_000_000  # of an uploaded model's recurrent core and readout


def _env(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


# one run: training (estimated before it starts) and its recordings. Sized for a 2-core, 8 GB laptop serving 50.
MAX_RUN_SECONDS = _env("RNN_VIZ_MAX_RUN_SECONDS", 60.0)
MAX_RUN_MB = _env("RNN_VIZ_MAX_RUN_MB", 1500.0)

"""Shared helpers (an independent reference that unrolls torch's own nn.*Cell modules step by step) and the suite's
tiers: plain ``pytest`` runs the quick tier (the engine, pure functions, every view through AppTest); the tests
marked ``slow`` (scenarios, long trainings, fresh processes), ``export`` (Kaleido and Chromium) and ``browser`` (a real
browser against a served app) run with ``--full`` (as .ci/run does), with ``-m``, or when named on the command
line."""
from __future__ import annotations

import os

import pytest
import torch
from torch import nn

# the app's disk cache of lecture runs (viz_app/compute/disk.py) is off in tests, so that every test computes what it #
# checks # (and no test writes into the project); tests of the disk cache point it at a temporary directory
os.environ["RNN_VIZ_CACHE_DIR"] = "off"

from viz_app.views import catalog  # noqa: E402, F401  (the app's views registered: links name them)
from viz_app.compute import worker  # noqa: E402

# torch's thread count of the app's workers (one by default): runs trained here give the bits the app shows (a
# reduction over two threads differs in its last bits, and a lesson can hold on one count and not the other)
torch.set_num_threads(worker.THREADS)

CELL_MODULES = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}
CASES = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]


def torch_cells(net) -> list[nn.Module]:
    """One torch nn.*Cell per layer carrying the net's weights (names differ only by the _l{k} suffix)."""
    rec = net.recurrent
    out = []
    for k in range(rec.num_layers):
        kw = {"nonlinearity": net.nonlinearity} if net.cell == "rnn" else {}
        in_size = rec.input_size if k == 0 else rec.hidden_size
        cell = CELL_MODULES[net.cell](in_size, rec.hidden_size, **kw).to(rec.weight_hh_l0.dtype)
        cell.load_state_dict({n: getattr(rec, f"{n}_l{k}").detach().clone()
                              for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
        out.append(cell)
    return out


def unrolled(net, x, keep_grad=True):
    """Hand-unrolled forward with nn.*Cell; returns (outputs [T,B,O], hs[l][t], cs[l][t] or None)."""
    cells = torch_cells(net)
    steps = x.shape[0]
    hs, cs, layer_in = [], [], [x[t] for t in range(steps)]
    for cell in cells:
        state, h_list, c_list = None, [], []
        for t in range(steps):
            state = cell(layer_in[t], state)
            h = state[0] if isinstance(state, tuple) else state
            if keep_grad:
                h.retain_grad()
                if isinstance(state, tuple):
                    state[1].retain_grad()
            h_list.append(h)
            c_list.append(state[1] if isinstance(state, tuple) else None)
        hs.append(h_list)
        cs.append(c_list)
        layer_in = h_list
    out = net.readout(torch.stack(hs[-1]))
    return out, hs, cs, cells


def exploding_net():
    """A ReLU RNN with W_hh = 1e4 I and positive inputs: h_t grows like 1e4^t and overflows float32 in ~10 steps."""
    import engine
    net = engine.RecurrentNet("rnn", 1, 4, 1, nonlinearity="relu")
    with torch.no_grad():
        net.recurrent.weight_hh_l0.copy_(torch.eye(4) * 1e4)
        net.recurrent.weight_ih_l0.fill_(1.0)
        net.recurrent.bias_ih_l0.fill_(1.0)
    return net


TIERS = {"slow": "long trainings, every scenario, fresh processes",
         "export": "static export through Kaleido and Chromium",
         "browser": "a real browser (Chromium, Playwright) against a served app"}


def pytest_xdist_auto_num_workers(config):
    """``-n auto`` (pyproject.toml): one test process per core this process may use, at most 4 (each browser test
    process runs its own server, workers and Chromium)."""
    return max(1, min(4, len(os.sched_getaffinity(0))))


def pytest_addoption(parser):
    parser.addoption("--full", action="store_true", help="every tier: the quick one and " + ", ".join(TIERS))


def pytest_configure(config):
    for name, what in TIERS.items():
        config.addinivalue_line("markers", f"{name}: {what} (runs with --full)")


def _quick(config) -> bool:
    return not (config.getoption("--full") or config.getoption("-m")
                or config.args_source != pytest.Config.ArgsSource.TESTPATHS)


def pytest_terminal_summary(terminalreporter, config):
    """Said at the end: the test processes do not report what they deselected, so the counts cannot say it."""
    if _quick(config):
        terminalreporter.write_line(f"the quick tier: the tiers {', '.join(TIERS)} were left out (--full runs them)")


def pytest_collection_modifyitems(config, items):
    """The quick tier unless --full, -m or paths named on the command line choose otherwise."""
    if not _quick(config):
        return
    later = [item for item in items if any(item.get_closest_marker(name) for name in TIERS)]
    if later:
        config.hook.pytest_deselected(items=later)
        out = {id(item) for item in later}
        items[:] = [item for item in items if id(item) not in out]


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(1234)

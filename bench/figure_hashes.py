"""The sha256 of every figure's JSON: every view of the default link and of every scenario (Korean and English), as
the slide exporter draws them, and the first figure of every entry of a lecture deck. Run it before and after a
change that should not change what is drawn, and compare the two files:

    .venv/bin/python bench/figure_hashes.py > before.json   # ... change ...
    .venv/bin/python bench/figure_hashes.py > after.json && diff before.json after.json && echo same
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from viz_app.export.figures import all_figures  # noqa: E402
from viz_app.lecture import codec, links  # noqa: E402
from viz_app.state import fields as S  # noqa: E402
from viz_app.state import scenarios  # noqa: E402

DECK = [("eigen", "view=eigen&rho=0.6&init=orthogonal"), ("bptt", "scenario=vanishing&view=bptt&step=3"),
        ("lstm", "cell=lstm&task=copy&view=states"), ("compare", "scenario=gru_vs_lstm&view=compare")]


def digest(fig) -> str:
    return hashlib.sha256(fig.to_json().encode()).hexdigest()


def main() -> None:
    out = {}
    for name in ("", *scenarios.names()):
        for lang in ("ko", "en"):
            state = S.baseline(name).with_(lang=lang)
            for view, fig_name, fig in all_figures(state):
                out[f"{name or 'default'}/{lang}/{view}/{fig_name}"] = digest(fig)
            print(f"{name or 'default'} {lang}: {len(out)} figures", file=sys.stderr)
    for title, link in DECK:
        state, _ = links.state_of(codec.Entry(title, link))
        view, fig_name, fig = all_figures(state, (state.view,))[0]
        out[f"deck/{title}/{view}/{fig_name}"] = digest(fig)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()

"""Export benchmark: median time per figure for a deck of 10 figures, with the persistent Kaleido session against a
cold export per figure (a new browser each time, as a plain `fig.write_image` does). Both run here, one after the
other, on the same 10 slides. Goal: persistent >= 4x faster.

The cold path is kaleido.calc_fig_sync without a running server and with MathJax off (plotly's write_image would
also try to fetch MathJax from a CDN, which offline can hang instead of failing).

Run: .venv/bin/python bench/bench_export.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import kaleido  # noqa: E402

from viz_app.export import figures as export_figures, render as export  # noqa: E402
from viz_app.state.fields import from_params  # noqa: E402
from viz_app.web.theme import slide  # noqa: E402


def main():
    state, _ = from_params({"epochs": "100"})
    figs = [slide(f) for _, _, f in export_figures.all_figures(state)][:10]
    opts = {"format": "png", "width": 1600, "height": 900, "scale": 2}
    cold = []
    for fig in figs:
        start = time.perf_counter()
        kaleido.calc_fig_sync(fig, opts=opts, kopts={"mathjax": False})
        cold.append(time.perf_counter() - start)
    start = time.perf_counter()
    export.to_bytes(figs[0], "png")  # the one browser start the session pays
    first = time.perf_counter() - start
    warm = []
    for fig in figs:
        start = time.perf_counter()
        export.to_bytes(fig, "png", scale=2)
        warm.append(time.perf_counter() - start)
    c, w = statistics.median(cold), statistics.median(warm)
    print("[export] 10 slides, PNG 3200 x 1800")
    print(f"  cold (new browser per figure): median {c:6.2f} s per figure")
    print(f"  persistent Kaleido session   : median {w:6.2f} s per figure (first start {first:.2f} s)")
    print(f"  speed-up {c / w:.1f}x   (goal >= 4x)")


if __name__ == "__main__":
    main()

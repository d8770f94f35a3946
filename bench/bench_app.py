"""App benchmarks, server-side through AppTest (the same script runs a browser session would trigger).

1. A view-only change (the step slider, the unit, the log/linear switch, the rho slider on the eigenvalue page) on
   the default model: p50 / p95 of the rerun time. Goal: p50 < 150 ms.
2. Training the default lecture model from scratch (what the first visitor waits for). Goal: < 3 s.

Run: .venv/bin/python bench/bench_app.py [--repeats N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from engine import experiment  # noqa: E402


def timed_run(widget_change) -> float:
    start = time.perf_counter()
    widget_change.run()
    return time.perf_counter() - start


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=30)
    n = ap.parse_args().repeats
    experiment.run(experiment.RunConfig(epochs=2))  # import-time costs (optimizer, dynamo) out of the way
    start = time.perf_counter()
    experiment.run(experiment.RunConfig())
    print(f"[train] default lecture model (tanh RNN H=35, char-LM, 300 Adam updates): "
          f"{time.perf_counter() - start:.2f} s   (goal < 3 s)")

    at = AppTest.from_file(str(ROOT / "viz_app" / "main.py"), default_timeout=300).run()
    cases = {}
    at.segmented_control(key="w_view").set_value("bptt").run()
    def rested(step):  # what the browser's step control reports once the step rests (the user does not wait)
        at.session_state["w_step"] = {"index": step}
        return at
    cases["step reaches the server (BPTT view)"] = [timed_run(rested(i % 40 + 1)) for i in range(n)]
    cases["log/linear (BPTT view)"] = [timed_run(at.radio(key="w_scale").set_value(("linear", "log")[i % 2]))
                                       for i in range(n)]
    at.segmented_control(key="w_view").set_value("states").run()
    cases["unit (states view)"] = [timed_run(at.number_input(key="w_unit").set_value(i % 30)) for i in range(n)]
    at.segmented_control(key="w_view").set_value("eigen").run()
    def rho_rested(i):  # what the browser's rho control reports once it rests (the charts moved already)
        at.session_state["w_rho"] = {"index": i}
        return at
    cases["rho reaches the server (eigen view)"] = [timed_run(rho_rested(5 + i % 40)) for i in range(n)]
    print(f"[view-only reruns] default model, {n} each, server-side (AppTest)")
    for name, times in cases.items():
        ms = [1e3 * x for x in times]
        print(f"  {name:38s} p50 {statistics.median(ms):6.1f} ms   p95 {pct(ms, 0.95):6.1f} ms   (goal p50 < 150)")


if __name__ == "__main__":
    main()

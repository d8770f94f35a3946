"""Memory per training update for the heaviest setting the URL validators allow, side by side in one run.

Each case trains in a fresh subprocess and prints its resident set size (RSS) after every update:
  - cyclic collector off (gc.disable(): as on a busy server, where it may not run for a long time),
  - cyclic collector on (Python's default).
Flat after the first few updates means every update's activations are freed when it ends. Before the reference
cycle in engine/bptt.py was removed, the first case grew by about 390 MiB per update (LSTM H=128 x 3 layers, copy
T=200, batch 64) and reached 5.2 GB in 12 updates.

Run: .venv/bin/python bench/bench_memory.py [--updates N] [--batch B]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import gc, json, sys, time
sys.path.insert(0, {root!r})
from engine import experiment
from engine.training import TrainConfig, train
cfg = experiment.RunConfig(cell="lstm", hidden_size={hidden}, num_layers={layers}, task="copy", length={length},
                           batch={batch}, epochs={updates})
data = experiment.task_batch(cfg, 0)
net = experiment.build_model(cfg, data)
if {gc_off}:
    gc.disable()
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
rows, start = [], time.perf_counter()
train(net, lambda e: experiment.task_batch(cfg, e), TrainConfig(epochs={updates}),
      progress=lambda u, t, l: rows.append(round(rss())))
peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({{"rss": rows, "peak": round(peak), "seconds": round(time.perf_counter() - start, 1)}}))
"""


def run(gc_off: bool, a) -> dict:
    code = CHILD.format(root=str(ROOT), hidden=a.hidden, layers=a.layers, length=a.length, batch=a.batch,
                        updates=a.updates, gc_off=gc_off)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--updates", type=int, default=200)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--length", type=int, default=200)
    a = ap.parse_args()
    print(f"LSTM H={a.hidden} x {a.layers} layers, copy T={a.length}, batch {a.batch}, {a.updates} updates")
    print(f"{'collector':10s} {'RSS@1':>7s} {'RSS@5':>7s} {'RSS@last':>9s} {'max-RSS@5':>10s} {'peak':>7s} {'s':>6s}")
    for gc_off in (True, False):
        r = run(gc_off, a)
        rss = r["rss"]
        after5 = rss[4:] or rss
        print(f"{'off' if gc_off else 'on':10s} {rss[0]:7d} {rss[min(4, len(rss) - 1)]:7d} {rss[-1]:9d} "
              f"{max(after5) - after5[0]:10d} {r['peak']:7d} {r['seconds']:6.1f}   (MiB)")


if __name__ == "__main__":
    main()

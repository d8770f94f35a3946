"""A served class under hostile and heavy links (not part of CI), side by side in one run on one server:

1. idle: N default sessions one after another (the default run cached): time to the first figure;
2. the same N default sessions while 3 sessions open the hostile-links issue's heavy link (refused by the budget)
   and 3 open the heaviest settings the budget still allows (they train for real, in worker processes);
3. a burst: 20 sessions at once, each with its own H=128 model (the memory issue's burst): time to the first figure;
4. throughout 2 and 3: /_stcore/health answer times; the peak memory of the server's process tree (PSS: the
   server, the fork server and the workers).

Prints p50 / p95 of phases 1 and 2, their ratio (goal of the hostile-links issue: <= 1.5x), health p95 / max per
phase (goal of the memory issue: p95 < 1 s) and the peak memory against the budget.

Run: .venv/bin/python bench/bench_hostile.py [--sessions 20]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load_test import MemoryWatch, pct, start_server, ws_session  # noqa: E402

from engine.serving import limits  # noqa: E402

HEAVY = "lang=en&cell=lstm&hidden_size=128&num_layers=3&task=copy&length=200&batch=256&epochs=5000&seed=7"
ALLOWED = "lang=en&cell=lstm&hidden_size=128&num_layers=3&task=copy&length=48&batch=256&epochs=22&seed={seed}"
BURST = "lang=en&hidden_size=128&seed={seed}"


class HealthWatch(threading.Thread):
    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port, self.times, self.stop = port, [], False

    def run(self):
        while not self.stop:
            start = time.perf_counter()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=30).read()
            except OSError:
                pass
            self.times.append(time.perf_counter() - start)
            time.sleep(0.5)


async def defaults(port: int, n: int, spread: float = 0.0) -> list[float]:
    """n default sessions one after another, ``spread`` seconds apart (so they meet the heavy runs' whole span)."""
    out = []
    for _ in range(n):
        first, err = await ws_session(port, "lang=en")
        if err is None and first is not None:
            out.append(first)
        await asyncio.sleep(spread)
    return out


async def main_async(a):
    server, port = start_server("--server.fileWatcherType", "none")
    watch = MemoryWatch(server.pid)
    try:
        watch.start()
        await ws_session(port, "lang=en")  # the default run trains once
        idle = await defaults(port, a.sessions)
        health = HealthWatch(port)
        health.start()
        start = time.time()
        heavy = [ws_session(port, HEAVY) for _ in range(3)]
        allowed = [ws_session(port, ALLOWED.format(seed=100 + i)) for i in range(3)]
        loaded, *others = await asyncio.gather(defaults(port, a.sessions, spread=a.spread), *heavy, *allowed)
        loaded_done = time.time() - start
        health.stop = True
        loaded_health = health.times
        health = HealthWatch(port)
        health.start()
        start = time.time()
        burst = await asyncio.gather(*(ws_session(port, BURST.format(seed=500 + i)) for i in range(a.burst)))
        burst_done = time.time() - start
        health.stop = True
        print(f"budget per run: {limits.MAX_RUN_SECONDS:.0f} s, {limits.MAX_RUN_MB:.0f} MB; "
              f"{a.sessions} default sessions per phase")
        print(f"idle:   time to first figure p50 {statistics.median(idle):.2f} s  p95 {pct(idle, 0.95):.2f} s")
        print(f"loaded: time to first figure p50 {statistics.median(loaded):.2f} s  p95 {pct(loaded, 0.95):.2f} s"
              f"   ratio p50 {statistics.median(loaded) / statistics.median(idle):.2f}x"
              f"  p95 {pct(loaded, 0.95) / pct(idle, 0.95):.2f}x")
        print(f"heavy links (refused): {[round(f or 0, 1) for f, _ in others[:3]]} s to the first figure, "
              f"errors {[e for _, e in others[:3]]}")
        print(f"allowed heavy sessions: {[round(f or 0, 1) for f, _ in others[3:]]} s, all done after "
              f"{loaded_done:.0f} s")
        print(f"/_stcore/health while loaded: p95 {pct(loaded_health, 0.95):.2f} s  max {max(loaded_health):.2f} s "
              f"({len(loaded_health)} polls)")
        firsts = [f for f, e in burst if f is not None]
        print(f"burst of {a.burst} distinct H=128 sessions: first figure p50 {statistics.median(firsts):.1f} s "
              f"p95 {pct(firsts, 0.95):.1f} s, all done after {burst_done:.0f} s, "
              f"errors {[e for _, e in burst if e]}")
        print(f"/_stcore/health during the burst: p95 {pct(health.times, 0.95):.2f} s  max {max(health.times):.2f} s "
              f"({len(health.times)} polls)")
        print(f"peak memory of the server's process tree (PSS) {watch.peak:.0f} MiB")
    finally:
        watch.stop = True
        server.terminate()
        server.wait(10)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--burst", type=int, default=20)
    ap.add_argument("--spread", type=float, default=8.0, help="seconds between default sessions while loaded")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()

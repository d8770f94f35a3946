"""The fair queue (not part of CI): the lecturer's new pages while one student opens many new links at once, on this
tree's server and on a baseline tree's (the queue in arrival order), side by side in one run.

The lecturer connects from the server's own machine (127.0.0.1), the student from another address (127.0.0.2: another
client to the server). Per tree:

1. idle: the lecturer opens L new links (runs nobody has trained) one after another: time to the first figure;
2. a storm: the student opens S new links at once (S tabs), and half a second later the lecturer opens L new links
   one after another; the lecturer's time to the first figure, and when the student's last page finished.

Prints p50 / max of the lecturer's times per phase and tree, and the storm's ratio to idle.

Run: .venv/bin/python bench/bench_fair.py [--baseline REF] [--student-links 20] [--lecturer-links 4]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load_test import open_link, start_server  # noqa: E402

LINK = "lang=en&view=states&hidden_size={h}&seed={seed}&epochs=150"  # a light run: trained in a worker, ~1-2 s


async def lecturer(port: int, seeds: range, h: int) -> list[float]:
    times = []
    for seed in seeds:
        out = await open_link(port, LINK.format(h=h, seed=seed))
        assert out["error"] is None and out["first"] is not None, out
        times.append(out["first"])
    return times


async def storm(port: int, a, h: int, base: int) -> tuple[list[float], float]:
    start = time.perf_counter()
    student = [asyncio.create_task(open_link(port, LINK.format(h=h + 1, seed=base + i), source="127.0.0.2"))
               for i in range(a.student_links)]
    await asyncio.sleep(0.5)
    times = await lecturer(port, range(base + 1000, base + 1000 + a.lecturer_links), h)
    outs = await asyncio.gather(*student)
    assert all(o["error"] is None for o in outs), [o["error"] for o in outs if o["error"]]
    return times, time.perf_counter() - start


def run_tree(root: Path, a, h: int) -> dict:
    cache = tempfile.mkdtemp(prefix="bench-fair-cache-")
    server, port = start_server(root=root, env={**os.environ, "RNN_VIZ_CACHE_DIR": cache, "PYTHONPATH": ""})
    try:
        asyncio.run(open_link(port, "lang=en"))  # the server's first page (imports, fork server)
        idle = asyncio.run(lecturer(port, range(100, 100 + a.lecturer_links), h))
        busy, student_done = asyncio.run(storm(port, a, h, 5000))
        return {"idle": idle, "storm": busy, "student_done": student_done}
    finally:
        server.terminate()
        server.wait(30)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", default="HEAD~1", help="the tree to compare with (a git ref)")
    ap.add_argument("--student-links", type=int, default=20)
    ap.add_argument("--lecturer-links", type=int, default=4)
    a = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-fair-base-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(base), a.baseline], cwd=ROOT, check=True,
                   capture_output=True)
    try:
        results = {}
        for name, root, h in (("this tree", ROOT, 21), (f"baseline {a.baseline}", base, 23)):
            results[name] = run_tree(root, a, h)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False)
    print(f"lecturer's new pages, seconds to the first figure ({a.lecturer_links} links; storm: one student opens "
          f"{a.student_links} new links at once from another address)")
    for name, r in results.items():
        med_idle, med_storm = statistics.median(r["idle"]), statistics.median(r["storm"])
        print(f"  {name:>18}: idle p50 {med_idle:5.2f} max {max(r['idle']):5.2f} | storm p50 {med_storm:5.2f} "
              f"max {max(r['storm']):5.2f} ({med_storm / med_idle:4.1f}x idle) | student's last page "
              f"{r['student_done']:5.1f} s")
        print(f"  {'':>18}  storm, page by page: " + ", ".join(f"{x:.2f}" for x in r["storm"]))


if __name__ == "__main__":
    main()

"""A class opening links at once (not part of CI): `streamlit run` with the project's config, websocket clients
speaking Streamlit's protocol (the browser's part without the browser, so no browsers compete for the 2 cores).

Phases, side by side in one run on one server:

1. cold: the first session after a server starts (the default link), seconds until its figures have arrived: once with
   an empty disk cache, once after `python -m viz_app.compute.warmup` filled one (each in its own temporary directory);
2. per view, warm: ``--repeats`` sessions one after another on each view of the default link: wall time and the
   server process's CPU seconds per session (what one student costs the laptop);
3. 50 sessions opening the same warm link at once: seconds until each has all its figures (goal p95 < 5 s);
4. 20 sessions at once with 20 different default-sized settings (seeds): the same (goal p95 < 15 s).

Every session checks it got as many charts as a lone session on the same link and no exception; the server's peak
memory (PSS of its process tree) is printed.

Run: .venv/bin/python bench/bench_class.py [--class-size 50] [--distinct 20] [--repeats 5]
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

from load_test import MemoryWatch, open_link, pct, start_server  # noqa: E402

from viz_app import views  # noqa: E402
from viz_app.views import catalog  # noqa: E402, F401  (registers the views)
from viz_app.state import fields as S  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (the server: every session's script runs in it)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def summary(name: str, results: list[dict], expected: int | None, wall: float) -> None:
    ok = [r for r in results if r["error"] is None and r["all"] is not None
          and (expected is None or r["charts"] == expected)]
    times = [r["all"] for r in ok]
    errors = [r["error"] or f"{r['charts']} charts" for r in results if r not in ok]
    line = f"{name:<34} {len(ok):3d}/{len(results):<3d} complete in {wall:5.1f} s"
    if times:
        line += f"   all figures p50 {statistics.median(times):5.2f} s  p95 {pct(times, 0.95):5.2f} s  " \
                f"max {max(times):5.2f} s"
    print(line)
    for e in errors[:3]:
        print("    error:", e)


SLOWEST = "lstm_copy"  # the scenario whose run trains longest (about 7 s)


async def first_open(cache_dir: str, warm: bool) -> tuple[dict, dict]:
    """The first session of a fresh server whose disk cache is ``cache_dir`` (filled by the warm-up if ``warm``),
    then the first session on the slowest scenario's link."""
    os.environ["RNN_VIZ_CACHE_DIR"] = cache_dir
    if warm:
        subprocess.run([sys.executable, "-m", "viz_app.compute.warmup"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server, port = start_server()
    try:
        first = await open_link(port, "lang=en")
        return first, await open_link(port, f"lang=en&scenario={SLOWEST}")
    finally:
        server.terminate()
        server.wait(10)


async def main_async(a):
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as warmed:
        for label, folder, warm in (("no warm-up", empty, False), ("after the warm-up", warmed, True)):
            for link, r in zip(("default link", f"then {SLOWEST}"), await first_open(folder, warm)):
                print(f"cold server, {label:18s} {link:16s} first figure {r['first'] or float('nan'):5.2f} s, "
                      f"all figures {r['all'] or float('nan'):5.2f} s, error {r['error']}")
        os.environ["RNN_VIZ_CACHE_DIR"] = "off"  # the rest measures the server's own caches
        await serve(a)


async def serve(a):
    server, port = start_server()
    watch = MemoryWatch(server.pid)
    watch.start()
    try:
        await open_link(port, "lang=en")
        expected = {}
        print(f"\nper view, warm default link, {a.repeats} sessions one after another:")
        print(f"  {'view':<10} {'charts':>6} {'wall p50':>9} {'CPU s/session':>14}")
        for view in views.names():
            first = await open_link(port, f"lang=en&view={view}")  # a view's own recordings computed once
            expected[view] = first["charts"]
            cpu0, walls = cpu_seconds(server.pid), []
            for _ in range(a.repeats):
                r = await open_link(port, f"lang=en&view={view}")
                walls.append(r["all"] or float("nan"))
            cpu = (cpu_seconds(server.pid) - cpu0) / a.repeats
            print(f"  {view:<10} {expected[view]:6d} {statistics.median(walls):8.2f}s {cpu:13.2f}s")
        print()
        start = time.perf_counter()
        results = await asyncio.gather(*(open_link(port, "lang=en") for _ in range(a.class_size)))
        summary(f"{a.class_size} sessions, same warm link", results, expected[S.BY_NAME['view'].default],
                time.perf_counter() - start)
        start = time.perf_counter()
        results = await asyncio.gather(*(open_link(port, f"lang=en&seed={1000 + i}") for i in range(a.distinct)))
        summary(f"{a.distinct} sessions, {a.distinct} settings", results, None, time.perf_counter() - start)
    finally:
        watch.stop = True
        server.terminate()
        server.wait(10)
    print(f"server peak memory (PSS, process tree): {watch.peak:.0f} MiB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--class-size", type=int, default=50)
    ap.add_argument("--distinct", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()

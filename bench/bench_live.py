"""Watching a model learn (viz_app/teach/watch.py), measured in a real browser, side by side on one server (not part of
CI):

1. per view: ▷ Watch it learn on the default model (its own seed, nothing cached), the time from one step's address
   (paused_at=e) to the next's in the browser (p50 / p95: what the room sees as the frame rate), the steps seen and
   the time to the end, beside the time the same training takes in one go;
2. the class beside it: N default sessions (websocket clients, the default run cached) one after another, time to all
   their figures, idle and then while 3 browsers watch trainings of their own (ratio p50 / p95).

Run: .venv/bin/python bench/bench_live.py [--sessions 20]
"""
from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load_test import open_link, pct, start_server  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWS = ("unroll", "states", "bptt", "eigen", "timeline")
CLICK = """(label) => { const b = [...document.querySelectorAll('[data-testid=stMain] button')]
    .find(b => b.innerText.trim() === label); if (b) b.click(); return !!b; }"""
TRAINED = re.compile(r"Trained: \d+ updates in ([\d.]+) s")


async def settle(pg, timeout: float = 300) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if await pg.get_attribute("[data-testid=stApp]", "data-test-script-state") == "notRunning" \
                and await pg.locator(".js-plotly-plot").count():
            return
        await asyncio.sleep(0.1)


async def watch(browser, base: str, view: str, seed: int) -> dict:
    """Open the view, note the training's own time, press Watch and follow paused_at until the trained page."""
    pg = await browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        await pg.goto(f"{base}/?lang=en&view={view}&seed={seed}")
        await settle(pg)
        found = TRAINED.search(await pg.inner_text("body"))
        one_go = float(found[1]) if found else float("nan")
        start, steps, last = time.perf_counter(), [], None
        await pg.evaluate(CLICK, "▷ Watch it learn")
        while time.perf_counter() - start < 300:
            m = re.search(r"paused_at=(\d+)", pg.url)
            if m and m[1] != last:
                steps.append(time.perf_counter())
                last = m[1]
            if last is not None and not m:  # the address without paused_at: the last step, the trained run
                steps.append(time.perf_counter())
                break
            await asyncio.sleep(0.01)
        gaps = [b - a for a, b in zip(steps, steps[1:])]
        return {"view": view, "steps": len(steps), "gaps": gaps, "total": time.perf_counter() - start,
                "one_go": one_go}
    finally:
        await pg.close()


async def defaults(port: int, n: int) -> list[float]:
    out = []
    for _ in range(n):
        r = await open_link(port, "lang=en")
        if r["error"] is None and r["all"] is not None:
            out.append(r["all"])
    return out


async def main_async(a):
    server, port = start_server("--server.fileWatcherType", "none")
    base = f"http://127.0.0.1:{port}"
    try:
        await open_link(port, "lang=en")  # the default run, trained once
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            print("view      steps  step p50  step p95  watched to the end  training in one go")
            for i, view in enumerate(a.views.split(",")):
                r = await watch(browser, base, view, 300 + i)
                print(f"{view:9s} {r['steps']:5d}  {statistics.median(r['gaps']):6.2f} s  {pct(r['gaps'], 0.95):6.2f} s"
                      f"  {r['total']:14.1f} s  {r['one_go']:12.1f} s")
            idle = await defaults(port, a.sessions)
            watchers = [asyncio.create_task(watch(browser, base, "eigen", 400 + i)) for i in range(3)]
            await asyncio.sleep(2.0)
            loaded = await defaults(port, a.sessions)
            done = await asyncio.gather(*watchers)
            await browser.close()
        print(f"{a.sessions} default sessions, time to all figures: idle p50 {statistics.median(idle):.2f} s "
              f"p95 {pct(idle, 0.95):.2f} s; beside 3 watching browsers p50 {statistics.median(loaded):.2f} s "
              f"p95 {pct(loaded, 0.95):.2f} s (ratio {statistics.median(loaded) / statistics.median(idle):.2f}x / "
              f"{pct(loaded, 0.95) / pct(idle, 0.95):.2f}x); the watchers' steps p50 "
              f"{statistics.median([g for r in done for g in r['gaps']]):.2f} s")
    finally:
        server.terminate()
        server.wait(10)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--views", default=",".join(VIEWS), help="comma-separated views to watch")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()

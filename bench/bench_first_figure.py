"""Time to first figure for a fresh session on a warm server, in a real browser (Debian chromium + Playwright,
1280x720): the default link and every scenario's link.

The server is started as the README says (its own caches, the disk cache off so that it measures a server that has
served each link once, not one filled by the warm-up); each link is opened once to warm it; then each link is opened
``repeats`` times, each in a fresh browser context (a new student: no cookies, no cache, a new Streamlit session).
Measured from the navigation's start: the first chart drawn (a Plotly SVG on the page), and the page settled (the
script finished and every chart drawn). Goal (issue 31): first figure p50 < 2 s for every link. Beside it, the floor
measured the same way: Streamlit's own time to a first chart, a one-slider app with one small Plotly chart
(bench/floor_app.py) on its own server (its Plotly bundle, 4.7 MB, is fetched and evaluated before any chart draws).

Not part of CI: `.venv/bin/python bench/bench_first_figure.py [repeats] [--only default lstm_copy ...]`."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]
os.environ["RNN_VIZ_CACHE_DIR"] = "off"

from load_test import ARGS, start_server  # noqa: E402

from viz_app.state import scenarios  # noqa: E402

FIRST = "() => !!document.querySelector('.js-plotly-plot .main-svg')"
SETTLED = """() => { const app = document.querySelector('[data-testid=stApp]');
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning' && plots.length > 0
    && plots.every((p) => p.querySelector('.main-svg')); }"""


def visit(browser, url: str) -> tuple[float, float]:
    """(seconds to the first chart, seconds to settled) for a fresh context."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    try:
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_function(FIRST, timeout=300_000, polling="raf")
        first = time.perf_counter() - start
        page.wait_for_function(SETTLED, timeout=300_000, polling=50)
        return first, time.perf_counter() - start
    finally:
        ctx.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repeats", type=int, nargs="?", default=5)
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args(argv)
    links = {"default": "/?lang=ko"} | {n: f"/?lang=ko&scenario={n}" for n in scenarios.names()}
    if a.only:
        links = {k: v for k, v in links.items() if k in a.only}
    from playwright.sync_api import sync_playwright
    server, port = start_server("--server.headless", "true")
    base = f"http://127.0.0.1:{port}"
    worst = 0.0
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for name, link in links.items():
                cold = visit(browser, base + link)
                firsts, settled = [], []
                for _ in range(a.repeats):
                    f, s = visit(browser, base + link)
                    firsts.append(f)
                    settled.append(s)
                worst = max(worst, statistics.median(firsts))
                print(f"{name:12s} cold {cold[0]:5.1f} s | warm first figure p50 {statistics.median(firsts):4.2f} s "
                      f"max {max(firsts):4.2f} s | settled p50 {statistics.median(settled):4.2f} s", flush=True)
            floor_server, floor_port = start_server("--server.headless", "true", script="bench/floor_app.py")
            try:
                visit(browser, f"http://127.0.0.1:{floor_port}/")
                floor = statistics.median(visit(browser, f"http://127.0.0.1:{floor_port}/")[0]
                                          for _ in range(a.repeats))
            finally:
                floor_server.terminate()
                floor_server.wait(10)
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    print(f"worst p50 first figure: {worst:.2f} s (goal < 2 s); the floor (one small chart): {floor:.2f} s, "
          f"ratio {worst / floor:.2f}")
    return 0 if worst < 2 else 1


if __name__ == "__main__":
    sys.exit(main())

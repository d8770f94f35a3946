"""What the user feels, in a real browser (Debian chromium + Playwright, 1280x720): a key press on a control until a
chart's drawing has changed (its SVG, checked every animation frame), and how many script runs the presses caused.

- the time step (the browser's own control: viz_app/linked.js) on the unrolled, states and BPTT views;
- the eigenvalue view's rho slider (a Streamlit slider: a server round trip), side by side in the same run.

Not part of CI: `.venv/bin/python bench/bench_browser.py [presses]`."""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from load_test import ARGS, pct, start_server  # noqa: E402

from viz_app.i18n import t  # noqa: E402

WATCH = """() => {  // after each key press, every animation frame: has any chart's drawing changed yet?
  window.__lat = []; window.__runs = 0;
  const drawing = () => Array.from(document.querySelectorAll('.js-plotly-plot .main-svg'))
    .map(svg => svg.innerHTML).join('|');
  document.addEventListener('keydown', () => {
    const t0 = performance.now(), before = drawing();
    const poll = () => {
      if (drawing() !== before) window.__lat.push(performance.now() - t0);
      else if (performance.now() - t0 < 5000) requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  }, true);
  const app = document.querySelector('[data-testid=stApp]');
  new MutationObserver(() => { if (app.getAttribute('data-test-script-state') === 'running') window.__runs++; })
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def settle(pg, timeout=240):
    deadline = time.time() + timeout
    pg.wait_for_selector(".js-plotly-plot .main-svg", timeout=timeout * 1000)
    while time.time() < deadline:
        if pg.get_attribute("[data-testid=stApp]", "data-test-script-state") == "notRunning":
            time.sleep(1.5)
            if pg.get_attribute("[data-testid=stApp]", "data-test-script-state") == "notRunning":
                return
        time.sleep(0.2)


def measure(pg, url, slider, presses, gap):
    pg.goto(url)
    settle(pg)
    pg.evaluate(WATCH)
    slider(pg).focus()
    for i in range(presses):
        pg.keyboard.press("ArrowLeft" if i % 10 < 5 else "ArrowRight")
        time.sleep(gap)
    time.sleep(0.2)
    lat, runs = pg.evaluate("window.__lat"), pg.evaluate("window.__runs")
    settle(pg)
    return lat, runs


def main():
    from playwright.sync_api import sync_playwright
    presses = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    server, port = start_server()
    base = f"http://127.0.0.1:{port}/?lang=en"
    step = lambda pg: pg.get_by_role("slider", name=t("ctl.step", "en"))  # noqa: E731
    rho = lambda pg: pg.locator(f'input[type=range][aria-label="{t("ctl.rho_view", "en")}"]').last  # noqa: E731
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            pg = browser.new_page(viewport={"width": 1280, "height": 720})
            for label, view, slider, gap in (("time step, unrolled view", "unroll", step, 0.3),
                                             ("time step, states view", "states", step, 0.3),
                                             ("time step, BPTT view", "bptt", step, 0.3),
                                             ("rho slider, eigen view (server)", "eigen", rho, 1.5)):
                lat, runs = measure(pg, f"{base}&view={view}", slider, presses, gap)
                rows.append((label, lat, runs))
            browser.close()
    finally:
        server.terminate()
    print(f"{presses} key presses each, 1280x720, key press -> a chart's drawing changed")
    print(f"{'control':34s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'n':>4s} {'script runs':>12s}")
    for label, lat, runs in rows:
        if lat:
            print(f"{label:34s} {pct(lat, .5):8.0f} {pct(lat, .95):8.0f} {max(lat):8.0f} {len(lat):4d} {runs:12d}")
        else:
            print(f"{label:34s} {'-':>8s} {'-':>8s} {'-':>8s} {0:4d} {runs:12d}")


if __name__ == "__main__":
    main()

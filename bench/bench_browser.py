"""What the user feels, in a real browser (Debian chromium + Playwright, 1280x720): a key press on a control until a
chart's drawing has changed (its SVG, checked every animation frame), and how many script runs the presses caused.

- the time step (the browser's own control: viz_app/web/controls.js) on the unrolled, states and BPTT views, the
  unrolled view's step-through (forward, then BPTT) and the training snapshot on the timeline view (the same control);
- the eigenvalue view's rho slider (the same control over a precomputed grid), and beside it the floor of any
  server round trip: a one-slider app with one small chart (bench/floor_app.py) on its own server, same config;
- a view switch (a click on the view bar, the run cached) and a view's own server-side control (the BPTT view's
  scale): click until the script has finished and a chart changed;
- a click on a state heatmap cell until the equations below are that cell's, and a click on the prediction's sketch
  pad until the point is drawn (both server round trips).

Goals (speed issue): time step, step-through and snapshot p50 < 50 ms; rho slider p50 <= 1.3x the floor; view
switch p50 < 500 ms.

Not part of CI: `.venv/bin/python bench/bench_browser.py [presses]`."""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from load_test import ARGS, pct, start_server  # noqa: E402

from viz_app.text.i18n import t  # noqa: E402

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


CLICKWATCH = """() => {  // after each click: the script has run and finished, and a chart's drawing has changed
  window.__clat = [];
  const app = document.querySelector('[data-testid=stApp]');
  const drawing = () => Array.from(document.querySelectorAll('.js-plotly-plot .main-svg'))
    .map(svg => svg.innerHTML).join('|');
  document.addEventListener('click', () => {
    const t0 = performance.now(), before = drawing();
    let ran = false;
    const poll = () => {
      const state = app.getAttribute('data-test-script-state');
      ran = ran || state === 'running';
      if (ran && state === 'notRunning' && drawing() !== before) window.__clat.push(performance.now() - t0);
      else if (performance.now() - t0 < 20000) requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  }, true);
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


def measure(pg, url, slider, presses, gap, prepare=None):
    pg.goto(url)
    settle(pg)
    if prepare:
        prepare(pg)
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


def view_switches(pg, url, rounds):
    """Click through the views ``rounds`` times (every run cached after the first round): latencies of the later
    rounds."""
    from viz_app import views
    from viz_app.views import catalog  # noqa: F401  (registers the views)
    pg.goto(url)
    settle(pg)
    order = [*views.names()[1:], views.names()[0]]
    for view in order:  # the first round computes each view's recordings once
        pg.get_by_role("radio", name=t(f"view.{view}", "en"), exact=True).click()
        settle(pg)
    pg.evaluate(CLICKWATCH)
    for _ in range(rounds):
        for view in order:
            pg.get_by_role("radio", name=t(f"view.{view}", "en"), exact=True).click()
            settle(pg)
    return pg.evaluate("window.__clat")


def control_clicks(pg, url, rounds):
    """A view's own server-side control (the BPTT view's log / linear scale) clicked ``rounds`` times each way."""
    pg.goto(url)
    settle(pg)
    pg.evaluate(CLICKWATCH)
    scale = pg.get_by_role("radiogroup", name=t("ctl.scale", "en"))
    for _ in range(rounds):
        for value in ("linear", "log"):
            scale.get_by_text(t(f"opt.{value}", "en"), exact=True).click()
            settle(pg)
    return pg.evaluate("window.__clat")


CELL_AT = """([tt, u]) => { const gd = document.querySelector('.js-plotly-plot');
  const fl = gd._fullLayout, r = gd.getBoundingClientRect();
  return [r.left + fl.xaxis._offset + fl.xaxis.l2p(tt), r.top + fl.yaxis._offset + fl.yaxis.l2p(u)]; }"""
UNTIL = """([text, t0]) => new Promise(done => {  // the script has finished and the page shows ``text``
  const app = document.querySelector('[data-testid=stApp]');
  const poll = () => {
    const idle = app.getAttribute('data-test-script-state') === 'notRunning';
    if (idle && document.body.innerText.includes(text)) done(performance.now() - t0);
    else if (performance.now() - t0 < 20000) requestAnimationFrame(poll);
    else done(null);
  };
  requestAnimationFrame(poll);
})"""


def cell_clicks(pg, url, rounds):
    """The states view: a mouse click on a heatmap cell until the page's equations are that step's and unit's
    (a script run: the step and the unit go to the server together), and a click on the sketch pad of the BPTT
    view's prediction until the class's point is on it."""
    pg.goto(url)
    settle(pg)
    cells, pads = [], []
    for i in range(rounds):
        step, unit = 5 + (7 * i) % 40, (11 * i + 3) % 35
        pg.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
        x, y = pg.evaluate(CELL_AT, [step, unit])
        t0 = pg.evaluate("performance.now()")
        pg.mouse.click(x, y)
        cells.append(pg.evaluate(UNTIL, [t("formula.about", "en", t=step, j=unit, layer="", shown=3)
                                         .split(":")[0] + ":", t0]))
        settle(pg)
    pg.goto(url.replace("view=states", "view=bptt") + "&predict=1")
    settle(pg)
    for i in range(rounds):
        x_at, level = (3 * i) % 40, -6.0 + (i % 10)
        pg.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
        x, y = pg.evaluate(CELL_AT, [x_at, level])
        t0 = pg.evaluate("performance.now()")
        pg.mouse.click(x, y)
        pads.append(pg.evaluate("""([x, y, t0]) => new Promise(done => { const poll = () => {
            const gd = document.querySelector('.js-plotly-plot'), tr = gd && gd._fullData[1];
            const k = tr ? Array.from(tr.x).indexOf(x) : -1;
            if (k >= 0 && Math.abs(Math.log10(tr.y[k]) - y) < 1e-9) done(performance.now() - t0);
            else if (performance.now() - t0 < 20000) requestAnimationFrame(poll); else done(null); };
            requestAnimationFrame(poll); })""", [x_at, level, t0]))
        settle(pg)
    return [c for c in cells if c is not None], [p for p in pads if p is not None]


def main():
    from playwright.sync_api import sync_playwright
    presses = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    server, port = start_server()
    floor_server, floor_port = start_server(script="bench/floor_app.py")
    base = f"http://127.0.0.1:{port}/?lang=en"
    step = lambda pg: pg.get_by_role("slider", name=t("ctl.step", "en"))  # noqa: E731
    snapshot = lambda pg: pg.get_by_role("slider", name=t("ctl.snapshot", "en"))  # noqa: E731
    rho_name = re.sub("<[^>]+>", "", t("ctl.rho_view", "en", form="html"))  # the control's aria-label: its text
    rho = lambda pg: pg.get_by_role("slider", name=rho_name)  # noqa: E731
    floor = lambda pg: pg.locator("input[type=range]").first  # noqa: E731
    phase = lambda pg: pg.get_by_role("slider", name=t("ctl.phase_at", "en"))  # noqa: E731

    def through(pg):  # the step-through on, at phase 12 (the presses below go both ways from there)
        pg.get_by_text(t("ctl.phase", "en"), exact=True).click()
        settle(pg)
        phase(pg).focus()
        for _ in range(12):
            pg.keyboard.press("ArrowRight")
        time.sleep(1.5)

    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            pg = browser.new_page(viewport={"width": 1280, "height": 720})
            for label, url, slider, gap, *prepare in (
                    # it opens at t = 0: start mid-sentence, so the presses go both ways from there
                    ("time step, unrolled view", f"{base}&view=unroll&step=20", step, 0.3),
                    ("step-through, unrolled view", f"{base}&view=unroll", phase, 0.3, through),
                    ("time step, states view", f"{base}&view=states", step, 0.3),
                    ("time step, BPTT view", f"{base}&view=bptt", step, 0.3),
                    ("training snapshot, timeline view", f"{base}&view=timeline", snapshot, 0.3),
                    ("rho slider, eigen view", f"{base}&view=eigen", rho, 0.3),
                    ("floor: one-slider app (server)", f"http://127.0.0.1:{floor_port}/", floor, 1.5)):
                lat, runs = measure(pg, url, slider, presses, gap, *prepare)
                rows.append((label, lat, runs))
            switches = view_switches(pg, base, max(1, presses // 7))
            rows.append(("view switch (run cached)", switches, None))
            rows.append(("a view's own control (server)", control_clicks(pg, f"{base}&view=bptt", presses // 2), None))
            cells, pads = cell_clicks(pg, f"{base}&view=states", max(4, presses // 2))
            rows.append(("heatmap cell -> its equations", cells, None))
            rows.append(("sketch pad click -> point drawn", pads, None))
            browser.close()
    finally:
        server.terminate()
        floor_server.terminate()
    print(f"{presses} key presses each, 1280x720, key press -> a chart's drawing changed")
    print(f"{'control':34s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'n':>4s} {'script runs':>12s}")
    for label, lat, runs in rows:
        shown = "" if runs is None else f"{runs:12d}"
        if lat:
            print(f"{label:34s} {pct(lat, .5):8.0f} {pct(lat, .95):8.0f} {max(lat):8.0f} {len(lat):4d} {shown}")
        else:
            print(f"{label:34s} {'-':>8s} {'-':>8s} {'-':>8s} {0:4d} {shown}")
    lat = dict((label, values) for label, values, _ in rows)
    rho_lat, floor_lat = lat["rho slider, eigen view"], lat["floor: one-slider app (server)"]
    if rho_lat and floor_lat:
        print(f"rho slider / floor, p50: {pct(rho_lat, .5) / pct(floor_lat, .5):.2f}x (goal <= 1.3x)")


if __name__ == "__main__":
    main()

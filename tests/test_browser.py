"""The app in a real browser: `streamlit run` on a local port, Debian's chromium driven by Playwright.

Opens the app (which trains the default model), presses Train, visits every view, and asserts each shows a Plotly
chart and no error or traceback. Screenshots are kept in test-artifacts/browser/ for a person to look at."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from viz_app import views
from viz_app.text.i18n import t

pytestmark = pytest.mark.browser  # the browser tier (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
# each test process's server writes its own log, and its own pictures of a failure (the suite runs in one process per
# core: tests/conftest.py)
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
SERVER_LOG = ARTIFACTS / f"server{WORKER}.log"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # the server's output goes to a file: a pipe that nobody reads fills at 64 KiB, and the next thread that writes a
    # warning or a log line blocks for good (a page that never finishes)
    log = open(SERVER_LOG, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "viz_app/main.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": ""})
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:  # exited: its port was taken (by another test process's)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        log.close()
        pytest.fail("streamlit did not start: " + SERVER_LOG.read_text()[-2000:])
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright
    assert Path(CHROMIUM).exists(), "chromium is missing: run bash .ci/setup.sh"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1500, "height": 2400}, locale="en-US")
        yield pg
        browser.close()


# the script has finished (Streamlit's own e2e suite waits on this attribute) and every chart on the page has drawn
_SETTLED = """() => {
  const app = document.querySelector("[data-testid=stApp]");
  const plots = [...document.querySelectorAll(".js-plotly-plot")];
  return !!app && app.getAttribute("data-test-script-state") === "notRunning" && plots.length > 0
    && plots.every((p) => p.querySelector(".main-svg"));
}"""


def _settle(pg, timeout: float = 180) -> None:
    """Wait until the page has settled: the script finished and every chart drawn, and still so a moment later (a
    component's report, such as the screen's height, starts one more script run at once)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            pg.wait_for_function(_SETTLED, timeout=max(1.0, deadline - time.time()) * 1000, polling=100)
        except PlaywrightTimeout:
            break
        time.sleep(0.25)
        if pg.evaluate(_SETTLED):
            return
    # what the page showed, and what the server wrote: enough to tell a slow machine from a failed job
    pg.screenshot(path=str(ARTIFACTS / f"unsettled{WORKER}.png"), full_page=True)
    state = pg.evaluate("() => { const a = document.querySelector('[data-testid=stApp]');"
                        " return a && a.getAttribute('data-test-script-state'); }")
    log = SERVER_LOG.read_text(errors="replace") if SERVER_LOG.exists() else ""
    raise AssertionError(f"the app did not finish within {timeout:g} s at {pg.url} (script {state}); the page:\n"
                         + pg.inner_text("body")[:1500] + "\nthe server's log:\n" + log[-3000:])


# how many script runs have started since the page's helper was installed (changes of the script's state to
# "running"; each record's new value is the next record's old one, or the attribute's value now)
_RUNS = """() => { const app = document.querySelector("[data-testid=stApp]");
  if (!window.__runs) { window.__runs = {n: 0};
    new MutationObserver((records) => records.forEach((r, i) => {
      const now = i + 1 < records.length ? records[i + 1].oldValue : app.getAttribute("data-test-script-state");
      if (now === "running") window.__runs.n += 1; }))
      .observe(app, {attributes: true, attributeOldValue: true, attributeFilter: ["data-test-script-state"]}); }
  return window.__runs.n; }"""


def _rerun(pg, act, timeout: float = 60) -> None:
    """Do ``act`` (a click or an upload that starts a script run) and wait until a run started after it has
    finished: right after a click the page still looks settled until the server has heard it (0.25 s is not enough
    on a busy machine, and the old page was read as the new one), and a run already under way is not the click's.
    A click that starts no run at all within LOST s (1 in about 10 of the view bar's clicks on a busy machine, the
    page settled before it) is made once more, and said in lost_clicks.txt; a click that starts a run which then
    does the wrong thing (issue 31's lost sidebar changes) is not retried."""
    n = pg.evaluate(_RUNS)
    act()
    started = f"() => window.__runs.n > {n}"
    try:
        pg.wait_for_function(started, timeout=LOST * 1000, polling=50)
    except Exception:  # noqa: BLE001 - no run yet: once more
        pg.screenshot(path=str(ARTIFACTS / f"lost_click{WORKER}.png"), full_page=True)
        with open(ARTIFACTS / "lost_clicks.txt", "a") as out:
            out.write(f"{WORKER or 'main'} {pg.url}\n")
        act()
        try:
            pg.wait_for_function(started, timeout=(timeout - LOST) * 1000, polling=50)
        except Exception as e:  # what the page showed, and what the server wrote
            pg.screenshot(path=str(ARTIFACTS / f"no_rerun{WORKER}.png"), full_page=True)
            state = pg.evaluate(SCRIPT_STATE)
            log = SERVER_LOG.read_text(errors="replace") if SERVER_LOG.exists() else ""
            raise AssertionError(f"no script run started within {timeout:g} s of two tries at {pg.url} (script "
                                 f"{state}); the server's log:\n{log[-3000:]}") from e
    _settle(pg)


LOST = 15  # s after an action without a script run: the click is taken as lost
SCRIPT_STATE = "() => document.querySelector('[data-testid=stApp]').getAttribute('data-test-script-state')"


def _assert_clean(pg, name: str) -> None:
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert pg.locator("[data-testid=stException]").count() == 0, name
    assert "Traceback" not in pg.inner_text("body"), name
    assert pg.locator(".js-plotly-plot").count() >= 1, name
    assert pg.locator(".js-plotly-plot .main-svg").count() >= 1, name  # plotly really rendered


CONTRASTS = """() => { const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = (c) => { const [r, g, b] = rgb(c).slice(0, 3).map(v => v / 255)
      .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ground = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
      const a = c.length < 4 ? 1 : c[3];  // a translucent tint (a selected button's) over the white page
      if (a > 0) return `rgb(${c.slice(0, 3).map(v => a * v + (1 - a) * 255).join(', ')})`; }
    return 'rgb(255, 255, 255)'; };
  const out = [];
  document.querySelectorAll('[data-testid=stMain] *').forEach(el => {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) return;
    // not charts (Plotly's own), a formula's hidden MathML or a slider thumb's value (drawn above the thumb)
    if (el.closest('.js-plotly-plot, .katex-mathml, [role=slider], [data-testid=stSliderThumbValue]')) return;
    const fg = lum(getComputedStyle(el).color), bg = lum(ground(el));
    out.push((Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05)); });
  return out; }"""  # every text of the page on its own background


def _show_view(pg, view: str, lang: str) -> None:
    """Click ``view`` in the view bar (unless it is shown: a click on it would unselect it) and wait for its run; the
    view is then the one selected, and named in the address (the default view is left out of it)."""
    radio = pg.get_by_role("radio", name=t(f"view.{view}", lang), exact=True)
    if radio.get_attribute("aria-checked") != "true":
        _rerun(pg, radio.click)
    assert radio.get_attribute("aria-checked") == "true" and (f"view={view}" in pg.url or view == "unroll"), view


def test_train_and_visit_every_view(server, page):
    page.goto(server + "/?lang=en")
    _settle(page)
    _assert_clean(page, "00_opened")
    assert page.evaluate("document.documentElement.lang") == "en"
    _rerun(page, page.get_by_role("button", name=t("ctl.train", "en"), exact=True).click)
    for i, view in enumerate(views.names(), start=1):
        _show_view(page, view, "en")
        _assert_clean(page, f"{i:02d}_{view}")
        assert min(page.evaluate(CONTRASTS)) >= 4.5, view  # every text on its background (WCAG AA), formulas too


COUNT_RUNS = """() => { window.__runs = 0; const app = document.querySelector('[data-testid=stApp]');
    new MutationObserver(() => { if (app.getAttribute('data-test-script-state') === 'running') window.__runs++; })
      .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']}); }"""  # script runs from now on

STEP_MARKERS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
    const im = (gd.layout.images || []).find(im => im.name === 'step-x');
    const sh = (gd.layout.shapes || []).find(sh => sh.name === 'step-y');
    return im ? im.x + 0.5 : sh ? sh.y0 : null; })"""


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_step_moves_every_chart_without_a_script_run(server, page, lang):
    """Arrow keys on the step control move the step band of every chart of the BPTT view in the browser: no script
    run while the keys come (Streamlit marks a run on the app element); once the step rests it reaches the URL."""
    page.goto(server + f"/?lang={lang}&view=bptt&epochs=30")
    _settle(page)
    before = page.evaluate(STEP_MARKERS)
    page.evaluate(COUNT_RUNS)
    slider = page.get_by_role("slider", name=t("ctl.step", lang))
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
        time.sleep(0.1)
    moved = page.evaluate(STEP_MARKERS)
    runs_while_moving = page.evaluate("window.__runs")
    _assert_clean(page, f"30_step_{lang}")
    assert runs_while_moving == 0
    assert [b - 3 if b is not None else None for b in before] == moved and sum(b is not None for b in moved) == 3
    time.sleep(1.5)  # the step rests: the server hears it once
    _settle(page)
    assert f"step={int(before[0]) - 3}" in page.url
    assert page.evaluate(STEP_MARKERS) == moved  # the server's redraw agrees with the browser


THROUGH = """() => { const gd = document.querySelector('.js-plotly-plot');
    const named = (n) => gd.data.find(tr => tr.name === n);
    const grad = named('dL/dh');
    const [band, veil] = gd.layout.images;
    const inputs = named('x').x.filter((x, k) => named('x').y[k] !== null);
    const written = grad.x.filter((x, k) => grad.y[k] !== null).map(Math.round);
    return {title: gd.layout.title.text, veil: veil.x, band: band.x + 0.5, inputs,
            hidden: inputs.filter(c => !written.includes(c))}; }"""
CONTROL = """() => { const host = Array.from(document.querySelectorAll('*')).find(e => e.shadowRoot
    && e.shadowRoot.querySelector('.rnnviz-control'));
    const root = host.shadowRoot; const input = root.querySelector('input');
    return {value: Number(input.value), shown: root.querySelector('output').textContent,
            focused: root.activeElement === input}; }"""


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_step_through_runs_in_the_browser_and_keys_go_on_after_each_rest(server, page, lang):
    """The unrolled view's step-through: forward phases computed left to right (the rest behind a veil), then
    BPTT's ||dL/dh_t|| revealed right to left; every phase in the browser (no script run while moving or playing).
    After a rest the server redraws the control: the keyboard focus stays on it and the index does not jump back,
    also when keys come while that rerun is under way."""
    page.goto(server + f"/?lang={lang}&view=unroll&epochs=30&step=3")
    _settle(page)
    page.get_by_text(t("ctl.phase", lang), exact=True).click()
    _settle(page)
    page.evaluate(COUNT_RUNS)
    control = page.get_by_role("slider", name=t("ctl.phase_at", lang))
    phases = int(control.get_attribute("max")) + 1
    steps = phases // 2
    control.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    time.sleep(0.2)
    now = page.evaluate(THROUGH)
    assert page.evaluate("window.__runs") == 0
    assert now["title"] == t("fig.unrolled_fwd", lang, t=3) and now["veil"] == 3.36
    assert now["hidden"] == now["inputs"]  # no gradient yet
    time.sleep(1.5)  # rests: one script run, the control is drawn again
    _settle(page)
    assert "step=3" in page.url and page.evaluate(CONTROL) == {"value": 3, "shown": t("ctl.phase_fwd", lang, t=3),
                                                              "focused": True}
    page.keyboard.press("ArrowRight")  # the focus is still on the control
    time.sleep(0.5)  # the control reports 4 (settle 0.45 s): the server's rerun is under way when the next keys come
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    time.sleep(2.0)
    _settle(page)
    assert page.evaluate(CONTROL)["value"] == 6 and "step=6" in page.url
    assert page.evaluate(THROUGH)["title"] == t("fig.unrolled_fwd", lang, t=6)
    _assert_clean(page, f"33_through_forward_{lang}")
    page.keyboard.press("End")  # the last phase: BPTT back at step 0
    assert page.evaluate(STRIPS) == 1  # at once: the h_t strips stay drawn while BPTT moves (they used to vanish)
    time.sleep(0.3)
    now = page.evaluate(THROUGH)
    assert now["title"] == t("fig.unrolled_bptt", lang, t=0) and now["band"] == 0 and now["veil"] > steps - 1
    assert now["hidden"] == [] and now["inputs"] == list(range(min(8, steps)))  # the window's columns, all reached
    for _ in range(2):
        page.keyboard.press("ArrowLeft")
        assert page.evaluate(STRIPS) == 1
    page.keyboard.press("End")
    _assert_clean(page, f"34_through_bptt_{lang}")
    page.keyboard.press("Home")
    time.sleep(1.5)
    _settle(page)
    page.evaluate(COUNT_RUNS)
    page.get_by_role("button", name=t("ctl.play", lang)).click()
    time.sleep(2.5)  # about 3 phases at 0.7 s each
    played = page.evaluate(CONTROL)["value"]
    assert page.evaluate("window.__runs") == 0 and 2 <= played <= 5
    assert page.evaluate(THROUGH)["title"] == t("fig.unrolled_fwd", lang, t=played)
    page.get_by_role("button", name=t("ctl.pause", lang)).click()
    time.sleep(1.5)
    _settle(page)
    assert f"step={page.evaluate(CONTROL)['value']}" in page.url


# the unrolled network's h_t strips: the heatmap's image drawn in the first chart (1), or gone (0)
STRIPS = """() => [...document.querySelector('.js-plotly-plot').querySelectorAll('.hm image')]
    .filter(im => (im.getAttribute('href') || im.getAttribute('xlink:href') || '').length > 100).length"""

SNAPSHOT_PARTS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => [
    (gd.layout.title && gd.layout.title.text) || '',
    gd.data.map(tr => Array.from(tr.x || []).slice(0, 3).join(',') + '|' + Array.from(tr.y || []).slice(0, 3).join(','))
      .join(';')])"""


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_training_snapshot_moves_every_chart_without_a_script_run(server, page, lang):
    """The timeline's snapshot control moves the eigenvalues, the loss marker and the gradient curve (and its title)
    to the chosen snapshot in the browser, with no script run; once it rests the URL names the snapshot and the
    server's redraw agrees with what the browser drew."""
    page.goto(server + f"/?lang={lang}&view=timeline&epochs=30")
    _settle(page)
    before = page.evaluate(SNAPSHOT_PARTS)
    page.evaluate(COUNT_RUNS)
    control = page.get_by_role("slider", name=t("ctl.snapshot", lang))
    last = int(control.get_attribute("max"))
    control.focus()
    for _ in range(last):
        page.keyboard.press("ArrowLeft")  # to the first snapshot (update 0: the untrained model)
    time.sleep(0.2)
    moved = page.evaluate(SNAPSHOT_PARTS)
    runs_while_moving = page.evaluate("window.__runs")
    _assert_clean(page, f"31_snapshot_{lang}")
    assert runs_while_moving == 0
    assert len(moved) == 3 and all(m != b for m, b in zip(moved, before))  # every chart changed
    assert f"{t('axis.update', lang)} 0" in page.inner_text("body")
    time.sleep(1.5)
    _settle(page)
    assert "snapshot=0" in page.url
    assert page.evaluate(SNAPSHOT_PARTS) == moved  # the server's redraw agrees with the browser


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_rho_slider_moves_the_charts_and_the_sentence_without_a_script_run(server, page, lang):
    """The eigen view's rho control moves the rescaled eigenvalues, the decay curves and the regime sentence in the
    browser (no script run); at rest the URL has the rho and the server's redraw agrees."""
    page.goto(server + f"/?lang={lang}&view=eigen&epochs=30")
    _settle(page)
    before = page.evaluate(SNAPSHOT_PARTS)
    note = page.locator(".rnnviz-control .note")
    sentence = note.inner_text()
    page.evaluate(COUNT_RUNS)
    control = page.get_by_role("slider", name=re.sub("<[^>]+>", "", t("ctl.rho_view", lang, form="html")))
    control.focus()
    page.keyboard.press("End")  # rho = 3 (or the trained rho beyond it): explosion possible
    time.sleep(0.2)
    moved = page.evaluate(SNAPSHOT_PARTS)
    assert page.evaluate("window.__runs") == 0
    _assert_clean(page, f"32_rho_{lang}")
    assert all(m != b for m, b in zip(moved, before)) and note.inner_text() != sentence
    assert "> 1/γ" in note.inner_text()
    time.sleep(1.5)
    _settle(page)
    assert "rho_view=3" in page.url
    assert page.evaluate(SNAPSHOT_PARTS) == moved


def test_korean_link_reproduces_a_view(server, page):
    page.goto(server + "/?lang=ko&view=eigen&cell=gru&hidden_size=16&epochs=40")
    _settle(page)
    _assert_clean(page, "20_ko_eigen_gru")
    body = page.inner_text("body").replace("\u200b", "")  # Plotly puts zero-width spaces around <sub>
    title = re.sub(r"<[^>]+>", "", t("fig.eigs", "ko", name="W_hn"))  # W<sub>hn</sub> reads "Whn" on the page
    assert t("view.eigen", "ko") in body and title in body and "<sub>" in t("fig.eigs", "ko", name="W_hn")


def test_download_buttons_give_real_files(server, page):
    page.goto(server + "/?lang=en&view=bptt")
    _settle(page)
    for fmt, magic in (("PNG", b"\x89PNG"), ("PDF", b"%PDF-"), ("SVG", b"<svg"), ("HTML", b"<!")):
        button = page.get_by_role("button", name=fmt, exact=True).first
        if not button.is_visible():  # the export popover of the first chart
            page.get_by_role("button", name=t("ctl.export", "en")).first.click()
        with page.expect_download(timeout=120_000) as info:
            page.get_by_role("button", name=fmt, exact=True).first.click()
        data = Path(info.value.path()).read_bytes()
        assert data.lstrip()[:len(magic)].lower() == magic.lower(), fmt
        (ARTIFACTS / f"download.{fmt.lower()}").write_bytes(data)
    assert page.locator("[data-testid=stException]").count() == 0


def test_upload_model_and_csv(server, page, tmp_path):
    page.goto(server + "/?lang=en&view=states&text=hello&epochs=30")
    _settle(page)
    page.get_by_text(t("ctl.uploads", "en")).click()
    # the expander has opened and its uploaders are drawn (a file set on an input the opening redraws is lost: seen
    # once with another test process busy beside this one)
    page.locator("[data-testid=stFileUploaderDropzone]").nth(1).wait_for(state="visible")
    inputs = page.locator("[data-testid=stFileUploaderDropzoneInput]")
    bad = tmp_path / "evil.pt"
    bad.write_bytes(b"not a torch file at all")
    _rerun(page, lambda: inputs.nth(1).set_input_files(str(bad)))
    assert t("msg.bad_model", "en", reason="")[:30] in page.inner_text("body")
    assert page.locator("[data-testid=stException]").count() == 0
    _rerun(page, lambda: inputs.nth(1).set_input_files(str(ROOT / "assets" / "models" / "hello_gru_net.pt")))
    _rerun(page, page.get_by_role("button", name=t("ctl.use_model", "en")).click)
    _assert_clean(page, "30_uploaded_model")
    assert t("msg.using_model", "en")[:30] in page.inner_text("body")
    _rerun(page, lambda: inputs.nth(0).set_input_files(str(ROOT / "assets" / "data" / "sensor.csv")))
    _rerun(page, page.get_by_role("button", name=t("ctl.drop_model", "en")).click)
    _rerun(page, page.get_by_role("button", name=t("ctl.use_data", "en")).click)
    _assert_clean(page, "31_uploaded_csv")
    assert "task=csv" in page.url


def test_a_hostile_link_renders_as_text(server, page):
    """The link of the hostile-links issue, plus a text to learn with HTML: no heading, link or image from it
    renders; the values are quoted as text, and the chart draws the characters themselves."""
    from urllib.parse import quote
    hostile = "1\n\n# CLASS CANCELLED\n\n[details](https://evil.example)\n\n![x](https://evil.example/x.png)"
    text = "<a href='https://evil.example'>click</a> & <b>x</b>"
    page.goto(server + f"/?lang=en&view=states&seed={quote(hostile)}&epochs=5&text={quote(text)}")
    _settle(page)
    _assert_clean(page, "40_hostile_link")
    links = page.locator("a[href*='evil']").evaluate_all("els => els.map(e => e.outerHTML.slice(0, 300))")
    assert links == [], links
    assert page.locator("img[src*='evil']").count() == 0
    for level in ("h1", "h2", "h3"):
        assert page.locator(f"{level}:has-text('CLASS CANCELLED')").count() == 0
    assert "# CLASS CANCELLED" in page.inner_text("body")  # quoted, as text
    drawn = [s.strip() for s in page.locator(".js-plotly-plot text").evaluate_all("els => els.map(e => e.textContent)")]
    assert "<" in drawn and ">" in drawn and "&" in drawn  # one character per cell, drawn literally


PRESENT_BOXES = """() => {
    const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const size = (e) => parseFloat(getComputedStyle(e).fontSize);
    const host = Array.from(document.querySelectorAll('*')).find(e => e.shadowRoot
        && e.shadowRoot.querySelector('.rnnviz-control'));
    const bar = document.querySelector('[data-testid=stMain] [data-testid=stButtonGroup]');
    return {
        charts: Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
            box: box(gd), titles: Array.from(gd.querySelectorAll('.gtitle')).map(box),
            legends: Array.from(gd.querySelectorAll('.legend')).map(box),
            plots: Array.from(gd.querySelectorAll('.nsewdrag')).map(box)})),
        bar: bar ? box(bar) : null,
        fonts: {
            banner: Array.from(document.querySelectorAll('[data-testid=stAlert] p')).map(size),
            tabs: bar ? Array.from(bar.querySelectorAll('button p')).map(size) : [],
            labels: Array.from(document.querySelectorAll('[data-testid=stWidgetLabel] p')).map(size),
            captions: Array.from(document.querySelectorAll('[data-testid=stCaptionContainer] p')).map(size),
            control: host ? ['label', 'output'].map(s => size(host.shadowRoot.querySelector('.rnnviz-control ' + s)))
                          : []}}; }"""


VIEW_BAR = "[data-testid=stMain] [data-testid=stButtonGroup] button"


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1


@pytest.mark.parametrize("lang,width,height", [("en", 1280, 720), ("ko", 1280, 720), ("en", 1920, 1080),
                                               ("ko", 1920, 1080)])
def test_presentation_mode_fits_the_projector(server, page, lang, width, height):
    """Presentation mode at a projector's size, every view reached with the clicker's keys (the digit of the view,
    then PageDown / PageUp): the view's main chart lies inside the screen without scrolling, no legend covers a
    title or a plot area, the view bar is one row, and the page's text (banner, view names, labels, captions, the
    step control) is at least 20 px."""
    from viz_app.web import present
    pg = page.context.browser.new_page(viewport={"width": width, "height": height})  # the module's browser
    try:
        pg.goto(server + f"/?lang={lang}&scenario=vanishing&present=1&epochs=40")
        _settle(pg)
        for i, view in enumerate(views.names()):  # the scenario opens its own view (eigen): "1" goes to the first
            pg.keyboard.press("PageDown" if i % 2 else str(i + 1))
            pg.wait_for_function(f"() => document.querySelectorAll({VIEW_BAR!r})[{i}]"
                                 ".getAttribute('aria-checked') === 'true'", timeout=60_000)
            time.sleep(0.5)
            _settle(pg)
            name = f"60_present_{width}_{lang}_{view}"
            pg.screenshot(path=str(ARTIFACTS / f"{name}.png"))
            _assert_clean(pg, name)
            got = pg.evaluate(PRESENT_BOXES)
            main = got["charts"][0]["box"]
            assert main[1] >= 0 and main[3] <= height and main[2] <= width, (view, main)
            assert got["bar"][3] - got["bar"][1] < 70, (view, got["bar"])  # one row
            for c in got["charts"]:
                for legend in c["legends"]:
                    assert not any(_overlap(legend, b) for b in c["titles"] + c["plots"]), (view, legend, c)
            small = {k: v for k, v in got["fonts"].items() if v and min(v) < present.TEXT_PX}
            assert not small, (view, small)
            assert got["fonts"]["tabs"] and got["fonts"]["captions"], view
            if view == "eigen":  # the scenario's banner is drawn under the charts
                assert got["fonts"]["banner"], view
        pg.keyboard.press("PageUp")
        pg.wait_for_function(f"() => document.querySelectorAll({VIEW_BAR!r})[{len(views.names()) - 2}]"
                             ".getAttribute('aria-checked') === 'true'", timeout=60_000)
    finally:
        pg.close()


KATEX_COUNTS = """() => [...document.querySelectorAll('[data-testid=stMarkdownContainer]')].map(m => ({
    formulas: m.querySelectorAll('.katex').length, errors: m.querySelectorAll('.katex-error').length,
    dollars: (m.innerText.match(/[$]/g) || []).length}))"""


def test_every_formula_of_the_table_is_typeset(page):
    """Every string of the table with math, in both languages (tests/pages/all_math.py): KaTeX typesets each $...$
    of it (as many formulas as pairs of $, none an error, no $ left on the page). Uses the module's browser (one
    Playwright per module) on a server of its own."""
    from tests.pages.all_math import strings
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "tests/pages/all_math.py", "--server.port",
                             str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--server.fileWatcherType", "none"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    expected = strings()
    pg = page.context.browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        for _ in range(120):
            try:
                pg.goto(f"http://127.0.0.1:{port}/")
                break
            except Exception:  # noqa: BLE001 (not listening yet)
                time.sleep(0.5)
        pg.wait_for_function(f"() => document.querySelectorAll('[data-testid=stMarkdownContainer]').length"
                             f" >= {len(expected)}", timeout=60_000)
        time.sleep(1.0)
        got = pg.evaluate(KATEX_COUNTS)
        pg.screenshot(path=str(ARTIFACTS / "70_all_formulas.png"), full_page=True)
    finally:
        pg.close()
        proc.terminate()
        proc.wait(10)
    assert len(got) == len(expected)
    for (key, lang, text), shown in zip(expected, got):
        assert shown == {"formulas": text.count("$") // 2, "errors": 0, "dollars": 0}, (key, lang, text)


# the page's words that are not Korean and need not be: names of models, methods and functions, the language switch
ENGLISH_ALLOWED = {"RNN", "LSTM", "GRU", "BPTT", "PCA", "ReLU", "IRNN", "Pascanu", "PyTorch", "NaN", "Inf", "MSE",
                   "SGD", "Adam", "PNG", "SVG", "PDF", "HTML", "CSV", "English", "Language", "tanh", "log", "NNLM",
                   "Bengio", "nats", "ln", "nn", "Embedding", "uRNN"}
PAGE_WORDS = """() => { const c = document.querySelector('[data-testid=stApp]').cloneNode(true);
    c.querySelectorAll('.katex, code, [data-testid=stSkipToContent], [data-testid=stIconMaterial], style, script')
      .forEach(e => e.remove());  // formulas, quoted data (code), Streamlit's skip link and its icons' ligature names
    c.style.position = 'absolute'; document.body.appendChild(c); const text = c.innerText; c.remove();
    return text; }"""


@pytest.mark.parametrize("query", ["", "&cell=lstm"])
def test_korean_pages_have_no_english_words(server, page, query):
    """Every view in Korean (an RNN, then an LSTM: its gates), the sidebar open: no English word on the page
    (text, charts, legends, buttons, notices) outside ENGLISH_ALLOWED; math is typeset, not a word."""
    pg = page.context.browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        found = {}
        pg.goto(server + f"/?lang=ko&epochs=40{query}")  # once: each view is a click away (a page load costs the
        _settle(pg)                                       # browser more than the view it shows)
        for view in views.names():
            _show_view(pg, view, "ko")
            assert pg.evaluate("document.documentElement.lang") == "ko"  # for a screen reader: Streamlit says "en"
            text = pg.evaluate(PAGE_WORDS).replace("\u200b", "_")  # Plotly's <sub>: W\u200bhh\u200b, an index
            words = set(re.findall(r"(?<![A-Za-z_])[A-Za-z]{2,}(?![A-Za-z_])", text))
            if words - ENGLISH_ALLOWED:
                found[view] = sorted(words - ENGLISH_ALLOWED)
                pg.screenshot(path=str(ARTIFACTS / f"71_ko_english_{view}{query.replace('&', '_')}.png"))
        assert not found, found
    finally:
        pg.close()


CLICK = """(label) => { const b = [...document.querySelectorAll('[data-testid=stMain] button')]
    .find(b => b.innerText.trim() === label); if (b) b.click(); return !!b; }"""
FIRST_CHART = """() => { const gd = document.querySelector('.js-plotly-plot');
    return gd && gd.data ? JSON.stringify(gd.data.map(d => [d.z, d.y])) : null; }"""  # what the first chart draws


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_watching_it_learn_redraws_the_view_and_pauses_on_a_link(server, page, lang):
    """▷ Watch it learn: the states view's first chart is redrawn at step after step of the training (the address bar
    names each), ❚❚ Pause stops on one (no script run after it), and the address bar, the line under the title and
    the buttons agree with it; no button of another state is left on the page."""
    pg = page.context.browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        seed = {"en": 11, "ko": 12}[lang]  # runs no other test has cached: each step takes its time
        pg.goto(server + f"/?lang={lang}&view=states&epochs=300&seed={seed}")
        _settle(pg)
        pg.get_by_role("button", name=t("ctl.watch", lang)).click()
        pauses, drawn, deadline = [], set(), time.time() + 60
        while (len(pauses) < 4 or len(drawn) < 4) and time.time() < deadline:
            found = re.search(r"paused_at=(\d+)", pg.url)
            if found and (not pauses or pauses[-1] != int(found[1])):
                pauses.append(int(found[1]))
            drawn.add(pg.evaluate(FIRST_CHART))
            time.sleep(0.05)
        assert len(pauses) >= 4 and pauses == sorted(pauses), pauses  # step after step, forwards
        assert len(drawn - {None}) >= 4  # the chart itself changed with them
        # a DOM click: Playwright's own waits for the button to hold still across animation frames, which it never
        # does while the page redraws step after step (it stays in place: checked by its bounding box)
        assert pg.evaluate(CLICK, t("ctl.live_pause", lang))
        time.sleep(1.0)
        _settle(pg)
        pg.evaluate(COUNT_RUNS)
        at = int(re.search(r"paused_at=(\d+)", pg.url)[1])
        time.sleep(2.0)
        assert pg.evaluate("window.__runs") == 0 and f"paused_at={at}&" in pg.url + "&"  # it stays paused there
        line = pg.locator("[data-testid=stCaptionContainer]", has_text=f"{at}/300" if lang == "ko" else
                          f"epoch {at} of 300").first.inner_text()
        assert line.startswith(t("msg.paused", lang, epoch=at, epochs=300, updates=at, loss=0)[:12])
        labels = [b.inner_text() for b in pg.locator("[data-testid=stMain] button").all()]
        live_labels = [x for x in labels if x in {t(k, lang) for k in ("ctl.watch", "ctl.live_pause",
                                                                         "ctl.live_resume", "ctl.live_finish")}]
        assert live_labels == [t("ctl.live_resume", lang), t("ctl.live_finish", lang)], labels
        pg.screenshot(path=str(ARTIFACTS / f"72_watch_paused_{lang}.png"))
    finally:
        pg.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_clicker_moves_through_a_lecture_deck_in_presentation_mode(server, page, lang):
    """A deck in the link, presentation mode at 1280x720: PageDown opens the next entry (not the next view), the
    address bar follows (window.location: the deck's position and the entry's settings), PageUp goes back; the bar
    shows the entry's title and a QR code."""
    from viz_app.lecture import codec
    _, entries = codec.parse("Unrolled | ?view=unroll&step=3 | note one\nVanishing | ?scenario=vanishing | note two")
    deck = codec.encode("deck", entries)
    pg = page.context.browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        pg.goto(server + f"/?lang={lang}&present=1&view=eigen&deck={deck}&deck_at=0")
        _settle(pg)
        assert "1 / 2" in pg.inner_text("[data-testid=stMain]")
        qr = pg.locator("img[alt=QR]")
        assert qr.count() == 1 and qr.bounding_box()["width"] >= 120  # 88 px could not always be read
        assert "present=" not in qr.get_attribute("title") and f"lang={lang}" in qr.get_attribute("title")
        where = "() => window.location.href"
        pg.keyboard.press("PageDown")
        deadline = time.time() + 120
        while time.time() < deadline and "deck_at=1" not in pg.evaluate(where):
            time.sleep(0.3)
        _settle(pg)
        url = pg.evaluate(where)
        # the entry's scenario, not its settings spelled out ("custom"); the lecture's language in the address bar
        assert "deck_at=1" in url and "scenario=vanishing" in url and f"lang={lang}" in url, url
        assert "2 / 2" in pg.inner_text("[data-testid=stMain]")
        assert qr.get_attribute("title").endswith(f"?lang={lang}&scenario=vanishing")
        pg.screenshot(path=str(ARTIFACTS / f"80_deck_{lang}.png"))
        pg.keyboard.press("PageUp")
        deadline = time.time() + 120
        while time.time() < deadline and "deck_at=0" not in pg.evaluate(where):
            time.sleep(0.3)
        _settle(pg)
        assert "scenario=" not in pg.evaluate(where) and "1 / 2" in pg.inner_text("[data-testid=stMain]")
        pg.goto(server + f"/?lang={lang}&view=eigen&deck={deck}&deck_at=1")  # the page that scrolls: its column
        _settle(pg)  # leaves the code its width (a narrow one had drawn 110 px)
        assert pg.locator("img[alt=QR]").bounding_box()["width"] >= 120
    finally:
        pg.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_equations_with_numbers_the_ledger_and_predict_then_reveal_in_the_browser(server, page, lang):
    """The step's equations (a GRU: its gates written out) and the BPTT ledger are typeset by KaTeX without an
    error at 1280x720; in predict mode no chart reaches the browser until Reveal, then the prediction's star does."""
    pg = page.context.browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        pg.goto(server + f"/?lang={lang}&view=unroll&cell=gru&step=5&unit=3")
        _settle(pg)
        assert pg.locator(".katex").count() >= 8 and pg.locator(".katex-error").count() == 0
        pg.locator(".katex", has_text="tanh").last.scroll_into_view_if_needed()
        pg.screenshot(path=str(ARTIFACTS / f"81_formula_{lang}.png"))
        pg.goto(server + f"/?lang={lang}&view=bptt&step=20&unit=2")
        _settle(pg)
        assert pg.locator(".katex-error").count() == 0
        assert pg.locator(".katex", has_text="∏").count() >= 1  # the chain's row of factors
        pg.screenshot(path=str(ARTIFACTS / f"82_ledger_{lang}.png"))
        pg.goto(server + f"/?lang={lang}&view=bptt&predict=1")
        pg.wait_for_selector(".st-key-w_guess_bptt input", timeout=180_000)
        _settle(pg)
        # the only chart is the empty sketch pad; two clicks with the mouse sketch the curve
        assert pg.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => !!gd.layout.meta"
                           " && gd.layout.meta.sketch)") == [True]
        for x, level in ((0, -2.0), (20, -1.0)):
            _click_at(pg, PAD_AT, [x, level])
        drawn = pg.evaluate("() => { const tr = document.querySelector('.js-plotly-plot')._fullData[1];"
                            " return [Array.from(tr.x), Array.from(tr.y)]; }")
        assert drawn[0][:2] == [0, 20] and drawn[1][:2] == pytest.approx([0.01, 0.1])
        pg.screenshot(path=str(ARTIFACTS / f"83_sketch_{lang}.png"))
        _rerun(pg, pg.locator("[data-testid=stMain] button", has_text="공개" if lang == "ko" else "Reveal").first.click)
        marks = pg.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(gd => gd.data)"
                            ".filter(d => d.meta && (d.meta.prediction !== undefined || d.meta.sketch))"
                            ".map(d => d.meta.prediction !== undefined ? ['star', d.meta.prediction]"
                            " : ['sketch', d.meta.sketch[0]])")
        assert sorted(m[0] for m in marks) == ["sketch", "star"]
        assert marks[0][1] == pytest.approx(marks[1][1])  # the star is where the sketch says, at step 0
        pg.screenshot(path=str(ARTIFACTS / f"83_predict_{lang}.png"))
    finally:
        pg.close()


def _click_at(pg, where: str, args: list) -> None:
    """A mouse click where the JavaScript ``where`` (args) says on the page's first chart, scrolled into view, then
    the script's run it caused."""
    pg.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    time.sleep(0.5)
    pg.mouse.click(*pg.evaluate(where, args))
    time.sleep(1.0)
    _settle(pg)


PAD_AT = """([x, level]) => { const gd = document.querySelector('.js-plotly-plot');
    const fl = gd._fullLayout, r = gd.getBoundingClientRect();
    return [r.left + fl.xaxis._offset + fl.xaxis.l2p(x), r.top + fl.yaxis._offset + fl.yaxis.l2p(level)]; }"""
CELL_AT = """([tt, u]) => { const gd = document.querySelector('.js-plotly-plot');
    const fl = gd._fullLayout, r = gd.getBoundingClientRect(), tr = gd.data[0];
    let x = tt, y = u;
    if (gd.layout.meta.step_unit === 3) {  // the unrolled network's strips: the cell's edges
        const k = tr.customdata[0].findIndex(c => c[0] === tt && c[3] === u);
        x = (tr.x[k] + tr.x[k + 1]) / 2;
        y = 1.0;
    }
    return [r.left + fl.xaxis._offset + fl.xaxis.l2p(x), r.top + fl.yaxis._offset + fl.yaxis.l2p(y)]; }"""


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("view,unit_key", [("states", "w_unit"), ("unroll", "w_formula_unit")])
def test_clicking_a_cell_writes_that_step_and_unit_s_equations(server, page, lang, view, unit_key):
    """A click on a cell of the state heatmap or of the unrolled network (Plotly's own click, with the mouse) picks
    its step and its unit: the unit control shows it, the address bar names both, and the equations below are that
    step's and unit's, at 1280x720."""
    pg = page.context.browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        pg.goto(server + f"/?lang={lang}&view={view}&step=3&unit=0")
        _settle(pg)
        _click_at(pg, CELL_AT, [7, 12])
        href = pg.evaluate("window.location.href")
        assert "step=7" in href and "unit=12" in href, href
        assert pg.locator(f".st-key-{unit_key} input").input_value() == "12"
        about = t("formula.about", lang, t=7, j=12, layer="", shown=3).split(":")[0]
        caption = pg.locator("[data-testid=stCaptionContainer]", has_text=about)
        assert caption.count() == 1
        caption.scroll_into_view_if_needed()
        assert pg.locator(".katex-error").count() == 0
        _assert_clean(pg, f"84_click_{view}_{lang}")
        pg.screenshot(path=str(ARTIFACTS / f"84_click_{view}_{lang}_view.png"))
    finally:
        pg.close()


POINT_AT = """([which, run, u]) => { const gd = [...document.querySelectorAll('.js-plotly-plot')]
      .filter(g => g._fullData.some(d => d.meta && d.meta.run))[which];  // the charts whose curves name a run
    gd.scrollIntoView({block: 'center'});
    const fl = gd._fullLayout, r = gd.getBoundingClientRect();
    const tr = gd._fullData.find(d => d.meta && d.meta.run === run);
    const xa = fl['xaxis' + tr.xaxis.slice(1)], ya = fl['yaxis' + tr.yaxis.slice(1)];
    const y = ya.type === 'log' ? Math.log10(tr.y[u]) : tr.y[u];
    return [r.left + xa._offset + xa.l2p(u), r.top + ya._offset + ya.l2p(y)]; }"""


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_click_on_a_training_curve_opens_that_run_there_in_every_view(server, page, lang):
    """Clipping view at 1280x720: a click (the mouse, on Plotly's point) at update 20 of the clipped run's gradient
    norm curve offers that run after update 20; the button opens it in every view: the address bar has its
    clipping and the pause, and the chart now ends at update 19."""
    pg = page.context.browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        pg.goto(server + f"/?lang={lang}&view=clipping&epochs=60")
        _settle(pg)
        _click_at(pg, POINT_AT, [0, "clipped", 20])
        name = t("leg.with_clip", lang, thr=1.0)
        button = pg.locator("[data-testid=stMain] button",
                            has_text=t("ctl.time_machine_run", lang, name=name, updates=20))
        assert button.count() == 1
        pg.screenshot(path=str(ARTIFACTS / f"85_travel_{lang}.png"))
        _rerun(pg, button.click)
        href = pg.evaluate("window.location.href")
        assert "paused_at=20" in href and "clip=norm" in href, href
        last = pg.evaluate("() => Math.max(...Array.from(document.querySelector('.js-plotly-plot')._fullData"
                           ".find(d => d.meta && d.meta.run === 'clipped').x))")
        assert last == 19
        _assert_clean(pg, f"85_travel_{lang}_after")
    finally:
        pg.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_four_sidebar_changes_in_a_row_each_train(server, page, lang):
    """A lecturer's loop: change the hidden size (keyboard on the slider) or the cell (its select box), press Train,
    four times in a row; each time the run on the page is the one asked for (the URL and the caption's trained
    settings), and the slider shows it (a widget redrawn under another identity dropped every second change)."""
    page.goto(server + f"/?lang={lang}&epochs=20")
    _settle(page)
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=t("ctl.hidden_size", lang)).get_by_role("slider")
    train = page.get_by_role("button", name=t("ctl.train", lang), exact=True)
    for n, keys in enumerate(("ArrowLeft", "ArrowLeft", "ArrowRight", "ArrowLeft")):
        before = int(slider.get_attribute("value"))
        slider.focus()
        page.keyboard.press(keys)
        want = before - 1 if keys == "ArrowLeft" else before + 1
        assert int(slider.get_attribute("value")) == want
        _rerun(page, train.click)
        assert f"hidden_size={want}" in page.url, (n, page.url)
        assert int(slider.get_attribute("value")) == want, n
    cells = page.locator('[data-testid="stSelectbox"]').filter(has_text=t("ctl.cell", lang))
    for n, cell in enumerate(("gru", "lstm", "rnn_relu", "rnn_tanh")):
        cells.click()
        page.get_by_role("option", name=t(f"opt.{cell}", lang), exact=True).click()
        _rerun(page, train.click)
        kind, _, nl = cell.partition("_")
        named = (f"cell={kind}" in page.url, "nonlinearity=relu" in page.url)
        assert named == (kind != "rnn", nl == "relu"), (n, page.url)
        assert cells.get_by_role("combobox").input_value() == t(f"opt.{cell}", lang), n
    _assert_clean(page, f"85_sidebar_loop_{lang}")


LOSS_AT = """(u) => { const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => g.layout.meta
      && g.layout.meta.snapshot_click);
    gd.scrollIntoView({block: 'center'});
    const fl = gd._fullLayout, r = gd.getBoundingClientRect(), tr = gd._fullData[0];
    const y = fl.yaxis.type === 'log' ? Math.log10(tr.y[u]) : tr.y[u];
    return [r.left + fl.xaxis._offset + fl.xaxis.l2p(u), r.top + fl.yaxis._offset + fl.yaxis.l2p(y),
            tr.customdata[u]]; }"""
SNAPSHOT_MARK = """() => { const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => g.layout.meta
      && g.layout.meta.snapshot_click);
    const tr = gd.data.find(d => d.meta && d.meta.snapshot_xy); return [tr.x[0], tr.meta.snapshot_xy]; }"""


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_click_on_the_loss_curve_picks_a_snapshot_and_the_time_machine_opens_it(server, page, lang):
    """The timeline at 1280x720 says to pick a snapshot with the slider or a click on the loss curve: a click at an
    update moves the snapshot to the one nearest it (its marker on the curve, the control), and the time machine's
    button opens that model (paused there) in every view."""
    pg = page.context.browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        pg.goto(server + f"/?lang={lang}&view=timeline&epochs=60")
        _settle(pg)
        pg.evaluate(LOSS_AT, 20)  # scrolled into view
        time.sleep(0.5)
        x, y, index = pg.evaluate(LOSS_AT, 20)
        pg.mouse.click(x, y)
        deadline = time.time() + 10
        while time.time() < deadline and pg.evaluate(SNAPSHOT_MARK)[0] != pg.evaluate(SNAPSHOT_MARK)[1][index][0]:
            time.sleep(0.1)
        marker, points = pg.evaluate(SNAPSHOT_MARK)
        assert marker == points[index][0] and abs(points[index][0] - 20) <= min(abs(p[0] - 20) for p in points if p)
        time.sleep(1.0)  # the snapshot rests: the server hears it and offers the time machine
        _settle(pg)
        pre, post = t("ctl.time_machine", lang, updates=999).split("999")
        label = re.compile(re.escape(pre) + r"\d+" + re.escape(post))
        button = pg.locator("[data-testid=stMain] button", has_text=label)
        assert button.count() == 1, pg.inner_text("[data-testid=stMain]")[:2000]
        pg.screenshot(path=str(ARTIFACTS / f"86_time_machine_{lang}.png"))
        _rerun(pg, button.click)
        assert "paused_at=" in pg.evaluate("window.location.href")
        _assert_clean(pg, f"86_time_machine_{lang}_after")
    finally:
        pg.close()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_exploding_scenarios_clipping_curve_opens_the_clicked_run(server, page, lang):
    """On the exploding scenario's clipping view a click on a run's curve (the norms' chart, the losses' chart) offers
    that run after the update clicked, and the button opens it, paused there."""
    pg = page.context.browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        for which, run in ((0, "clipped"), (1, "plain")):
            pg.goto(server + f"/?lang={lang}&scenario=exploding&view=clipping")
            _settle(pg)
            _click_at(pg, POINT_AT, [which, run, 10])
            button = pg.locator("[data-testid=stMain] button", has_text=re.compile(r"\b10\b"))
            assert button.count() == 1, pg.inner_text("[data-testid=stMain]")[:2000]
            _rerun(pg, button.click)
            href = pg.evaluate("window.location.href")
            assert "paused_at=10" in href and ("clip=norm" in href) == (run == "clipped"), href
            _assert_clean(pg, f"87_travel_exploding_{run}_{lang}")
    finally:
        pg.close()

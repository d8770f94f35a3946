"""Export: every figure kind in every format is really that format, the right size, not blank; Korean glyphs are
real glyphs; the batch exporter writes a deck."""
import threading
import time
import re
import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from viz_app.export import figures as export_figures, render
from viz_app.export import cli
from viz_app.export import captions
from viz_app.text import escape
from viz_app.state import scenarios
from viz_app import views
from viz_app.state.fields import AppState, from_params
from viz_app.web.theme import SLIDE_HEIGHT, SLIDE_WIDTH, slide


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def png_pixels(data: bytes) -> np.ndarray:
    """Decoded scanlines (filter bytes included): enough to tell a blank image from a drawn one."""
    chunks, i = [], 8
    while i < len(data):
        n = struct.unpack(">I", data[i:i + 4])[0]
        if data[i + 4:i + 8] == b"IDAT":
            chunks.append(data[i + 8:i + 8 + n])
        i += 12 + n
    return np.frombuffer(zlib.decompress(b"".join(chunks)), dtype=np.uint8)


def check_format(data: bytes, fmt: str, width: int, height: int, scale: float) -> None:
    if fmt == "png":
        assert png_size(data) == (int(width * scale), int(height * scale))
        px = png_pixels(data)
        assert len(np.unique(px)) > 20  # not a blank canvas
    elif fmt == "svg":
        root = ET.fromstring(data)
        assert root.tag.endswith("svg")
        assert len(list(root.iter())) > 50
    elif fmt == "pdf":
        assert data[:5] == b"%PDF-"
        assert data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") + data.count(b"/Type/Page\n") >= 1
        pages = len([m for m in data.split(b"/Type") if m.lstrip().startswith(b"/Page") and
                     not m.lstrip().startswith(b"/Pages")])
        assert pages == 1
        assert len(data) > 3000
    else:
        text = data.decode()
        assert text.lstrip().lower().startswith(("<!doctype html", "<html")) and "Plotly.newPlot" in text
        assert not re.search(r"<script[^>]*\bsrc=", text)  # self-contained: plotly.js inside, works offline
        assert len(text) > 1_000_000


@pytest.fixture(scope="module")
def figures():
    state, _ = from_params({"text": "hello", "hidden_size": "8", "epochs": "40", "cell": "lstm"})
    return export_figures.all_figures(state)


@pytest.mark.export
def test_every_figure_kind_in_every_format(figures):
    kinds = {}
    for view, name, fig in figures:
        kinds.setdefault(f"{view}-{name}", fig)
    assert len(kinds) >= 17
    for i, fig in enumerate(kinds.values()):
        s = slide(fig, caption="LSTM H=8 · seed=0<br>http://localhost/?cell=lstm")
        for fmt in render.FORMATS if i < 4 else ("png",):  # every format on a few kinds, PNG on all of them
            check_format(render.to_bytes(s, fmt, scale=2), fmt, SLIDE_WIDTH, SLIDE_HEIGHT, 2)


@pytest.mark.export
@pytest.mark.parametrize("fmt", ["svg", "pdf", "html"])
def test_all_kinds_in_vector_formats(figures, fmt):
    for *_, fig in figures[::3]:
        check_format(render.to_bytes(slide(fig), fmt), fmt, SLIDE_WIDTH, SLIDE_HEIGHT, 1)


def test_png_scale_gives_pixel_size():
    fig = slide(go.Figure(go.Scatter(y=[1, 3, 2])))
    for scale in (1, 3):
        assert png_size(render.to_bytes(fig, "png", scale=scale)) == (1600 * scale, 900 * scale)


def test_korean_renders_real_glyphs():
    """Missing glyphs render as identical boxes: two different titles of equal length must differ."""
    def title_png(title):
        fig = go.Figure(go.Scatter(y=[1, 2]), layout={"title": title, "width": 600, "height": 300})
        return render.to_bytes(slide(fig).update_layout(width=600, height=300), "png", scale=1)
    a, b, c = title_png("기울기 소실"), title_png("셀의 상태값"), title_png("기울기 소실")
    assert a == c  # deterministic
    assert a != b


def test_caption_names_settings_and_permalink():
    st = AppState().with_(cell="gru", seed=7, clip="norm", clip_threshold=0.5, lang="en")
    cap = captions.caption(st, "http://x/?cell=gru&seed=7")
    assert "GRU H=35" in cap and "seed 7" in cap and "clipping: By norm at 0.5" in cap
    assert cap.endswith("?cell=gru&amp;seed=7")  # Plotly text: the entity shows as "&"


def test_captions_describe_the_figure_drawn():
    """The comparison's slide names its three cells, clipping's its two runs, the cliff Pascanu's one-unit RNN
    (not the page's model)."""
    st = AppState().with_(lang="en", cell="rnn", nonlinearity="tanh", clip_threshold=0.25)
    compare = captions.caption(st.with_(view="compare"), "http://x/", trained_rho=0.9, figure="sensitivity")
    assert compare.startswith("RNN (tanh) · LSTM · GRU H=35") and "ρ=" not in compare
    clip = captions.caption(st.with_(view="clipping"), "http://x/", figure="grad-norms")
    assert "no clipping vs clipping by norm at 0.25" in clip
    cliff_cap = captions.caption(st.with_(view="clipping"), "http://x/", figure="cliff")
    assert cliff_cap.startswith("Pascanu et al. (2013)'s one-unit RNN") and "H=" not in cliff_cap


# English words a Korean caption may keep: model and method names, symbols
ALLOWED = {"RNN", "LSTM", "GRU", "BPTT", "tanh", "ReLU", "IRNN", "np", "Adam", "SGD", "RMSprop", "MSE", "PyTorch",
           "Pascanu", "H", "T", "k", "E", "w", "b", "x", "t", "lr", "NNLM", "C", "n", "d", "nn", "Embedding", "uRNN"}


def test_korean_captions_have_no_english_words():
    """Every scenario's slide captions in Korean, for every view and the cliff: no ASCII word outside ALLOWED
    (the permalink line and the user's own text aside)."""
    from viz_app.state.fields import baseline
    for name in [""] + scenarios.names():
        st = (baseline(name) if name else AppState()).with_(lang="ko")
        for view in views.names():
            for figure in ("main", "cliff"):
                cap = captions.caption(st.with_(view=view), "http://x/?q", trained_rho=0.5, figure=figure)
                line = cap.split("<br>")[0].replace(escape.plot(escape.shorten(st.text, 40)), "")
                line = re.sub(r"</?su[bp]>", " ", line)  # Plotly's sub- and superscript tags
                words = set(re.findall(r"[A-Za-z]+", line)) - ALLOWED
                assert not words, (name, view, figure, words, line)


def test_permalinks_are_absolute_and_reopen_the_same_settings(monkeypatch):
    """The caption's link starts with the public address (RNN_VIZ_PUBLIC_URL, else the page's own) and its query
    opens the same settings."""
    from urllib.parse import parse_qsl, urlsplit
    from viz_app.state.fields import baseline
    monkeypatch.delenv(captions.PUBLIC_URL, raising=False)
    st = baseline("exploding").with_(view="clipping", clip_threshold=0.25, lang="ko")
    link = captions.permalink(st, captions.public_base("http://10.0.0.5:8501/?view=unroll#x"))
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "10.0.0.5:8501", "/")
    again, notices = from_params(dict(parse_qsl(parts.query)))
    assert notices == [] and again == st
    assert ("lang", "ko") in parse_qsl(parts.query)  # the slide's language, whatever the reader's browser says
    monkeypatch.setenv(captions.PUBLIC_URL, "https://rnn.example.edu/course")
    assert captions.permalink(st, captions.public_base("http://10.0.0.5:8501/")).startswith(
        "https://rnn.example.edu/course/?")
    monkeypatch.delenv(captions.PUBLIC_URL)
    assert captions.public_base("").startswith("http://") and "://" in captions.caption(st, captions.permalink(
        st, captions.public_base("")))


def test_file_names_are_unique_across_scenarios_and_settings():
    """One name per (scenario, view, figure, settings drawn): no two scenarios' files collide in one folder; how a
    page is shown (language, presentation) does not change the name."""
    from viz_app.state.fields import baseline
    names = {}
    for name in [""] + scenarios.names():
        st = baseline(name) if name else AppState()
        for view in views.names():
            f = captions.file_name(st.with_(view=view), "fig", "png")
            assert f not in names, (f, name, names.get(f))
            names[f] = name
            assert f.startswith(f"{name or 'custom'}-{view}-fig-")
    st = AppState()
    assert captions.file_name(st, "a", "png") != captions.file_name(st.with_(hidden_size=64), "a", "png")
    assert captions.file_name(st, "a", "png") == captions.file_name(st.with_(lang="en", present=1), "a", "png")


@pytest.mark.export
def test_cli_picks_one_figure_and_joins_a_deck(tmp_path, capsys):
    """--view / --figure write exactly the one file; two links with --deck give one PDF with a page per figure,
    in the links' order."""
    from pypdf import PdfReader
    code = cli.main(["--scenario", "vanishing", "--view", "eigen", "--figure", "decay", "--format", "html",
                        "--out", str(tmp_path / "one")])
    assert code == 0
    (only,) = (tmp_path / "one").iterdir()
    assert only.name.startswith("vanishing-eigen-decay-") and only.suffix == ".html"
    assert cli.main(["--scenario", "hello", "--figure", "no-such", "--format", "html",
                        "--out", str(tmp_path / "none")]) == 2
    code = cli.main(["--url", "?view=eigen&epochs=10", "--url", "http://h/?view=unroll&epochs=10", "--format",
                        "pdf", "--deck", "--scale", "1", "--out", str(tmp_path / "deck"),
                        "--base-url", "https://rnn.example.edu/"])
    assert code == 0
    pages = sorted(p.name for p in (tmp_path / "deck").glob("custom-*.pdf"))
    assert len(pages) == 3 and len(PdfReader(tmp_path / "deck" / "deck.pdf").pages) == 3
    assert "deck: deck.pdf" in capsys.readouterr().out


@pytest.mark.export
def test_batch_exporter_on_a_scenario(tmp_path, capsys):
    code = cli.main(["--scenario", "vanishing", "--format", "png", "--out", str(tmp_path), "--scale", "1"])
    assert code == 0
    files = sorted(tmp_path.glob("*.png"))
    assert len(files) >= 15
    for f in files:
        check_format(f.read_bytes(), "png", SLIDE_WIDTH, SLIDE_HEIGHT, 1)
    assert "wrote" in capsys.readouterr().out


def test_batch_exporter_from_a_url_and_bad_input(tmp_path, capsys):
    code = cli.main(["--url", "http://host:8501/?cell=gru&epochs=10&text=hello&lr=oops", "--format", "html",
                        "--out", str(tmp_path)])
    assert code == 0
    assert "ignored lr=oops" in capsys.readouterr().err
    assert all(b"Plotly.newPlot" in f.read_bytes() for f in tmp_path.glob("*.html"))
    assert [p.name.split("-")[:3] for p in tmp_path.iterdir()] == [["custom", "unroll", "network"]]  # its view
    with pytest.raises(SystemExit):
        cli.main(["--scenario", "no-such-scenario"])


def test_scenarios_file_parses_cleanly():
    for name in scenarios.names():
        _, notices = from_params(scenarios.params(name))
        assert notices == [], name
        assert scenarios.title(name, "ko") and scenarios.title(name, "en")
        assert scenarios.text(name, "ko") and scenarios.text(name, "en")


def test_no_chrome_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(render, "chrome_path", lambda: None)
    monkeypatch.setattr(render, "_STARTED", False)
    with pytest.raises(render.ExportError, match="apt-get install chromium"):
        render.to_bytes(go.Figure(), "png")
    assert b"Plotly.newPlot" in render.to_bytes(go.Figure(), "html")


def test_caption_quotes_the_trained_radius_beside_the_initial_one():
    """The vanishing scenario sets rho = 0.6 at initialisation; the slide shows W_hh after training."""
    import numpy as np
    from engine import experiment
    from viz_app.export import figures as export_figures
    from viz_app.state.fields import baseline
    st = baseline("vanishing")
    w = experiment.run(st.run_config()).net.recurrent.weight_hh_l0.detach().double().numpy()
    rho = float(np.abs(np.linalg.eigvals(w)).max())
    cap = captions.caption(st, "http://x/?scenario=vanishing", trained_rho=export_figures.trained_rho(st))
    assert "ρ₀=0.6" in cap and f"ρ={rho:.3g}" in cap and abs(rho - 0.6) > 0.05
    assert captions.file_name(st, "decay", "png").startswith("vanishing-eigen-decay")


def test_cli_refuses_a_bad_scale(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--scenario", "hello", "--format", "png", "--scale", "1e6"])
    assert e.value.code == 2 and "between 0.25 and 8" in capsys.readouterr().err
    with pytest.raises(render.ExportError):
        render.to_bytes(go.Figure(), "png", scale=0)


@pytest.mark.export
def test_a_browser_that_does_not_answer_ends_with_a_message_not_a_hang(tmp_path):
    """BROWSER_PATH=/bin/true starts and exits at once; Kaleido then waits forever. The CLI stops within the
    timeout with one sentence, and the app's lock is free again. (One view's figures: the others' trainings come
    before the first render and would only lengthen the test.)"""
    import os
    import subprocess
    import sys
    import time
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "BROWSER_PATH": "/bin/true", "RNN_VIZ_EXPORT_TIMEOUT": "8", "PYTHONPATH": str(root)}
    start = time.time()
    args = ["--scenario", "hello", "--view", "unroll", "--format", "png", "--out", str(tmp_path)]
    out = subprocess.run([sys.executable, "-m", "viz_app.export", *args], cwd=root, env=env, capture_output=True,
                         text=True, timeout=240)
    assert out.returncode == 1 and "did not answer within 8 s" in out.stderr, out.stderr[-1500:]
    assert time.time() - start < 200


@pytest.mark.slow
def test_the_deck_trains_the_same_bits_as_the_page():
    """The exporter trains in its own process; on the workers' thread count its runs are the page's, bit for bit
    (with batch 256 one and two torch threads differ in the losses' last bits)."""
    from engine import experiment
    from viz_app.export import figures as export_figures
    from viz_app.compute import runs
    cfg = experiment.RunConfig(cell="lstm", hidden_size=128, num_layers=3, task="copy", length=48, batch=256,
                               epochs=4, seed=3)  # measured: one and two threads differ here
    page = runs.train(cfg, "en")
    assert page.history.loss.tobytes() == export_figures._run(cfg).history.loss.tobytes()


def test_exports_waiting_take_turns_across_clients_and_the_lecturers_go_first():
    """The render service is one Kaleido at a time. A student (an address) asking for four large images, then another
    student, then the lecturer (the server's own machine: no address): the lecturer's export goes next, then each
    student's next in turn; a waiter whose time runs out leaves the queue and the others go on."""
    from viz_app.export.render import FairLock

    lock, order = FairLock(), []
    assert lock.acquire("10.0.0.9")  # an export running

    def wait(client, name, timeout=10.0):
        if lock.acquire(client, timeout=timeout):
            order.append(name)
            time.sleep(0.02)
            lock.release()
        else:
            order.append(f"{name} gave up")

    threads = []
    for client, name in [("10.0.0.1", "s1"), ("10.0.0.1", "s2"), ("10.0.0.1", "s3"), ("10.0.0.1", "s4"),
                         ("10.0.0.2", "t1"), (None, "lecturer")]:
        threads.append(threading.Thread(target=wait, args=(client, name)))
        threads[-1].start()
        time.sleep(0.05)  # arrival order
    late = threading.Thread(target=wait, args=("10.0.0.3", "u1", 0.1))
    late.start()
    late.join()  # its time ran out while the first export ran
    lock.release()
    for th in threads:
        th.join()
    assert order == ["u1 gave up", "lecturer", "s1", "t1", "s2", "s3", "s4"]


def test_a_png_larger_than_the_servers_largest_is_refused_before_the_browser():
    """One export holds the one Chromium: a 5000 x 5000 figure at scale 8 (1.6 billion pixels) was accepted. The app's
    largest PNG (a 1600 x 900 slide at 4x) is made; beyond it, one sentence naming the way out, no browser started."""
    fig = go.Figure(layout={"width": 1600, "height": 900})
    assert 1600 * 900 * 16 <= render.MAX_PIXELS
    with pytest.raises(render.ExportError, match="larger than this server makes.*SVG or PDF"):
        render.to_bytes(go.Figure(layout={"width": 5000, "height": 5000}), "png", scale=8)
    with pytest.raises(render.ExportError, match="12800 x 7200 pixels"):
        render.to_bytes(fig, "png", scale=8)

"""Figures for slides: PNG / SVG / PDF through one persistent Kaleido (Debian's chromium), self-contained HTML, and
a command-line batch exporter.

One Kaleido browser serves the whole process (started on first use, MathJax off: it would be fetched from a CDN,
and offline that is a hang, not an error); calls are serialised with a lock, because Streamlit runs each session in
its own thread and concurrent Kaleido calls have been reported to swap results.

    python -m viz_app.export --scenario vanishing --format pdf --deck --out slides/
    python -m viz_app.export --url 'https://rnn.example.edu/?view=eigen&rho=0.6' --figure decay --format png
    python -m viz_app.export --lecture lecture.json --format pdf --out handout/
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import plotly.graph_objects as go

from engine import cliff

from . import safe, scenarios
from .i18n import chart_math, option, t
from .state import VIEWS as VIEW_NAMES
from .state import from_params, to_params
from .theme import slide

FORMATS = ("png", "svg", "pdf", "html")
MIME = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf", "html": "text/html"}
INSTALL_HINT = "sudo apt-get install chromium"
_LOCK = threading.Lock()
_STARTED = False
EXPORT_TIMEOUT = float(os.environ.get("RNN_VIZ_EXPORT_TIMEOUT", "60"))  # seconds for one figure
MIN_SCALE, MAX_SCALE = 0.25, 8.0  # PNG pixel scale
MIN_SIDE, MAX_SIDE = 100, 5000  # figure width / height in pixels


class ExportError(RuntimeError):
    """A figure could not be rendered to the requested format."""


def chrome_path() -> str | None:
    """The Chrome / Chromium Kaleido will use, or None when there is none."""
    for name in (os.environ.get("BROWSER_PATH"), "chromium", "chromium-browser", "google-chrome", "chrome"):
        if name and (found := shutil.which(name) or (name if Path(name).is_file() else None)):
            return found
    return None


def _ensure_server() -> None:
    global _STARTED
    if not _STARTED:
        import kaleido

        path = chrome_path()
        if path is None:
            raise ExportError(f"no Chrome or Chromium found for static export; install one: {INSTALL_HINT}")
        os.environ.setdefault("BROWSER_PATH", path)
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)
        _STARTED = True


def to_bytes(fig: go.Figure, fmt: str, *, scale: float = 2.0, timeout: float | None = None) -> bytes:
    """The figure as ``fmt`` (png, svg, pdf, html) at its layout's width x height (PNG pixels: times ``scale``).

    A browser that does not answer within ``timeout`` seconds (EXPORT_TIMEOUT by default) gives an ExportError,
    the lock is released and the next call starts a new browser: a broken Chromium never holds the app's exports."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {FORMATS}")
    if not (isinstance(scale, int | float) and MIN_SCALE <= scale <= MAX_SCALE):
        raise ExportError(f"scale must be between {MIN_SCALE} and {MAX_SCALE}, got {scale!r}")
    width = fig.layout.width or 1600
    height = fig.layout.height or 900
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ExportError(f"width and height must be between {MIN_SIDE} and {MAX_SIDE} pixels, got {width} x {height}")
    if fmt == "html":  # self-contained: plotly.js embedded, opens offline
        return fig.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False}).encode()
    opts = {"format": fmt, "width": width, "height": height, "scale": scale if fmt == "png" else 1}
    limit = EXPORT_TIMEOUT if timeout is None else timeout
    if not _LOCK.acquire(timeout=limit):
        raise ExportError(f"another export is still running after {limit:g} s; try again")
    try:
        _ensure_server()
        import kaleido

        done, box = threading.Event(), {}

        def render():  # in a daemon thread: one stuck in a dead browser never blocks the process from exiting
            try:
                box["bytes"] = kaleido.calc_fig_sync(fig, opts=opts)
            except Exception as e:  # Kaleido / chromium failures of any kind reach the user as one sentence
                box["error"] = e
            done.set()

        threading.Thread(target=render, daemon=True, name="kaleido-render").start()
        if not done.wait(limit):
            _reset_server()
            raise ExportError(f"{fmt.upper()} export: the browser did not answer within {limit:g} s")
        if "error" in box:
            raise ExportError(f"{fmt.upper()} export failed: {box['error']}") from box["error"]
        return box["bytes"]
    finally:
        _LOCK.release()


def _reset_server() -> None:
    """Forget a browser that stopped answering (stopping it in the background, which may hang too)."""
    global _STARTED
    _STARTED = False
    import kaleido

    threading.Thread(target=kaleido.stop_sync_server, kwargs={"silence_warnings": True}, daemon=True).start()


PUBLIC_URL = "RNN_VIZ_PUBLIC_URL"  # the app's public address (e.g. https://rnn.example.edu/): captions' permalinks


def public_base(request_url: str = "") -> str:
    """The address a caption's permalink starts with: the RNN_VIZ_PUBLIC_URL setting, else the request's own address
    (the page the lecturer has open), else Streamlit's browser.serverAddress / serverPort (the exporter's guess)."""
    base = os.environ.get(PUBLIC_URL, "").strip() or request_url.split("?")[0].split("#")[0]
    if not base:
        from streamlit import config
        base = f"http://{config.get_option('browser.serverAddress')}:{config.get_option('browser.serverPort')}/"
    return base if base.endswith("/") else base + "/"


def permalink(state, base: str) -> str:
    """The absolute address that reproduces ``state``'s figure, in its language (a link without one opens in the
    reader's browser language: a Korean slide's link would open in English for some students)."""
    # a lecture deck in the page's link is the lecture's, not this figure's
    params = {k: v for k, v in to_params(state).items() if k not in ("deck", "deck_at")}
    query = "&".join(f"{k}={quote(v)}" for k, v in {"lang": state.lang, **params}.items())
    return f"{base}?{query}" if query else base


def caption(state, permalink: str, *, trained_rho: float | None = None, figure: str = "") -> str:
    """What the figure drawn is (model or models, settings, seed; in the state's language) and the URL that
    reproduces it. ``trained_rho``: the spectral radius of the W_hh drawn (after training), quoted beside the
    radius it was set to at initialisation; ``figure``: the figure's name, for views whose figures are not the
    page's model (the comparison's three cells, clipping's two runs, Pascanu's one-unit cliff)."""
    lang = state.lang
    if state.view == "clipping" and figure == "cliff":
        return chart_math(t("cap.cliff", lang, steps=cliff.STEPS, lr=cliff.DEMO_LR, clip=cliff.DEMO_CLIP)) + \
            "<br>" + safe.plot(permalink)
    if state.view == "nnlm":  # its own two models on its own text
        from .views import nnlm as page
        cell = option(f"{state.cell}_{state.nonlinearity}" if state.cell == "rnn" else state.cell, lang)
        return chart_math(t("cap.nnlm", lang, n=state.window, cell=cell, h=page.HIDDEN, epochs=page.EPOCHS,
                            sentences=page.SENTENCES, gap=state.gap, seed=state.seed)) + "<br>" + safe.plot(permalink)
    if state.view == "embed":  # its own two models on its own sentences
        cell = option(f"{state.cell}_{state.nonlinearity}" if state.cell == "rnn" else state.cell, lang)
        return chart_math(t("cap.embed", lang, cell=cell, d=state.embed_dim, seed=state.seed)) + "<br>" + \
            safe.plot(permalink)
    if state.view == "compare":
        cell = " · ".join(option(c, lang) for c in ("rnn_tanh", "lstm", "gru"))
        trained_rho = None  # three models: no one W_hh
    else:
        cell = option(f"{state.cell}_{state.nonlinearity}" if state.cell == "rnn" else state.cell, lang)
    text = safe.plot(safe.shorten(state.text, 40))  # the user's text: no live link or tag in a slide
    task = option(state.task, lang) + (f" “{text}”" if state.task == "char_lm" else f" T={state.length}")
    rho = f" ρ₀={state.rho:g}" if state.rho else ""
    if trained_rho is not None:
        rho += f" → ρ={trained_rho:.3g}" if state.epochs else f" ρ={trained_rho:.3g}"
    if state.view == "clipping":  # its two runs: without clipping, and clipped at the view's threshold
        clip = t("cap.clip_pair", lang, thr=state.clip_threshold)
    elif state.clip == "none":
        clip = t("cap.no_clip", lang)
    else:
        clip = t("cap.clip", lang, mode=option(state.clip, lang), thr=state.clip_threshold)
    shape = [t("cap.bidirectional", lang)] if state.bidirectional else []
    shape += [t("cap.residual", lang)] if state.residual else []
    parts = [f"{cell} H={state.hidden_size} " + t("cap.layers", lang, n=state.num_layers) + "".join(
                 f" {s}" for s in shape),
             t("cap.init", lang, init=_init_text(state, lang)) + rho, t("cap.task", lang, task=task)]
    if (state.loss, state.reduce) != ("cross_entropy", "mean"):
        parts.append(t("cap.loss", lang, loss=option(state.loss, lang), reduce=option(state.reduce, lang)))
    paused = state.paused_at >= 0  # watching it learn: the training stopped there (every run of the figure)
    parts += [t("cap.paused" if paused else "cap.training", lang, opt=option(state.optimizer, lang), lr=state.lr,
                n=state.epochs, at=state.paused_at), clip,
              t("cap.tbptt", lang, k=state.tbptt) if state.tbptt else t("cap.full_bptt", lang),
              t("cap.seed", lang, seed=state.seed)]
    return " · ".join(parts) + "<br>" + safe.plot(permalink)


def _init_text(state, lang: str) -> str:
    """The initialisation; the comparison's gated cells start orthogonal where the RNN is unitary (a uRNN)."""
    if state.view == "compare" and state.init == "unitary":
        return f"{option('unitary', lang)} (RNN) / {option('orthogonal', lang)} (LSTM, GRU)"
    return option(state.init, lang)


# what a figure's file name does not depend on: how the page is shown, not what it draws
_NOT_DRAWN = ("lang", "present", "hide", "caption", "slide", "lecture", "png_scale", "deck", "deck_at")


def file_name(state, name: str, fmt: str) -> str:
    """One name per figure and setting, shared by the download buttons and the exporter: the scenario (or
    "custom"), the view, the figure and a digest of every setting it is drawn from, so two scenarios, or two
    settings of one, exported into one folder never overwrite each other."""
    params = {k: v for k, v in to_params(state).items() if k not in _NOT_DRAWN}
    params["view"] = state.view
    digest = hashlib.sha1("&".join(f"{k}={v}" for k, v in sorted(params.items())).encode()).hexdigest()[:8]
    return f"{state.scenario or 'custom'}-{state.view}-{name}-{digest}.{fmt}"


def _progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label[:50]:50s}")
    sys.stderr.flush()


def batch(state, out: Path, fmt: str, *, background: str = "light", scale: float = 2.0, base_url: str = "",
          with_caption: bool = True, views: tuple[str, ...] | None = None, figure: str | None = None,
          progress=_progress) -> list[Path]:
    """Write the figures of ``views`` (default: every view, in the app's order; ``figure``: only that one) for
    ``state``'s settings into ``out``; returns the files written. Captions link to ``base_url`` (public_base)."""
    out.mkdir(parents=True, exist_ok=True)
    from . import deck  # the views (which export from the page) are what the deck draws
    figures = [f for f in deck.all_figures(state, views) if figure is None or f[1] == figure]
    rho = deck.trained_rho(state)
    base = base_url or public_base()
    written = []
    for i, (view, name, fig) in enumerate(figures):
        view_state = state.with_(view=view)
        cap = caption(view_state, permalink(view_state, base), trained_rho=rho, figure=name) if with_caption \
            else None
        path = out / file_name(view_state, name, fmt)
        path.write_bytes(to_bytes(slide(fig, background=background, caption=cap), fmt, scale=scale))
        written.append(path)
        progress(i + 1, len(figures), path.name)
    if progress is _progress and figures:
        sys.stderr.write("\n")
    return written


def merge_pdfs(pages: list[Path], target: Path) -> Path:
    """One PDF with the pages of ``pages`` in order (the whole deck)."""
    from pypdf import PdfWriter
    writer = PdfWriter()
    for page in pages:
        writer.append(str(page))
    with open(target, "wb") as f:
        writer.write(f)
    return target


def _scale(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {raw!r}") from None
    if not MIN_SCALE <= value <= MAX_SCALE:
        raise argparse.ArgumentTypeError(f"must be between {MIN_SCALE:g} and {MAX_SCALE:g}, got {raw}")
    return value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m viz_app.export", description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--scenario", choices=scenarios.names(), help="a scenario from assets/scenarios.json")
    src.add_argument("--lecture", type=Path,
                     help="a lecture deck (JSON, viz_app/lecture.py): one handout, a page (PDF) or a section (HTML) "
                          "per entry with its main figure, note, link and QR code")
    src.add_argument("--url", action="append",
                     help="an app URL (or just its ?query) whose settings to export; repeat it for a deck of links "
                          "(each link: its own view)")
    ap.add_argument("--view", action="append", choices=VIEW_NAMES,
                    help="only this view's figures (repeatable); default: every view (a --url: its view)")
    ap.add_argument("--figure", help="only the figure of this name (e.g. decay, network, cliff)")
    ap.add_argument("--deck", action="store_true",
                    help="also join the PDFs into one deck, one page per figure in lecture order (--format pdf)")
    ap.add_argument("--format", choices=FORMATS, default="pdf")
    ap.add_argument("--out", type=Path, default=Path("slides"))
    ap.add_argument("--background", choices=("light", "dark"), default="light")
    ap.add_argument("--scale", type=_scale, default=2.0,
                    help=f"PNG pixel scale, {MIN_SCALE:g} to {MAX_SCALE:g} (2 = 3200 x 1800)")
    ap.add_argument("--lang", choices=("ko", "en"))
    ap.add_argument("--base-url", default="",
                    help=f"the app's public address for the captions' links (default: ${PUBLIC_URL}, else "
                         "Streamlit's browser.serverAddress and serverPort)")
    ap.add_argument("--no-caption", action="store_true")
    a = ap.parse_args(argv)
    if a.deck and a.format != "pdf":
        ap.error("--deck joins PDFs: use it with --format pdf")
    if a.lecture:
        return _lecture(a)
    jobs = []  # (state, views)
    if a.scenario:
        state = _state({"scenario": a.scenario})  # the scenario's settings, as its link opens them
        jobs.append((state, tuple(a.view) if a.view else None))
    else:
        from urllib.parse import parse_qsl, urlsplit
        for url in a.url:
            state = _state(dict(parse_qsl(urlsplit(url).query or url.lstrip("?"))))
            jobs.append((state, tuple(a.view) if a.view else (state.view,)))
    if a.lang:
        jobs = [(s.with_(lang=a.lang), v) for s, v in jobs]
    if a.format != "html" and chrome_path() is None:
        print(f"no Chrome or Chromium found for {a.format}; install one ({INSTALL_HINT}) or use --format html",
              file=sys.stderr)
        return 2
    try:
        files = []
        for state, views in jobs:
            files += batch(state, a.out, a.format, background=a.background, scale=a.scale,
                           base_url=public_base(a.base_url), with_caption=not a.no_caption, views=views,
                           figure=a.figure)
        if not files:
            where = ", ".join(sorted({v for _, views in jobs for v in views or ()})) or "any view"
            print(f"no figure named {a.figure!r} in {where}", file=sys.stderr)
            return 2
        if a.deck:
            name = f"{a.scenario}-deck.pdf" if a.scenario else "deck.pdf"
            files.append(merge_pdfs(files, a.out / name))
    except Exception as e:  # one clear line, not a traceback
        print(f"export failed: {e}", file=sys.stderr)
        return 1
    print(f"wrote {len(files)} files to {a.out}/" + (f" (deck: {files[-1].name})" if a.deck else ""))
    return 0


def handout(title: str, entries, out: Path, fmt: str, *, lang: str | None = None, background: str = "light",
            base_url: str = "", progress=_progress) -> Path:
    """The lecture deck's handout in ``out``: one PDF with a page per entry (``fmt`` "pdf") or one HTML file.
    Each page: the entry's main figure (its view's first), its title, note, link and QR code."""
    from . import deck, lecture
    out.mkdir(parents=True, exist_ok=True)
    base = base_url or public_base()
    pages, sections = [], []
    for i, entry in enumerate(entries, 1):
        state, _ = lecture.state_of(entry)
        state = state.with_(lang=lang) if lang else state
        view, name, fig = deck.all_figures(state, (state.view,))[0]
        link = permalink(state, base)
        if fmt == "pdf":
            path = out / f"handout-{i:02d}-{file_name(state, name, 'pdf')}"
            path.write_bytes(to_bytes(lecture.handout_page(fig, entry, link, i, background=background), "pdf"))
            pages.append(path)
        else:
            sections.append((entry, link, fig.to_html(full_html=False, include_plotlyjs="inline" if i == 1 else False,
                                                      config={"displaylogo": False})))
        progress(i, len(entries), entry.title)
    if progress is _progress:
        sys.stderr.write("\n")
    target = out / f"handout.{fmt}"
    if fmt == "pdf":
        merge_pdfs(pages, target)
    else:
        target.write_text(lecture.handout_html(title, sections, lang or "ko", base), encoding="utf-8")
    return target


def _lecture(a) -> int:
    from . import lecture
    if a.format not in ("pdf", "html"):
        print("a lecture handout is a PDF or an HTML file: use --format pdf or --format html", file=sys.stderr)
        return 2
    if a.format == "pdf" and chrome_path() is None:
        print(f"no Chrome or Chromium found for pdf; install one ({INSTALL_HINT}) or use --format html",
              file=sys.stderr)
        return 2
    try:
        title, entries = lecture.parse(a.lecture.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, lecture.DeckError) as e:
        print(f"cannot read the lecture deck {a.lecture}: {e}", file=sys.stderr)
        return 2
    try:
        target = handout(title, entries, a.out, a.format, lang=a.lang, background=a.background,
                         base_url=public_base(a.base_url))
    except Exception as e:  # one clear line, not a traceback
        print(f"export failed: {e}", file=sys.stderr)
        return 1
    print(f"wrote the handout of {len(entries)} entries to {target}")
    return 0


def _state(params: dict):
    state, notices = from_params(params)
    for name, value, (key, values) in notices:
        print(f"ignored {name}={value}: {t(f'reason.{key}', 'en', **values)}", file=sys.stderr)
    return state


if __name__ == "__main__":
    raise SystemExit(main())

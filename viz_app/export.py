"""Figures for slides: PNG / SVG / PDF through one persistent Kaleido (Debian's chromium), self-contained HTML, and
a command-line batch exporter.

One Kaleido browser serves the whole process (started on first use, MathJax off: it would be fetched from a CDN,
and offline that is a hang, not an error); calls are serialised with a lock, because Streamlit runs each session in
its own thread and concurrent Kaleido calls have been reported to swap results.

    python -m viz_app.export --scenario vanishing --format pdf --out slides/
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import plotly.graph_objects as go

from . import safe, scenarios
from .i18n import t
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


def caption(state, permalink: str, *, trained_rho: float | None = None) -> str:
    """Model, task, seed and key settings, and the URL that reproduces the figure. ``trained_rho``: the spectral
    radius of the W_hh drawn (after training), quoted beside the radius it was set to at initialisation."""
    cell = state.cell.upper() + (f" ({state.nonlinearity})" if state.cell == "rnn" else "")
    text = safe.plot(safe.shorten(state.text, 40))  # the user's text: no live link or tag in a slide
    task = state.task + (f" “{text}”" if state.task == "char_lm" else f" T={state.length}")
    rho = f" ρ₀={state.rho:g}" if state.rho else ""
    if trained_rho is not None:
        rho += f" → ρ={trained_rho:.3g}" if state.epochs else f" ρ={trained_rho:.3g}"
    loss = "" if (state.loss, state.reduce) == ("cross_entropy", "mean") else f"loss={state.loss}({state.reduce})"
    parts = [f"{cell} H={state.hidden_size} L={state.num_layers}", f"init={state.init}" + rho, f"task={task}",
             *([loss] if loss else []), f"{state.optimizer} lr={state.lr:g}", f"epochs={state.epochs}",
             f"clip={state.clip}" + (f"@{state.clip_threshold:g}" if state.clip != "none" else ""),
             f"tbptt={state.tbptt}", f"seed={state.seed}"]
    return " · ".join(parts) + "<br>" + safe.plot(permalink)


def file_name(state, name: str, fmt: str) -> str:
    """One name per figure and setting: two scenarios exported into one folder do not overwrite each other."""
    prefix = f"{state.scenario}-" if state.scenario else ""
    return f"{prefix}{state.view}-{name}-{state.cell}-seed{state.seed}.{fmt}"


def _progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label[:50]:50s}")
    sys.stderr.flush()


def batch(state, out: Path, fmt: str, *, background: str = "light", scale: float = 2.0, base_url: str = "",
          with_caption: bool = True, progress=_progress) -> list[Path]:
    """Write every figure of every view for ``state``'s settings into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    from . import deck  # the views (which export from the page) are what the deck draws
    figures = deck.all_figures(state)
    rho = deck.trained_rho(state)
    written = []
    for i, (view, name, fig) in enumerate(figures):
        view_state = state.with_(view=view)
        query = "&".join(f"{k}={quote(v)}" for k, v in to_params(view_state).items())
        cap = caption(view_state, f"{base_url}?{query}", trained_rho=rho) if with_caption else None
        path = out / file_name(view_state, name, fmt)
        path.write_bytes(to_bytes(slide(fig, background=background, caption=cap), fmt, scale=scale))
        written.append(path)
        progress(i + 1, len(figures), path.name)
    if progress is _progress:
        sys.stderr.write("\n")
    return written


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
    src.add_argument("--url", help="an app URL (or just its ?query) whose settings to export")
    ap.add_argument("--format", choices=FORMATS, default="pdf")
    ap.add_argument("--out", type=Path, default=Path("slides"))
    ap.add_argument("--background", choices=("light", "dark"), default="light")
    ap.add_argument("--scale", type=_scale, default=2.0,
                    help=f"PNG pixel scale, {MIN_SCALE:g} to {MAX_SCALE:g} (2 = 3200 x 1800)")
    ap.add_argument("--lang", choices=("ko", "en"))
    ap.add_argument("--no-caption", action="store_true")
    a = ap.parse_args(argv)
    if a.scenario:
        params = {"scenario": a.scenario}  # the scenario's settings, as its link opens them
    else:
        from urllib.parse import parse_qsl, urlsplit
        params = dict(parse_qsl(urlsplit(a.url).query or a.url.lstrip("?")))
    state, notices = from_params(params)
    for name, value, (key, values) in notices:
        print(f"ignored {name}={value}: {t(f'reason.{key}', 'en', **values)}", file=sys.stderr)
    if a.lang:
        state = state.with_(lang=a.lang)
    if a.format != "html" and chrome_path() is None:
        print(f"no Chrome or Chromium found for {a.format}; install one ({INSTALL_HINT}) or use --format html",
              file=sys.stderr)
        return 2
    try:
        files = batch(state, a.out, a.format, background=a.background, scale=a.scale, with_caption=not a.no_caption)
    except Exception as e:  # one clear line, not a traceback
        print(f"export failed: {e}", file=sys.stderr)
        return 1
    print(f"wrote {len(files)} files to {a.out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

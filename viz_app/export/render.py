"""The render service every chart's download uses: PNG / SVG / PDF through one persistent Kaleido (Debian's
chromium), self-contained HTML, and PDFs joined into one.

One Kaleido browser serves the whole process (started on first use, MathJax off: it would be fetched from a CDN,
and offline that is a hang, not an error); calls are serialised, because Streamlit runs each session in its own
thread and concurrent Kaleido calls have been reported to swap results. The exports waiting go in turn across clients
(``FairLock``): the machine running the server (the lecturer's) first, then each client's next export, so a student
asking for many large images does not hold the lecturer's download behind all of them.
"""
from __future__ import annotations

import itertools
import os
import shutil
import threading
import time
from viz_app.compute.turns import Turns
from pathlib import Path

import plotly.graph_objects as go

FORMATS = ("png", "svg", "pdf", "html")
MIME = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf", "html": "text/html"}
INSTALL_HINT = "sudo apt-get install chromium"


class FairLock:
    """A lock whose waiters are served in turn across clients (viz_app/compute/turns.py)."""

    def __init__(self):
        self.cond, self.held, self.waiting, self.arrivals = threading.Condition(), False, [], itertools.count()
        self.turns = Turns()

    def acquire(self, client: str | None = None, timeout: float = -1) -> bool:
        with self.cond:
            me = (client, next(self.arrivals))
            self.waiting.append(me)
            deadline = None if timeout < 0 else time.monotonic() + timeout
            while self.held or self._next() != me:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    self.waiting.remove(me)
                    self.cond.notify_all()  # the next in turn may be another now
                    return False
                self.cond.wait(left)
            self.waiting.remove(me)
            self.held = True
            self.turns.serve(client)
            return True

    def release(self) -> None:
        with self.cond:
            self.held = False
            self.cond.notify_all()

    def _next(self):
        """The waiter whose turn it is (holding self.cond, the lock free)."""
        active = {client for client, _ in self.waiting}
        return self.turns.order([([client], False, arrival, (client, arrival)) for client, arrival in self.waiting],
                                active)[0][0]


_LOCK = FairLock()
_STARTED = False
EXPORT_TIMEOUT = float(os.environ.get("RNN_VIZ_EXPORT_TIMEOUT", "60"))  # seconds for one figure
MIN_SCALE, MAX_SCALE = 0.25, 8.0  # PNG pixel scale
MIN_SIDE, MAX_SIDE = 100, 5000  # figure width / height in pixels
MAX_PIXELS = 6400 * 3600  # a PNG's pixels: the app's largest (a 1600 x 900 slide at 4x); Chromium's memory follows


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


def to_bytes(fig: go.Figure, fmt: str, *, scale: float = 2.0, timeout: float | None = None,
             client: str | None = None) -> bytes:
    """The figure as ``fmt`` (png, svg, pdf, html) at its layout's width x height (PNG pixels: times ``scale``);
    ``client``: who asks, for the turn among the exports waiting (``FairLock``).

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
    if fmt == "png" and width * height * scale * scale > MAX_PIXELS:
        raise ExportError(f"a PNG of {width * scale:.0f} x {height * scale:.0f} pixels is larger than this server "
                          f"makes ({MAX_PIXELS / 1e6:.0f} million pixels); choose a smaller scale, or SVG or PDF")
    if fmt == "html":  # self-contained: plotly.js embedded, opens offline
        return fig.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False}).encode()
    opts = {"format": fmt, "width": width, "height": height, "scale": scale if fmt == "png" else 1}
    limit = EXPORT_TIMEOUT if timeout is None else timeout
    if not _LOCK.acquire(client, timeout=limit):
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


def merge_pdfs(pages: list[Path], target: Path) -> Path:
    """One PDF with the pages of ``pages`` in order (the whole deck)."""
    from pypdf import PdfWriter
    writer = PdfWriter()
    for page in pages:
        writer.append(str(page))
    with open(target, "wb") as f:
        writer.write(f)
    return target

"""The command-line exporter: every figure of a scenario or of links, as slides (PNG / SVG / PDF / HTML, a whole
deck as one PDF), or a lecture deck's handout.

    python -m viz_app.export --scenario vanishing --format pdf --deck --out slides/
    python -m viz_app.export --url 'https://rnn.example.edu/?view=eigen&rho=0.6' --figure decay --format png
    python -m viz_app.export --lecture lecture.json --format pdf --out handout/
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from viz_app.views import names as view_names
from viz_app.export import figures as export_figures
from viz_app.export.captions import PUBLIC_URL, caption, file_name, permalink, public_base
from viz_app.export.render import FORMATS, INSTALL_HINT, MAX_SCALE, MIN_SCALE, chrome_path, merge_pdfs, to_bytes
from viz_app.lecture import codec
from viz_app.lecture import handout as handouts
from viz_app.state import scenarios
from viz_app.state.fields import from_params
from viz_app.text.i18n import t
from viz_app.web.theme import slide


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
    figures = [f for f in export_figures.all_figures(state, views) if figure is None or f[1] == figure]
    rho = export_figures.trained_rho(state)
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
                     help="a lecture deck (JSON, viz_app/lecture/codec.py): one handout, a page (PDF) or a section "
                          "(HTML) "
                          "per entry with its main figure, note, link and QR code")
    src.add_argument("--url", action="append",
                     help="an app URL (or just its ?query) whose settings to export; repeat it for a deck of links "
                          "(each link: its own view)")
    ap.add_argument("--view", action="append", choices=view_names(),
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


def _lecture(a) -> int:
    if a.format not in ("pdf", "html"):
        print("a lecture handout is a PDF or an HTML file: use --format pdf or --format html", file=sys.stderr)
        return 2
    if a.format == "pdf" and chrome_path() is None:
        print(f"no Chrome or Chromium found for pdf; install one ({INSTALL_HINT}) or use --format html",
              file=sys.stderr)
        return 2
    try:
        title, entries = codec.parse(a.lecture.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, codec.DeckError) as e:
        print(f"cannot read the lecture deck {a.lecture}: {e}", file=sys.stderr)
        return 2
    try:
        target = handouts.handout(title, entries, a.out, a.format, lang=a.lang, background=a.background,
                         base_url=public_base(a.base_url), progress=_progress)
        sys.stderr.write("\n")
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

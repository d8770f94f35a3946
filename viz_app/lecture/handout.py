"""The lecture's handout: QR codes of the entries' links, one HTML page with a section per entry, one PDF page per
entry (its main figure as a slide, its note, link and QR code)."""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import plotly.graph_objects as go
import segno

from viz_app.export import figures as export_figures
from viz_app.export.captions import file_name, permalink, public_base
from viz_app.export.render import merge_pdfs, to_bytes
from viz_app.lecture.links import state_of

from viz_app.lecture.codec import Entry, note_html, note_text
from viz_app.text import escape
from viz_app.web.theme import SLIDE_BACKGROUNDS, slide


def qr_svg(url: str, *, scale: int = 4, dark: str = "#000000", light: str = "#FFFFFF") -> str:
    """The URL as a QR code (SVG text, error correction M, quiet zone 2)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=scale, border=2, dark=dark, light=light, xmldecl=False)
    return out.getvalue().decode()


def qr_data_uri(url: str, **kw) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url, **kw).encode()).decode()


def handout_html(title: str, sections: list[tuple[Entry, str, str]], lang: str, base: str = "") -> str:
    """One self-contained page: per entry its title, note, figure (HTML from plotly's ``to_html``, the first
    carrying plotly.js), the link and its QR code. ``sections``: (entry, absolute link, figure HTML)."""
    parts = [f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             "<style>body{font-family:'Source Sans 3','NanumGothic',sans-serif;max-width:1100px;margin:auto}"
             "section{page-break-after:always;margin:2em 0}.qr{float:right;width:140px}"
             "a{word-break:break-all}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>" if title else ""]
    for i, (entry, link, figure) in enumerate(sections, 1):
        parts.append(f"<section><img class='qr' alt='QR' src='{qr_data_uri(link)}'>"
                     f"<h2>{i}. {html.escape(entry.title)}</h2><p>{note_html(entry.note, base)}</p>{figure}"
                     f"<p><a href='{html.escape(link, quote=True)}'>{html.escape(link)}</a></p></section>")
    parts.append("</body></html>")
    return "".join(parts)


def handout_page(fig, entry: Entry, link: str, number: int, *, background: str = "light"):
    """One PDF page of the handout: the entry's main figure as a slide, titled "number. title", with the note and
    the link in the caption and the link's QR code (120 px, about 2 cm on a printed page) at the bottom right."""
    caption = (escape.plot(note_text(entry.note)) + "<br>" if entry.note else "") + escape.plot(link)
    page = slide(fig, background=background, caption=caption)
    page.update_layout(title_text=f"{number}. {escape.plot(entry.title)}")
    paper, ink, _ = SLIDE_BACKGROUNDS.get(background, SLIDE_BACKGROUNDS["light"])
    page.add_layout_image(source=qr_data_uri(link, dark=ink, light=paper), xref="paper", yref="paper", x=1.0,
                          y=-0.11, sizex=0.084, sizey=0.2, xanchor="right", yanchor="top", layer="above",
                          name="qr")
    return page


def sections(entries, *, lang: str | None = None, base_url: str = "", progress=lambda done, total, label: None
             ) -> list[tuple]:
    """What the handout shows of each entry (the heavy part: each entry's run is trained or read from the cache):
    (entry, its absolute link, the figure's file name, the entry's main figure, its view's first, as a dict).
    ``progress(done, total, label)`` hears of each entry."""
    base = base_url or public_base()
    out = []
    for i, entry in enumerate(entries, 1):
        state, _ = state_of(entry)
        state = state.with_(lang=lang) if lang else state
        view, name, fig = export_figures.all_figures(state, (state.view,))[0]
        out.append((entry, permalink(state, base), file_name(state, name, "pdf"), fig.to_dict()))
        progress(i, len(entries), entry.title)
    return out


def write(title: str, parts: list[tuple], out: Path, fmt: str, *, lang: str = "ko", background: str = "light",
          base_url: str = "", client: str | None = None) -> Path:
    """The handout of ``parts`` (``sections``) in ``out``: one PDF with a page per entry (``fmt`` "pdf", through the
    render service's Chromium) or one HTML file. Each page: the entry's figure, its title, note, link and QR code."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"handout.{fmt}"
    if fmt == "pdf":
        pages = []
        for i, (entry, link, name, spec) in enumerate(parts, 1):
            path = out / f"handout-{i:02d}-{name}"
            page = handout_page(go.Figure(spec), entry, link, i, background=background)
            path.write_bytes(to_bytes(page, "pdf", client=client))  # each page takes its turn among the exports
            pages.append(path)
        merge_pdfs(pages, target)
    else:
        html_parts = [(entry, link, go.Figure(spec).to_html(full_html=False, config={"displaylogo": False},
                                                            include_plotlyjs="inline" if i == 1 else False))
                      for i, (entry, link, _, spec) in enumerate(parts, 1)]
        target.write_text(handout_html(title, html_parts, lang, base_url or public_base()), encoding="utf-8")
    return target


def handout(title: str, entries, out: Path, fmt: str, *, lang: str | None = None, background: str = "light",
            base_url: str = "", progress=lambda done, total, label: None) -> Path:
    """The lecture deck's handout in ``out``: one PDF with a page per entry (``fmt`` "pdf") or one HTML file
    (``sections`` then ``write``, in one process: the command line's)."""
    base = base_url or public_base()
    return write(title, sections(entries, lang=lang, base_url=base, progress=progress), out, fmt, lang=lang or "ko",
                 background=background, base_url=base)

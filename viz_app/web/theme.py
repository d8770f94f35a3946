"""Every colour and font of every figure: one colour-blind-safe palette (Okabe & Ito), one layout."""
from __future__ import annotations

import base64
import struct
import zlib

import plotly.graph_objects as go
import plotly.io as pio

# Figures carry only the layout we set below: no embedded default template (smaller JSON, faster to build).
pio.templates.default = "none"
GRID = "#E5E8EE"
AXIS = {"gridcolor": GRID, "zerolinecolor": "#C8CDD6", "linecolor": "#888", "ticks": "outside",
        "tickcolor": "#888", "showline": True, "automargin": True}

# Okabe-Ito: distinguishable with every common colour-vision deficiency
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
SKY, PURPLE, YELLOW, GREY, BLACK = "#56B4E9", "#CC79A7", "#F0E442", "#7F7F7F", "#000000"
# ORANGE as the ink of text (a formula's input part, as its curves are drawn): #E69F00 is 2.1:1 on white, this 4.7:1
ORANGE_TEXT = "#A86400"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW, BLACK)
CELL_COLOURS = {"rnn": BLUE, "lstm": VERMILLION, "gru": GREEN}
DIVERGING = "RdBu_r"  # signed values (h_t, gradients): blue < 0 < red
SEQUENTIAL = "Viridis"  # magnitudes (norm maps), perceptually uniform and colour-blind safe
UNIT = "Cividis"  # gates in [0, 1]
# Latin and Greek from the page's own font (Streamlit's Source Sans) or, in exports, DejaVu Sans; Hangul from Nanum
# (NanumGothic's own γ reads as a Latin ɣ)
FONT = ("'Source Sans', 'Source Sans 3', 'DejaVu Sans', NanumGothic, 'Nanum Gothic', 'Noto Sans CJK KR', "
        "'Malgun Gothic', 'Apple SD Gothic Neo', sans-serif")
NONFINITE = VERMILLION
FONT_SIZE = 14  # chart text on screen (px)
# the page's inline formulas (KaTeX, 1.21 em by default) the size of the sentence around them, in captions too
PAGE_STYLE = "<style>.katex { font-size: 1.08em; }</style>"


# Legends sit at the bottom of the figure, under the axis title (container coordinates: Plotly makes room for them),
# never over the title or the data whatever the title's length and the chart's width.
LEGEND = {"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom", "xref": "paper", "x": 0.0,
          "xanchor": "left"}


def style(fig: go.Figure, *, height: int = 420, title: str | None = None, lecture: bool = False) -> go.Figure:
    """Apply the project's look to a figure (in place) and return it."""
    base = 22 if lecture else FONT_SIZE
    fig.update_layout(
        plot_bgcolor="white", paper_bgcolor="white", xaxis=AXIS, yaxis=AXIS,
        font={"family": FONT, "size": base, "color": "#222"},
        title={"text": title, "font": {"size": base + 4}, "x": 0.0, "xanchor": "left"} if title else None,
        colorway=list(PALETTE),
        height=int(height * (1.3 if lecture else 1.0)),
        margin={"l": 60, "r": 30, "t": 60 if title else 30, "b": 50},
        legend=LEGEND,
        hoverlabel={"font": {"family": FONT}},
    )
    fig.update_yaxes(hoverformat=".4~g")  # a hover label says 0.01234, not 0.0123456789 (a trace's own template rules)
    return fig


def solid(colour: str) -> str:
    """A 1x1 PNG of one colour ("#RRGGBB") as a data URI: a layout image stretched over a region (a highlight band,
    a veil), which the browser moves far more cheaply than a shape (editType arraydraw: no recalculation)."""
    rgb = bytes.fromhex(colour.lstrip("#"))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00" + rgb)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


LOG_TICKS = 4


def log_axis(fig: go.Figure, axis: str = "y", **kw) -> None:
    """A log axis labelled in powers of ten (at most about LOG_TICKS labels: no 2s and 5s crowding between decades
    at a projector's font size)."""
    getattr(fig, f"update_{axis}axes")(type="log", exponentformat="power", nticks=LOG_TICKS, **kw)


SLIDE_WIDTH, SLIDE_HEIGHT = 1600, 900  # 16:9
# A slide's legend: a column right of the plot (its bottom margin carries the caption)
SLIDE_LEGEND = {"orientation": "v", "yref": "paper", "y": 1.0, "yanchor": "top", "xref": "paper", "x": 1.02,
                "xanchor": "left", "font": {"size": 22}}
SLIDE_BACKGROUNDS = {"light": ("#FFFFFF", "#1A1A1A", GRID), "dark": ("#14161A", "#F2F2F2", "#3A3F47")}


def slide(fig: go.Figure, *, background: str = "light", caption: str | None = None) -> go.Figure:
    """A copy of ``fig`` designed for a slide: 16:9 at 1600 x 900, fonts readable from the back of the room,
    white or dark background, and an optional caption line at the bottom (model, settings, permalink)."""
    out = go.Figure(fig)
    paper, ink, grid = SLIDE_BACKGROUNDS.get(background, SLIDE_BACKGROUNDS["light"])
    out.update_layout(width=SLIDE_WIDTH, height=SLIDE_HEIGHT, paper_bgcolor=paper, plot_bgcolor=paper,
                      font={"family": FONT, "size": 26, "color": ink}, title_font_size=34,
                      title_x=0.0, title_xref="paper", title_xanchor="left",
                      margin={"l": 110, "r": 60, "t": 110, "b": 190 if caption else 100},
                      legend=SLIDE_LEGEND)
    out.update_xaxes(gridcolor=grid, linecolor=ink, tickcolor=ink, title_font_size=28)
    out.update_yaxes(gridcolor=grid, linecolor=ink, tickcolor=ink, title_font_size=28)
    out.update_annotations(font_color=ink, font_size=24)  # subplot titles, labels in the plot
    for image in out.layout.images:  # a veil hides what is not yet computed: the slide's own background
        if (image.name or "").endswith("-veil"):
            image.source = solid(paper)
    if out.layout.scene:
        axis = {"gridcolor": grid, "color": ink, "backgroundcolor": paper}
        out.update_scenes(xaxis=axis, yaxis=axis, zaxis=axis)
    if caption:
        # paper coordinates below the plot area: the caption sits in the bottom margin, 15 px above the edge
        top, bottom = out.layout.margin.t, out.layout.margin.b
        y = -(bottom - 15) / (SLIDE_HEIGHT - top - bottom)
        out.add_annotation(text=caption, xref="paper", yref="paper", x=0, y=y, xanchor="left", yanchor="bottom",
                           showarrow=False, align="left", font={"size": 15, "color": GREY})
    return out

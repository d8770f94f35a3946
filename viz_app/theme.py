"""Every colour and font of every figure: one colour-blind-safe palette (Okabe & Ito), one layout."""
from __future__ import annotations

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
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW, BLACK)
CELL_COLOURS = {"rnn": BLUE, "lstm": VERMILLION, "gru": GREEN}
DIVERGING = "RdBu_r"  # signed values (h_t, gradients): blue < 0 < red
SEQUENTIAL = "Viridis"  # magnitudes (norm maps), perceptually uniform and colour-blind safe
UNIT = "Cividis"  # gates in [0, 1]
FONT = "NanumGothic, 'Nanum Gothic', 'Noto Sans CJK KR', 'Malgun Gothic', 'Apple SD Gothic Neo', sans-serif"
NONFINITE = VERMILLION


def style(fig: go.Figure, *, height: int = 420, title: str | None = None, lecture: bool = False) -> go.Figure:
    """Apply the project's look to a figure (in place) and return it."""
    base = 22 if lecture else 14
    fig.update_layout(
        plot_bgcolor="white", paper_bgcolor="white", xaxis=AXIS, yaxis=AXIS,
        font={"family": FONT, "size": base, "color": "#222"},
        title={"text": title, "font": {"size": base + 4}, "x": 0.0, "xanchor": "left"} if title else None,
        colorway=list(PALETTE),
        height=int(height * (1.3 if lecture else 1.0)),
        margin={"l": 60, "r": 30, "t": 60 if title else 30, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "xanchor": "right", "x": 1.0},
        hoverlabel={"font": {"family": FONT}},
    )
    return fig


def log_axis(fig: go.Figure, axis: str = "y", **kw) -> None:
    """A log axis labelled in powers of ten."""
    getattr(fig, f"update_{axis}axes")(type="log", exponentformat="power", **kw)

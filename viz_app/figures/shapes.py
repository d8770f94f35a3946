"""Input/output shapes, each as the unrolled chain of a trained model: which steps take an input, which give an
output, where the loss enters and how large ||dL/dh_t|| is at each step (0 where no gradient flows)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from viz_app.text import escape
from viz_app.web import theme
from viz_app.text.i18n import t


@dataclass(frozen=True, eq=False)
class Chain:
    """One diagram: per step its input's label ("" = no input), output's label ("" = none), loss (NaN = none) and
    ||dL/dh_t|| (None: inference, no gradient at all); ``feedback``: each output is the next input."""

    mode: str  # "many_to_one" | "one_to_many" | "many_to_many"
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    losses: tuple[float, ...]
    grads: tuple[float, ...] | None
    feedback: bool = False


def _fmt(v: float) -> str:
    return f"{v:.2g}".replace("e-0", "e-").replace("e+0", "e+")


def chain_diagram(chain: Chain, *, lang: str) -> go.Figure:
    steps = len(chain.inputs)
    fig = go.Figure()
    shapes, notes = [], []

    def box(x, y, colour):
        shapes.append({"type": "rect", "x0": x - 0.3, "x1": x + 0.3, "y0": y - 0.22, "y1": y + 0.22,
                       "line": {"color": colour, "width": 1.5}, "fillcolor": "rgba(0,0,0,0)"})

    def arrow(x0, y0, x1, y1, colour=theme.BLACK, width=1.5):
        notes.append({"x": x1, "y": y1, "ax": x0, "ay": y0, "xref": "x", "yref": "y", "axref": "x", "ayref": "y",
                      "showarrow": True, "arrowhead": 2, "arrowsize": 1, "arrowwidth": width, "arrowcolor": colour,
                      "text": "", "standoff": 2, "startstandoff": 2})

    top = max((v for v in (chain.grads or ()) if np.isfinite(v)), default=0.0)
    text_x, text_y, texts, colours, sizes = [], [], [], [], []

    def label(x, y, s, colour=theme.BLACK, size=16):
        text_x.append(x)
        text_y.append(y)
        texts.append(s)
        colours.append(colour)
        sizes.append(size)

    for s in range(steps):
        box(s, 1.0, theme.BLUE)
        if chain.grads is None:
            label(s, 1.0, f"h<sub>{s}</sub>", theme.BLUE)
        label(s, -0.45, f"t={s}", theme.GREY, 12)
        if s > 0:
            arrow(s - 0.7, 1.08, s - 0.3, 1.08)
        if chain.inputs[s]:
            box(s, 0.0, theme.GREY)
            label(s, 0.0, escape.plot(chain.inputs[s]))
            arrow(s, 0.22, s, 0.78)
        if chain.outputs[s]:
            box(s, 2.0, theme.GREY)
            label(s, 2.0, escape.plot(chain.outputs[s]), size=14)
            arrow(s, 1.22, s, 1.78)
        if np.isfinite(chain.losses[s]):  # the loss enters here
            label(s, 2.5, f"L<sub>{s}</sub>={chain.losses[s]:.2f}", theme.VERMILLION, 13)
            arrow(s, 2.38, s, 2.24, theme.VERMILLION)
        if chain.grads is not None:
            g = chain.grads[s]
            width = 1 + 4 * min(1.0, g / top) if top > 0 and np.isfinite(g) else 0.5
            label(s, 1.0, _fmt(g), theme.VERMILLION, 13)  # ||dL/dh_t|| inside h_t's box
            if s > 0 and g > 0:
                arrow(s - 0.3, 0.9, s - 0.7, 0.9, theme.VERMILLION, width=width)
        if chain.feedback and s + 1 < steps:  # the output becomes the next input
            arrow(s + 0.3, 1.9, s + 0.7, 0.12, theme.GREEN)
    fig.add_trace(go.Scatter(x=text_x, y=text_y, text=texts, mode="text", hoverinfo="skip", showlegend=False,
                             textfont={"color": colours, "size": sizes}))
    title = t(f"fig.shape_{chain.mode}", lang)
    theme.style(fig, title=title, height=330)
    fig.update_layout(shapes=shapes, annotations=notes, showlegend=False)
    fig.update_xaxes(range=[-0.6, steps - 0.4], showgrid=False, zeroline=False, showticklabels=False,
                     fixedrange=True)
    rows = {0: "x<sub>t</sub>", 1: "‖∂L/∂h<sub>t</sub>‖" if chain.grads is not None else "h<sub>t</sub>",
            2: "y<sub>t</sub>"}
    fig.update_yaxes(range=[-0.65, 2.75], showgrid=False, zeroline=False, tickmode="array", tickvals=list(rows),
                     ticktext=list(rows.values()), fixedrange=True)
    return fig

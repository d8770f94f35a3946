"""The NNLM against an RNN: the loss at each place in a sentence, and both trainings' losses."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from engine.lessons import nnlm

from viz_app.web import theme
from viz_app.text.i18n import option, t


def position_labels(gap: int) -> list[str]:
    """What each position predicts: "L→5", "5→4", ..., "1→L", "L→␣", "␣→L′" (L the sentence's letter)."""
    chars = ["L", *(str(d) for d in range(gap, 0, -1)), "L", "␣", "L′"]
    return [f"{a}→{b}" for a, b in zip(chars, chars[1:])]


def position_losses(data, *, lang: str) -> go.Figure:
    """Bars of the NNLM's and the RNN's mean loss at each position; the position whose character is farther back
    than the window shaded; ln 4 (a guess among the letters) dotted."""
    gap, window, cell, ours, theirs = data.gap, data.window, data.cell, data.nnlm, data.rnn
    labels = position_labels(gap)
    fig = go.Figure([
        go.Bar(x=labels, y=ours, name=t("leg.nnlm", lang, n=window), marker_color=theme.ORANGE,
               hovertemplate="%{x}<br>%{y:.3f}<extra></extra>"),
        go.Bar(x=labels, y=theirs, name=option(cell, lang), marker_color=theme.BLUE,
               hovertemplate="%{x}<br>%{y:.3f}<extra></extra>")])
    if window < nnlm.needed_back(gap):  # the window cannot reach the letter to repeat
        fig.add_vrect(x0=gap - 0.5, x1=gap + 0.5, fillcolor=theme.VERMILLION, opacity=0.12, line_width=0,
                      annotation_text=t("fig.nnlm_out_of_window", lang, d=nnlm.needed_back(gap), n=window),
                      annotation_position="top left")
    fig.add_hline(y=nnlm.GUESS, line={"dash": "dot", "color": theme.GREY},
                  annotation_text=t("leg.guess", lang), annotation_position="top left")
    fig.update_layout(barmode="group")
    theme.style(fig, title=t("fig.nnlm_positions", lang), height=400)
    fig.update_xaxes(title=t("axis.position", lang), type="category")
    top = max(float(np.nanmax([*ours, *theirs, 0.0])), nnlm.GUESS)
    fig.update_yaxes(title=t("axis.loss_nats", lang), range=[0, 1.2 * top])  # room above ln 4 for the band's label
    return fig


def loss_curves(data, *, lang: str) -> go.Figure:
    """Mean cross-entropy over the epochs of both trainings (the same text, epochs and optimiser)."""
    fig = go.Figure()
    for y, name, colour in ((data.nnlm_curve, t("leg.nnlm", lang, n=data.window), theme.ORANGE),
                            (data.rnn_curve, option(data.cell, lang), theme.BLUE)):
        y = np.asarray(y, dtype=float)
        fig.add_trace(go.Scatter(x=np.arange(len(y)), y=y, mode="lines", name=name, line={"color": colour}))
    theme.style(fig, title=t("fig.nnlm_curves", lang), height=320)
    fig.update_xaxes(title=t("axis.epoch", lang))
    fig.update_yaxes(title=t("axis.loss_nats", lang), rangemode="tozero")
    return fig

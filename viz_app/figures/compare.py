"""RNN vs LSTM vs GRU on one task and budget: how the sensitivity to the first input fades, and the losses."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from viz_app.web import theme
from viz_app.text.i18n import t
from viz_app.figures.common import picked_curve, positive


def sensitivity_curves(traces: dict, *, lang: str) -> go.Figure:
    """||dh_t/dx_1|| against t for each cell (log axis)."""
    fig = go.Figure()
    for cell, trace in traces.items():
        s = trace.jacobians.input_sensitivity
        fig.add_trace(go.Scatter(x=np.arange(len(s)), y=positive(s), mode="lines+markers", name=cell.upper(),
                                 line={"color": theme.CELL_COLOURS[cell], "width": 3}))
    theme.style(fig, title=t("fig.sensitivity", lang), height=400)
    fig.update_xaxes(title=t("axis.t", lang))
    theme.log_axis(fig, title=t("axis.norm", lang))
    return fig


def loss_curves(histories: dict, *, lang: str) -> go.Figure:
    """Training loss per update for each cell (meta.run: the cell, for a click that opens that run there)."""
    fig = go.Figure()
    for cell, hist in histories.items():
        fig.add_trace(go.Scatter(x=np.arange(hist.updates), y=positive(hist.loss), name=cell.upper(),
                                 line={"color": theme.CELL_COLOURS[cell], "width": 2}, **picked_curve(cell)))
    theme.style(fig, title=t("fig.clip_loss", lang), height=360)
    fig.update_xaxes(title=t("axis.update", lang))
    theme.log_axis(fig, title=t("axis.loss", lang))
    return fig

"""Training timeline: eigenvalues of W_hh moving over snapshots, and the loss with the current snapshot marked."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .. import theme
from ..i18n import t
from .common import positive


def eigen_timeline(eigs: list[np.ndarray], *, index: int, lang: str) -> go.Figure:
    """Eigenvalues of every snapshot (faded, coloured by training time) and the chosen snapshot's (bold)."""
    fig = go.Figure()
    a = np.linspace(0, 2 * np.pi, 200)
    fig.add_trace(go.Scatter(x=np.cos(a), y=np.sin(a), mode="lines", name=t("leg.unit_circle", lang),
                             line={"color": theme.BLACK, "width": 1}, hoverinfo="skip"))
    n = len(eigs)
    allx = np.concatenate([e.real for e in eigs])
    ally = np.concatenate([e.imag for e in eigs])
    colour = np.concatenate([np.full(len(e), i) for i, e in enumerate(eigs)])
    fig.add_trace(go.Scatter(x=allx, y=ally, mode="markers", showlegend=False, hoverinfo="skip",
                             marker={"color": colour, "colorscale": theme.SEQUENTIAL, "size": 5, "opacity": 0.3,
                                     "cmin": 0, "cmax": max(n - 1, 1)}))
    cur = eigs[index]
    fig.add_trace(go.Scatter(x=cur.real, y=cur.imag, mode="markers", name=t("leg.snapshot", lang),
                             marker={"color": theme.VERMILLION, "size": 10}))
    r = max(1.1, float(np.nanmax(np.abs(np.concatenate(eigs)))) * 1.1)
    theme.style(fig, title=t("fig.timeline_eigs", lang), height=420)
    fig.update_xaxes(title=t("axis.re", lang), range=[-r, r])
    fig.update_yaxes(title=t("axis.im", lang), range=[-r, r], scaleanchor="x")
    return fig


def loss_with_marker(history, *, update: int, lang: str, reference: list | None = None) -> go.Figure:
    """The loss per update, the current snapshot, and published values to compare with (``reference``: pairs
    (update, loss), e.g. the lecture notes' losses) as diamonds."""
    fig = go.Figure(go.Scatter(x=np.arange(history.updates), y=positive(history.loss), mode="lines",
                               name=t("axis.loss", lang), line={"color": theme.BLUE}))
    if reference:
        ux, uy = zip(*reference)
        fig.add_trace(go.Scatter(x=list(ux), y=list(uy), mode="markers", name=t("leg.reference", lang),
                                 marker={"color": theme.ORANGE, "size": 13, "symbol": "diamond",
                                         "line": {"color": theme.BLACK, "width": 1}},
                                 hovertemplate="%{x}: %{y:.3g}<extra></extra>"))
    if history.updates:
        u = min(max(update - 1, 0), history.updates - 1)
        fig.add_trace(go.Scatter(x=[u], y=positive(history.loss[[u]]), mode="markers", name=t("leg.snapshot", lang),
                                 marker={"color": theme.VERMILLION, "size": 14}))
    theme.style(fig, title=t("fig.timeline_loss", lang), height=340)
    fig.update_xaxes(title=t("axis.update", lang))
    theme.log_axis(fig, title=t("axis.loss", lang))
    return fig

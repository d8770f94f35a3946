"""Training timeline: eigenvalues of W_hh moving over snapshots, the loss with the current snapshot marked, and
||dL/dh_t|| as it was at the snapshot. Each figure carries every snapshot (meta.snapshot_*, viz_app/web/controls.js):
the snapshot control moves them in the browser."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from viz_app.web import theme
from viz_app.text.i18n import t
from viz_app.figures.common import plain, positive


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
    points = [[plain(e.real), plain(e.imag)] for e in eigs]
    fig.add_trace(go.Scatter(x=points[index][0], y=points[index][1], mode="markers", name=t("leg.snapshot", lang),
                             marker={"color": theme.VERMILLION, "size": 10}, meta={"snapshot_points": points}))
    r = max(1.1, float(np.nanmax(np.abs(np.concatenate(eigs)))) * 1.1)
    theme.style(fig, title=t("fig.timeline_eigs", lang), height=420)
    fig.update_xaxes(title=t("axis.re", lang), range=[-r, r])
    fig.update_yaxes(title=t("axis.im", lang), range=[-r, r], scaleanchor="x")
    return fig


def loss_with_marker(history, *, index: int, lang: str, reference: list | None = None) -> go.Figure:
    """The loss per update, snapshot ``index`` marked (every snapshot's point in the marker's meta), and published
    values to compare with (``reference``: pairs (update, loss), e.g. the lecture notes' losses) as diamonds."""
    # a click on the curve picks the snapshot nearest the update clicked (customdata: its index)
    shots = np.array([min(max(update - 1, 0), max(history.updates - 1, 0)) for update, _ in history.snapshots])

    def nearest(xs) -> list[int]:
        return [int(np.abs(shots - x).argmin()) for x in xs] if len(shots) else [0] * len(xs)
    x = np.arange(history.updates)
    fig = go.Figure(go.Scatter(x=x, y=positive(history.loss), mode="lines", name=t("axis.loss", lang),
                               line={"color": theme.BLUE}, customdata=nearest(x),
                               hovertemplate="%{x}: %{y:.3g}<extra></extra>"))
    if reference:
        ux, uy = zip(*reference)
        fig.add_trace(go.Scatter(x=list(ux), y=list(uy), mode="markers", name=t("leg.reference", lang),
                                 marker={"color": theme.ORANGE, "size": 13, "symbol": "diamond",
                                         "line": {"color": theme.BLACK, "width": 1}}, customdata=nearest(ux),
                                 hovertemplate="%{x}: %{y:.3g}<extra></extra>"))
    if history.updates:
        def point(update):  # the loss of the update that produced snapshot ``update``'s parameters
            u = min(max(update - 1, 0), history.updates - 1)
            loss = positive(history.loss[[u]])[0]
            return [u, float(loss)] if np.isfinite(loss) else None
        points = [point(update) for update, _ in history.snapshots]
        at = points[index]
        fig.add_trace(go.Scatter(x=[at[0]] if at else [], y=[at[1]] if at else [], mode="markers",
                                 name=t("leg.snapshot", lang), marker={"color": theme.VERMILLION, "size": 14},
                                 hoverinfo="skip", meta={"snapshot_xy": points}))  # a click goes to the curve
    theme.style(fig, title=t("fig.timeline_loss", lang), height=340)
    fig.update_layout(meta={"snapshot_click": True})
    fig.update_xaxes(title=t("axis.update", lang))
    theme.log_axis(fig, title=t("axis.loss", lang))
    return fig


def snapshot_title(lang: str, update: int) -> str:
    return f"{t('fig.timeline_grad', lang)} ({t('axis.update', lang)} {update})"


def gradients_at_snapshots(norms: np.ndarray, updates: list[int], *, index: int, lang: str) -> go.Figure:
    """||dL/dh_t|| (total and direct part) of the model as it was at snapshot ``index`` against t; ``norms``:
    [S, 2, T] (engine Run.snapshot_gradient_norms). One log y range for all snapshots, so that moving the snapshot
    shows the gradient grow or shrink instead of the axis rescaling."""
    steps = norms.shape[-1]
    x = np.arange(steps)
    total = [plain(positive(n[0])) for n in norms]
    direct = [plain(positive(n[1])) for n in norms]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=total[index], customdata=x, name=t("leg.total", lang), mode="lines+markers",
                             line={"color": theme.BLUE, "width": 3}, meta={"snapshot_y": total}))
    fig.add_trace(go.Scatter(x=x, y=direct[index], customdata=x, name=t("leg.direct", lang), mode="lines",
                             line={"color": theme.ORANGE, "dash": "dash"}, meta={"snapshot_y": direct}))
    titles = [snapshot_title(lang, u) for u in updates]
    theme.style(fig, title=titles[index], height=360)
    fig.update_layout(meta={"snapshot_titles": titles})
    fig.update_xaxes(title=t("axis.t", lang))
    shown = positive(norms)
    shown = shown[np.isfinite(shown)]
    span = {} if not shown.size else {"range": [float(np.log10(shown.min())) - 0.2,
                                                float(np.log10(shown.max())) + 0.2]}
    theme.log_axis(fig, title=t("axis.norm", lang), **span)
    return fig


def live_loss(curve, total: int, *, lang: str) -> go.Figure:
    """The loss while a run trains: every (update, loss) the training job has reported so far (``curve``), on an
    x axis already as long as the training (``total`` updates), so the line grows from left to right."""
    x, y = zip(*curve) if curve else ((), ())
    fig = go.Figure(go.Scatter(x=list(x), y=plain(positive(np.asarray(y, dtype=float))), mode="lines",
                               name=t("axis.loss", lang), line={"color": theme.BLUE, "width": 2},
                               hovertemplate="%{x}: %{y:.4g}<extra></extra>"))
    theme.style(fig, title=t("fig.live_loss", lang), height=260)
    fig.update_xaxes(title=t("axis.update", lang), range=[0, max(total, 1)])
    theme.log_axis(fig, title=t("axis.loss", lang))
    return fig

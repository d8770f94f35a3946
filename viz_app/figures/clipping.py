"""Gradient clipping: gradient norms per update without and with clipping, losses side by side, Pascanu's cliff."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import theme
from ..i18n import t
from .common import positive, vline


def clip_norms(plain, clipped, *, threshold: float, lang: str) -> go.Figure:
    """||g|| before clipping per update for both runs, the threshold, and the updates where clipping fired."""
    fig = go.Figure()
    for hist, name, colour in ((plain, t("leg.no_clip", lang), theme.VERMILLION),
                               (clipped, t("leg.with_clip", lang, thr=threshold), theme.BLUE)):
        fig.add_trace(go.Scatter(x=np.arange(hist.updates), y=positive(hist.grad_norm), mode="lines", name=name,
                                 line={"color": colour}))
        if hist.first_nonfinite is not None:
            vline(fig, hist.first_nonfinite, colour=colour, text=t("leg.nonfinite", lang))
    fired = np.nonzero(clipped.clipped)[0]
    fig.add_trace(go.Scatter(x=fired, y=positive(clipped.grad_norm[fired]), mode="markers",
                             name=t("leg.fired", lang), marker={"color": theme.ORANGE, "size": 6, "symbol": "x"}))
    fig.add_trace(go.Scatter(x=np.arange(clipped.updates), y=positive(clipped.grad_norm_clipped), mode="lines",
                             name="‖g‖ → " + t("leg.with_clip", lang, thr=threshold),
                             line={"color": theme.SKY, "dash": "dash"}))
    # the threshold as a trace, so it sits at its data value on the log axis
    fig.add_trace(go.Scatter(x=[0, max(plain.updates, clipped.updates, 1) - 1], y=[threshold, threshold],
                             mode="lines", name=t("leg.threshold", lang), line={"color": theme.BLACK, "dash": "dash"}))
    theme.style(fig, title=t("fig.clip_norms", lang), height=380)
    fig.update_xaxes(title=t("axis.update", lang))
    theme.log_axis(fig, title="‖g‖")
    return fig


def clip_losses(plain, clipped, *, threshold: float, lang: str) -> go.Figure:
    """Loss per update of both runs, side by side, each on its own labelled log axis (a shared axis would squash the
    clipped run under the unclipped one's 1e10), each with its own NaN/Inf marker."""
    fig = make_subplots(rows=1, cols=2, shared_yaxes=False, horizontal_spacing=0.1,
                        subplot_titles=(t("leg.no_clip", lang), t("leg.with_clip", lang, thr=threshold)))
    for col, hist, colour in ((1, plain, theme.VERMILLION), (2, clipped, theme.BLUE)):
        fig.add_trace(go.Scatter(x=np.arange(hist.updates), y=positive(hist.loss), mode="lines", showlegend=False,
                                 line={"color": colour}), row=1, col=col)
        if hist.first_nonfinite is not None:
            fig.add_vline(x=hist.first_nonfinite, line={"color": theme.NONFINITE, "dash": "dot"}, row=1, col=col,
                          annotation_text=t("leg.nonfinite", lang))
    theme.style(fig, title=t("fig.clip_loss", lang), height=340)
    theme.log_axis(fig)
    fig.update_yaxes(title_text=t("axis.loss", lang), row=1, col=1)
    fig.update_xaxes(title_text=t("axis.update", lang))
    return fig


def cliff_figure(surface, paths: dict[str, dict], *, lang: str) -> go.Figure:
    """The loss surface of x_t = w sigma(x_{t-1}) + b over (w, b), resolved at its walls, with descent paths."""
    fig = go.Figure(go.Surface(x=surface.w, y=surface.b, z=surface.loss, colorscale=theme.SEQUENTIAL, opacity=0.9,
                               showscale=False, name="E(w, b)"))
    colours = (theme.VERMILLION, theme.BLUE)
    for (name, p), colour in zip(paths.items(), colours):
        fig.add_trace(go.Scatter3d(x=p["w"], y=p["b"], z=p["loss"] + 0.005, mode="lines+markers", name=name,
                                   line={"color": colour, "width": 6}, marker={"size": 3, "color": colour}))
    if len(surface.walls):
        w, b = surface.walls[:, 0], surface.walls[:, 1]
        fig.add_trace(go.Scatter3d(x=w, y=b, z=surface.wall_loss, mode="markers", name=t("leg.wall", lang),
                                   marker={"size": 2, "color": theme.BLACK}))
    theme.style(fig, title=t("fig.cliff", lang), height=520)
    w_range = [float(surface.w.min()), float(surface.w.max())]
    b_range = [float(surface.b.min()), float(surface.b.max())]
    fig.update_layout(scene={"xaxis": {"title": "w", "range": w_range}, "yaxis": {"title": "b", "range": b_range},
                             "zaxis_title": "E",
                             "camera": {"eye": {"x": -1.6, "y": -1.4, "z": 0.9}}})
    return fig

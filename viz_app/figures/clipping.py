"""Gradient clipping: gradient norms per update without and with clipping, losses side by side, Pascanu's cliff."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine.lessons import cliff

from viz_app.web import theme
from viz_app.text.i18n import t
from viz_app.figures.common import picked_curve, positive, vline


def clip_norms(plain, clipped, *, threshold: float, lang: str) -> go.Figure:
    """||g|| before clipping per update for both runs, the threshold, and the updates where clipping fired. Each
    run's traces name it in meta.run ("plain", "clipped"): a click on one opens that run there (views.timeline)."""
    fig = go.Figure()
    for hist, name, colour, run in ((plain, t("leg.no_clip", lang), theme.VERMILLION, "plain"),
                                    (clipped, t("leg.with_clip", lang, thr=threshold), theme.BLUE, "clipped")):
        fig.add_trace(go.Scatter(x=np.arange(hist.updates), y=positive(hist.grad_norm),
                                 name=t("leg.norm_before", lang, name=name), line={"color": colour},
                                 **picked_curve(run)))
        if hist.first_nonfinite is not None:
            vline(fig, hist.first_nonfinite, colour=colour, text=t("leg.nonfinite", lang))
    fired = np.nonzero(clipped.clipped)[0]
    fig.add_trace(go.Scatter(x=fired, y=positive(clipped.grad_norm[fired]), mode="markers",
                             name=t("leg.fired", lang), marker={"color": theme.ORANGE, "size": 6, "symbol": "x"},
                             meta={"run": "clipped"}))
    fig.add_trace(go.Scatter(x=np.arange(clipped.updates), y=positive(clipped.grad_norm_clipped),
                             name=t("leg.norm_after", lang, thr=threshold),
                             line={"color": theme.SKY, "dash": "dash", "width": 3}, **picked_curve("clipped")))
    # the threshold as a trace, so it sits at its data value on the log axis; drawn under the curves (zorder): the
    # clipped norm lies on it wherever clipping fired
    fig.add_trace(go.Scatter(x=[0, max(plain.updates, clipped.updates, 1) - 1], y=[threshold, threshold],
                             mode="lines", name=t("leg.threshold", lang), line={"color": theme.BLACK, "dash": "dot",
                                                                                 "width": 1}, zorder=-1))
    theme.style(fig, title=t("fig.clip_norms", lang), height=380)
    fig.update_xaxes(title=t("axis.update", lang))
    theme.log_axis(fig, title="‖g‖")
    return fig


def clip_losses(plain, clipped, *, threshold: float, lang: str) -> go.Figure:
    """Loss per update of both runs, side by side, each on its own labelled log axis (a shared axis would squash the
    clipped run under the unclipped one's 1e10), each with its own NaN/Inf marker."""
    fig = make_subplots(rows=1, cols=2, shared_yaxes=False, horizontal_spacing=0.1,
                        subplot_titles=(t("leg.no_clip", lang), t("leg.with_clip", lang, thr=threshold)))
    for col, hist, colour, run in ((1, plain, theme.VERMILLION, "plain"), (2, clipped, theme.BLUE, "clipped")):
        fig.add_trace(go.Scatter(x=np.arange(hist.updates), y=positive(hist.loss), showlegend=False,
                                 line={"color": colour}, **picked_curve(run)), row=1, col=col)
        if hist.first_nonfinite is not None:
            fig.add_vline(x=hist.first_nonfinite, line={"color": theme.NONFINITE, "dash": "dot"}, row=1, col=col,
                          annotation_text=t("leg.nonfinite", lang))
    theme.style(fig, title=t("fig.clip_loss", lang), height=340)
    theme.log_axis(fig)
    fig.update_yaxes(title_text=t("axis.loss", lang), row=1, col=1)
    fig.update_xaxes(title_text=t("axis.update", lang))
    return fig


START = {"symbol": "star", "size": 16, "color": theme.YELLOW, "line": {"color": theme.BLACK, "width": 1}}
CLIFF_SPACING = 0.17  # between the map and the slice: the map's colour bar and the slice's E axis


def _to_frame(p0, p1, w_range, b_range) -> tuple[float, float]:
    """The point where the segment p0 -> p1 leaves the rectangle w_range x b_range (p1 if it stays inside)."""
    (w0, b0), (w1, b1) = p0, p1
    s = 1.0
    for lo, hi, a, d in ((*w_range, w0, w1 - w0), (*b_range, b0, b1 - b0)):
        if d > 0 and a + d > hi:
            s = min(s, (hi - a) / d)
        elif d < 0 and a + d < lo:
            s = min(s, (lo - a) / d)
    return w0 + s * (w1 - w0), b0 + s * (b1 - b0)


def cliff_figure(surface, paths: dict[str, dict], *, lang: str) -> go.Figure:
    """Pascanu's cliff as a slide can carry it: left, a map of E over (w, b) with the located walls and the descent
    paths (a step that leaves the map is drawn to its edge and says where it lands); right, E along b at the start's w,
    across the wall, with the iterates of the clipped path. ``paths``: {legend name: engine.lessons.cliff.descent_path}
    (unclipped first, clipped second)."""
    w_range = (float(surface.w.min()), float(surface.w.max()))
    b_range = (float(surface.b.min()), float(surface.b.max()))
    ws, bs, loss = cliff.loss_map(w_range, b_range)
    names = list(paths)
    start = paths[names[0]]
    w0, b0 = float(start["w"][0]), float(start["b"][0])
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], horizontal_spacing=CLIFF_SPACING,
                        subplot_titles=(t("fig.cliff_map", lang), t("fig.cliff_slice", lang, w=w0)))
    fig.add_trace(go.Heatmap(x=ws, y=bs, z=np.round(loss, 4), colorscale=theme.SEQUENTIAL, zmin=0.0,
                             colorbar={"title": "E", "thickness": 12, "x": fig.layout.xaxis.domain[1] + 0.01,
                                       "xanchor": "left", "len": 0.9},
                             hovertemplate="w = %{x:.3f}<br>b = %{y:.3f}<br>E = %{z:.3f}<extra></extra>",
                             showlegend=False), row=1, col=1)
    if len(surface.walls):
        fig.add_trace(go.Scatter(x=surface.walls[:, 0], y=surface.walls[:, 1], mode="markers",
                                 name=t("leg.wall", lang), marker={"size": 5, "color": theme.BLACK}), row=1, col=1)
    colours = (theme.VERMILLION, theme.BLUE)
    for (name, p), colour in zip(paths.items(), colours):
        w, b = np.asarray(p["w"], dtype=float), np.asarray(p["b"], dtype=float)
        inside = (w >= w_range[0]) & (w <= w_range[1]) & (b >= b_range[0]) & (b <= b_range[1])
        stop = int(np.argmin(inside)) if not inside.all() else len(w)  # the first iterate off the map
        xs, ys = list(w[:stop]), list(b[:stop])
        if stop < len(w):
            edge = _to_frame((w[stop - 1], b[stop - 1]), (w[stop], b[stop]), w_range, b_range)
            xs.append(edge[0])
            ys.append(edge[1])
            fig.add_annotation(x=edge[0], y=edge[1], xref="x", yref="y", showarrow=False, xanchor="center",
                               yanchor="bottom", yshift=4, font={"color": colour}, bgcolor="rgba(255,255,255,0.8)",
                               text=t("leg.thrown", lang, step=stop, w=float(w[stop]), b=float(b[stop])))
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name, legendgroup=name,
                                 line={"color": colour, "width": 3}, marker={"size": 6, "color": colour}),
                      row=1, col=1)
    fig.add_trace(go.Scatter(x=[w0], y=[b0], mode="markers", name=t("leg.start", lang), marker=START),
                  row=1, col=1)
    # right: E along b at the start's w, across the wall
    b_line, e_line = cliff.slice_across(w0, b0)
    fig.add_trace(go.Scatter(x=b_line, y=e_line, mode="lines", name=t("leg.slice", lang, w=w0),
                             line={"color": theme.BLACK, "width": 2}), row=1, col=2)
    clipped = paths[names[-1]]
    fig.add_trace(go.Scatter(x=clipped["b"], y=clipped["loss"], mode="markers", name=names[-1],
                             legendgroup=names[-1], showlegend=False,
                             marker={"size": 7, "color": colours[1]}), row=1, col=2)
    fig.add_trace(go.Scatter(x=[b0], y=[float(start["loss"][0])], mode="markers", showlegend=False, marker=START),
                  row=1, col=2)
    wall = float(cliff.basin_boundary(w0))
    fig.add_shape(type="line", x0=wall, x1=wall, y0=0, y1=1,
                  xref="x2", yref="y2 domain", line={"color": theme.GREY, "dash": "dot", "width": 1.5})
    theme.style(fig, title=t("fig.cliff", lang), height=480)
    fig.update_xaxes(title_text="w", range=list(w_range), row=1, col=1)
    fig.update_yaxes(title_text="b", range=list(b_range), row=1, col=1)
    fig.update_xaxes(title_text="b", row=1, col=2)
    fig.update_yaxes(title_text="E", row=1, col=2)
    return fig

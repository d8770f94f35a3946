"""Hidden states and gates: unit x time heatmaps, saturation, PCA trajectory, text coloured by a unit."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from engine import analysis

from viz_app.web import theme
from viz_app.text.i18n import gate_name, quantity_name, t
from viz_app.figures.common import char_labels, finite_or_nan, mark_nonfinite, mark_step

SIGNED = {"h", "c", "grad"}


def quantity(trace, name: str) -> np.ndarray | None:
    """(L, T, B, H) array of h, c or a gate."""
    if name == "h":
        return trace.hidden
    if name == "c":
        return trace.cell_state
    return trace.gates.get(name)


def state_heatmap(trace, *, name: str, lang: str, layer: int = -1, batch: int = 0, step: int | None = None,
                  vocab: str | None = None, unit: int | None = None) -> go.Figure:
    """Heatmap of one quantity for one sequence: rows are units, columns are steps (a click selects the step and
    the unit; ``unit``: its row outlined). A
    bidirectional layer's rows are its forward units, then its backward ones (torch's order), split by a line."""
    data = quantity(trace, name)
    z = finite_or_nan(data[layer, :, batch, :].T)  # (H, T)
    steps = z.shape[1]
    chars = char_labels(trace, vocab)
    x = np.arange(steps)
    signed = name in SIGNED
    bound = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=np.arange(z.shape[0]), customdata=np.tile(x, (z.shape[0], 1)),
        colorscale=theme.DIVERGING if signed else theme.UNIT, zmid=0 if signed else None,
        zmin=None if signed else 0, zmax=None if signed else 1, colorbar={"title": name, "thickness": 12},
        hovertemplate="t=%{x}<br>" + t("axis.unit", lang) + " %{y}<br>" + name + "=%{z:.3f}<extra></extra>"))
    if signed:
        fig.update_traces(zmin=-bound, zmax=bound)
    theme.style(fig, title=t("fig.heatmap", lang, name=quantity_name(name, lang)), height=320)
    fig.update_xaxes(title=t("axis.t", lang))
    fig.update_yaxes(title=t("axis.unit", lang))
    if chars:
        fig.update_xaxes(tickmode="array", tickvals=x, ticktext=[f"{c}" for c in chars])
    if trace.directions == 2:
        half = z.shape[0] // 2
        fig.add_shape(type="line", x0=0, x1=1, xref="paper", y0=half - 0.5, y1=half - 0.5,
                      line={"color": theme.BLACK, "width": 2})
        every = max(1, half // 3)  # each direction's units numbered from 0, its arrow in front
        ticks = [(d * half + j, f"{arrow} {j}") for d, arrow in enumerate("→←") for j in range(0, half, every)]
        fig.update_yaxes(tickmode="array", tickvals=[v for v, _ in ticks], ticktext=[s for _, s in ticks])
    if unit is not None and 0 <= unit < z.shape[0]:  # the selected unit's row (with the step's band: its cell)
        fig.add_shape(type="rect", xref="paper", x0=0, x1=1, y0=unit - 0.5, y1=unit + 0.5, name="unit-row",
                      line={"color": theme.BLACK, "width": 1.5}, fillcolor="rgba(0,0,0,0)")
    mark_step(fig, step)
    mark_nonfinite(fig, trace.nonfinite.get("hidden"), lang)
    # a click on a cell also picks its unit (its row) of this layer (viz_app/web/controls.js): the page's equations
    # follow it
    fig.update_layout(meta={"step_unit": "y", "step_layer": layer % data.shape[0]})
    return fig


def saturation_bars(trace, *, lang: str, layer: int = -1) -> go.Figure:
    """For each gate, the fraction of (step, sequence, unit) values below 0.1 and above 0.9."""
    names = [g for g in trace.cell.gates if g in trace.gates]
    low, high = [], []
    for g in names:
        s = analysis.saturation(trace.gates[g][layer])
        low.append(float(s["low"].mean()))
        high.append(float(s["high"].mean()))
    labels = [gate_name(g, lang) for g in names]  # the gate's name under its bars
    fig = go.Figure([go.Bar(name=t("leg.low", lang), x=labels, y=low, marker_color=theme.BLUE),
                     go.Bar(name=t("leg.high", lang), x=labels, y=high, marker_color=theme.ORANGE)])
    fig.update_layout(barmode="group")
    theme.style(fig, title=t("fig.saturation", lang), height=320)
    fig.update_yaxes(title=t("axis.fraction", lang), range=[0, 1])
    return fig


def pca_trajectory(trace, *, lang: str, layer: int = -1, batch: int = 0, dims: int = 2, vocab: str | None = None,
                   step: int | None = None) -> go.Figure:
    """The path of h_t through state space, projected on its top principal components, coloured by t."""
    h = trace.hidden[layer, :, batch, :]
    steps = h.shape[0]
    finite = np.isfinite(h).all(1)
    coords, ratio = analysis.pca(h[finite], k=dims)
    idx = np.nonzero(finite)[0]
    chars = char_labels(trace, vocab)
    text = [chars[i] for i in idx] if chars else [str(i) for i in idx]
    marker = {"color": idx, "colorscale": theme.SEQUENTIAL, "size": 7, "colorbar": {"title": "t", "thickness": 12}}
    labelled = len(idx) <= 60  # beyond that, labels would cover the path
    common = {"mode": "lines+markers+text" if labelled else "lines+markers", "text": text,
              "textposition": "top center", "customdata": idx,
              "line": {"color": theme.GREY, "width": 1}, "marker": marker,
              "hovertemplate": "t=%{customdata}<extra></extra>"}
    if dims == 3 and coords.shape[1] >= 3:
        fig = go.Figure(go.Scatter3d(x=coords[:, 0], y=coords[:, 1], z=coords[:, 2], **common))
    else:
        fig = go.Figure(go.Scatter(x=coords[:, 0], y=coords[:, 1] if coords.shape[1] > 1 else np.zeros(len(idx)),
                                   **common))
        ys = coords[:, 1] if coords.shape[1] > 1 else np.zeros(len(idx))
        where = [None] * steps  # every step's point, for the browser's step control (None: not finite)
        for j, s in enumerate(idx):
            where[s] = [round(float(coords[j, 0]), 4), round(float(ys[j]), 4)]
        at = where[step] if step is not None and 0 <= step < steps else None
        fig.add_trace(go.Scatter(x=[at[0]] if at else [], y=[at[1]] if at else [], mode="markers",
                                 marker={"size": 18, "color": theme.YELLOW, "line": {"color": theme.BLACK, "width": 2}},
                                 showlegend=False, hoverinfo="skip", meta={"step_xy": where}))
        fig.update_xaxes(title=t("axis.pc", lang, i=1))
        fig.update_yaxes(title=t("axis.pc", lang, i=2))
    theme.style(fig, title=t("fig.pca", lang, var=float(np.nansum(ratio))), height=420)
    fig.update_layout(showlegend=False)
    return fig



def text_activation(trace, *, vocab: str, unit: int, lang: str, layer: int = -1, step: int | None = None
                    ) -> go.Figure:
    """The input text, one character per cell, coloured by one unit's h_t when that character is read."""
    chars = char_labels(trace, vocab)
    values = finite_or_nan(trace.hidden[layer, :, 0, unit])
    bound = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    x = np.arange(len(chars))
    fig = go.Figure(go.Heatmap(z=[values], x=x, text=[chars], texttemplate="%{text}", textfont={"size": 16},
                               customdata=[x], colorscale=theme.DIVERGING, zmin=-bound, zmax=bound,
                               colorbar={"title": "h", "thickness": 12},
                               hovertemplate="t=%{x} '%{text}'<br>h=%{z:.3f}<extra></extra>"))
    theme.style(fig, title=t("fig.text_color", lang, unit=unit), height=200)
    fig.update_yaxes(visible=False)
    fig.update_xaxes(title=t("axis.t", lang))
    mark_step(fig, step)
    return fig

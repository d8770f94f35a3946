"""BPTT gradient flow: ||dL/dh_t|| over time, the Jacobian-norm map, dL/dW_hh term by term, f'(a_t) per step."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from engine import analysis

from viz_app.web import theme
from viz_app.text.typeset import chart_math
from viz_app.text.i18n import t
from viz_app.figures.common import first_nonfinite, mark_nonfinite, mark_step, positive, vline


def grad_norms_over_time(trace, *, lang: str, layer: int = -1, scale: str = "log", step: int | None = None
                         ) -> go.Figure:
    """||dL/dh_t|| (total and direct part, summed over the batch as a norm) against t; truncated BPTT overlaid."""
    norms = analysis.norms_over_time
    total = norms(trace.grad_hidden[layer])
    steps = len(total)
    x = np.arange(steps)
    cd = x
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=positive(total) if scale == "log" else total, customdata=cd,
                             name=t("leg.total", lang), mode="lines+markers", line={"color": theme.BLUE, "width": 3}))
    direct = norms(trace.grad_hidden_direct[layer])
    fig.add_trace(go.Scatter(x=x, y=positive(direct) if scale == "log" else direct, customdata=cd,
                             name=t("leg.direct", lang), mode="lines", line={"color": theme.ORANGE, "dash": "dash"}))
    if trace.truncated is not None:
        k = trace.truncated.window
        tr = norms(trace.truncated.grad_hidden[layer])
        fig.add_trace(go.Scatter(x=x, y=positive(tr) if scale == "log" else tr, customdata=cd,
                                 name=t("leg.truncated", lang, k=k), mode="lines+markers",
                                 line={"color": theme.GREEN, "width": 2}, marker={"symbol": "diamond"}))
        for cut in range(k, steps, k):  # the state crosses, the gradient does not
            vline(fig, cut - 0.5, colour=theme.GREEN, width=1)
    theme.style(fig, title=t("fig.grad_norm_t", lang), height=360)
    fig.update_xaxes(title=t("axis.t", lang))
    if scale == "log":
        theme.log_axis(fig, title=t("axis.norm", lang))
    else:
        fig.update_yaxes(title=t("axis.norm", lang))
    mark_step(fig, step)
    mark_nonfinite(fig, first_nonfinite(total), lang)
    return fig


def jacobian_map(trace, *, lang: str, cell_state: bool = False, step: int | None = None,
                 reverse: bool = False) -> go.Figure:
    """T x T heatmap of log10 ||dh_t/dh_k||_2 (or ||dc_t/dc_k||_2); NaN above the diagonal stays blank.
    ``reverse``: a bidirectional model's backward direction, ||dh←_t/dh←_k|| for k >= t (blank below)."""
    m = trace.jacobians.reverse_spectral if reverse else trace.jacobians.cell_spectral if cell_state else \
        trace.jacobians.spectral
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(positive(m))
    steps = m.shape[0]
    x = np.arange(steps)
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=x, customdata=np.tile(x, (steps, 1)).T, colorscale=theme.SEQUENTIAL,
        colorbar={"title": "log₁₀", "thickness": 12},
        hovertemplate="t=%{y}, k=%{x}<br>log₁₀ " + t("axis.norm", lang) + "=%{z:.2f}<extra></extra>"))
    forward = "_forward" if trace.directions == 2 else ""  # a bidirectional model's maps name their direction
    key = "fig.jacobian_map_reverse" if reverse else f"fig.cell_jacobian_map{forward}" if cell_state else \
        f"fig.jacobian_map{forward}"
    theme.style(fig, title=t(key, lang), height=420)
    fig.update_xaxes(title=t("axis.k", lang))
    fig.update_yaxes(title=t("axis.t", lang), autorange="reversed", scaleanchor="x")
    if step is not None and 0 <= step < steps:
        fig.add_shape(type="line", name="step-y", x0=0, x1=1, xref="paper", y0=step, y1=step,
                      line={"color": theme.YELLOW, "width": 2})
    return fig


def term_bars(trace, *, lang: str, layer: int = -1, step: int | None = None) -> go.Figure:
    """dL/dW_hh = sum_k term_k: each step's term projected on the total's direction (the bars add up to ||G||),
    and each term's own norm as a line."""
    name = f"weight_hh_l{(trace.layers + layer) % trace.layers}"
    norms = trace.weight_terms.norms[name]
    steps = len(norms)
    x = np.arange(steps)
    fig = go.Figure()
    if name in trace.weight_terms.matrices:
        proj, total = analysis.term_projections(trace.weight_terms.matrices[name])
        colours = [theme.BLUE if v >= 0 else theme.VERMILLION for v in proj]
        fig.add_trace(go.Bar(x=x, y=proj, customdata=x, marker_color=colours, name=t("axis.contribution", lang),
                             hovertemplate="k=%{x}<br>%{y:.3g}<extra></extra>"))
        fig.add_annotation(text=chart_math(f"Σ = ‖∂L/∂W_hh‖ = {total:.3g}"), xref="paper", yref="paper", x=1, y=1.02,
                           showarrow=False, xanchor="right")
    fig.add_trace(go.Scatter(x=x, y=norms, customdata=x, mode="lines+markers", name=t("leg.term_norm", lang),
                             line={"color": theme.GREY}))
    theme.style(fig, title=t("fig.terms", lang), height=360)
    fig.update_xaxes(title=t("axis.k", lang))
    fig.update_yaxes(title=t("axis.contribution", lang))
    mark_step(fig, step)
    return fig


BOUNDS = {"tanh": (1.0, theme.GREY, "tanh′ ≤ 1"), "sigmoid": (0.25, theme.ORANGE, "σ′ ≤ 1/4"),
          "relu": (1.0, theme.GREY, "ReLU′ ∈ {0, 1}")}  # the largest value of each activation's derivative


def derivative_distribution(trace, *, lang: str, layer: int = -1, name: str | None = None) -> go.Figure:
    """Box per step of the local derivatives f'(a_t) over units and sequences, with the bound of the activation they
    belong to as a reference line (tanh' <= 1, sigmoid' <= 1/4, ReLU' is 0 or 1: no other bound is drawn)."""
    d = trace.derivatives
    key = name or ("a" if "a" in d else next(iter(d)))
    vals = d[key][layer]  # (T, B, H)
    steps = vals.shape[0]
    xs = np.repeat(np.arange(steps), vals.shape[1] * vals.shape[2])
    fig = go.Figure(go.Box(x=xs, y=vals.reshape(-1), marker_color=theme.BLUE, boxpoints=False, name=key))
    y, colour, text = BOUNDS[trace.cell.derivative_activation(key, trace.nonlinearity)]
    fig.add_shape(type="line", x0=0, x1=1, xref="paper", y0=y, y1=y, line={"dash": "dot", "color": colour})
    fig.add_annotation(x=1, y=y, xref="paper", text=text, showarrow=False, xanchor="right", yanchor="bottom")
    theme.style(fig, title=t("fig.derivs", lang), height=340)
    fig.update_xaxes(title=t("axis.t", lang))
    fig.update_yaxes(title=t("axis.deriv", lang), range=[0, 1.05])
    fig.update_layout(showlegend=False)
    return fig


def layer_gradients(run, *, lang: str) -> go.Figure:
    """||dL/dh^(l)|| for every layer, the same weights with and without the identity paths between layers (the one
    trained drawn solid): how much of the gradient reaches the lower layers."""
    norms, trained = run.layer_gradient_norms, bool(run.net.residual)
    layers = np.arange(len(norms[True]))  # 0-based, as the layer picker and the code
    fig = go.Figure()
    for residual, colour in ((True, theme.GREEN), (False, theme.VERMILLION)):
        name = t("leg.with_residual" if residual else "leg.without_residual", lang)
        if residual == trained:
            name += " " + t("leg.as_trained", lang)
        fig.add_trace(go.Scatter(x=layers, y=positive(norms[residual]), mode="lines+markers", name=name,
                                 line={"color": colour, "width": 3, "dash": "solid" if residual == trained else "dash"},
                                 hovertemplate="l=%{x}<br>%{y:.3g}<extra></extra>"))
    theme.style(fig, title=t("fig.layer_gradients", lang), height=360)
    fig.update_xaxes(title=t("axis.layer", lang), tickmode="array", tickvals=layers.tolist())
    theme.log_axis(fig, title=t("axis.layer_grad", lang))
    return fig

"""The network unrolled over a window of steps: x_t -> h_t -> y_t with the shared W_xh, W_hh, W_hy on the arrows,
each h_t as a heat strip, the predicted next character at each step, and a forward-then-BPTT step-through."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .. import safe, theme
from ..i18n import t
from .common import char_labels

FADED = 0.15
PAD = 0.64  # x range beyond the first and last column shown: the incoming W_hh arrow (from t-0.63), no neighbour strip


def _prediction_text(trace, s: int, vocab: str | None) -> str:
    out = trace.outputs[s, 0]
    if vocab is None or trace.loss_kind != "cross_entropy" or len(out) != len(vocab):
        return "ŷ = " + ", ".join(f"{v:.2f}" for v in out[:3])
    p = np.exp(out - out.max())
    p /= p.sum()
    top = np.argsort(-p)[:3]
    return "<br>".join(f"{'␣' if vocab[i] == ' ' else safe.plot(vocab[i])} {p[i]:.2f}" for i in top)


def _strips(h: np.ndarray, cols: list[int]) -> go.Heatmap:
    """Every column's h_t as a strip of its H units (cells from t-0.35 to t+0.35, given by their edges), the gaps
    between columns empty: one trace."""
    units = h.shape[1]
    edges, z, cell = [], [], []
    for s in cols:
        edges.extend(np.linspace(s - 0.35, s + 0.35, units + 1).tolist()[0 if not edges else 1:])
        z.extend(h[s].tolist())
        cell.extend([s, j] for j in range(units))
        if s != cols[-1]:  # the gap up to the next column's first edge
            edges.append(s + 1 - 0.35)
            z.append(None)
            cell.append([s, -1])
    return go.Heatmap(z=[z, z], x=edges, y=[0.8, 1.0, 1.2], coloraxis="coloraxis", customdata=[cell, cell],
                      hovertemplate="h_%{customdata[0]}[%{customdata[1]}] = %{z:.3f}<extra></extra>",
                      showscale=False, xgap=0, ygap=0, hoverongaps=False)


def window_start(step: int, steps: int, width: int) -> int:
    """The first of ``width`` columns shown around ``step`` (centred, kept inside the sequence)."""
    return min(max(0, step - width // 2), max(0, steps - width))


def unrolled_network(trace, *, lang: str, vocab: str | None = None, start: int = 0, width: int = 8,
                     step: int | None = None, phase: int | None = None, layer: int = -1,
                     window: int | None = None) -> go.Figure:
    """Columns start .. start+width-1. ``phase`` in [0, 2n): forward pass up to column phase, then BPTT back to column
    2n-1-phase (n columns). ``window``: show that many columns around ``step`` at a time; the layout's
    meta.step_ranges give the x range for every step, so the browser's step control pans without a redraw."""
    steps = trace.hidden.shape[1]
    cols = list(range(max(0, start), min(steps, start + width)))
    n = len(cols)
    chars = char_labels(trace, vocab)
    h = trace.hidden[layer, :, 0, :]
    bound = float(np.nanmax(np.abs(h[np.isfinite(h)]))) if np.isfinite(h).any() else 1.0
    grad = np.sqrt((trace.grad_hidden[layer, :, 0, :].astype(float) ** 2).sum(-1))  # ||dL/dh_t|| of sequence 0
    fwd_upto = n - 1 if phase is None else min(phase, n - 1)
    back_from = None if phase is None or phase < n else 2 * n - 1 - phase  # columns >= back_from show gradients
    fig = go.Figure()
    annotations, shapes = [], []
    units = h.shape[1]
    if phase is None:  # one heatmap for every column: panning redraws one image, not one per column
        fig.add_trace(_strips(h, cols))
    for j, s in enumerate(cols):
        first_annotation, first_shape = len(annotations), len(shapes)
        alpha = 1.0 if j <= fwd_upto else FADED
        if phase is not None:
            xs = np.linspace(s - 0.35, s + 0.35, units)
            fig.add_trace(go.Heatmap(z=[h[s], h[s]], x=xs, y=[0.9, 1.1], coloraxis="coloraxis", opacity=alpha,
                                     customdata=[[s] * units] * 2,
                                     hovertemplate=f"h_{s}" + "[%{pointNumber[1]}] = %{z:.3f}<extra></extra>",
                                     showscale=False, ygap=0, xgap=0))
        shapes.append({"type": "rect", "x0": s - 0.3, "x1": s + 0.3, "y0": -0.15, "y1": 0.15,
                       "line": {"color": theme.GREY}, "opacity": alpha})
        shapes.append({"type": "rect", "x0": s - 0.3, "x1": s + 0.3, "y0": 1.85, "y1": 2.35,
                       "line": {"color": theme.GREY}, "opacity": alpha})
        x_label = chars[s] if chars else f"x<sub>{s}</sub>"
        annotations.append({"x": s, "y": 0, "text": f"<b>{x_label}</b>", "showarrow": False, "opacity": alpha,
                            "font": {"size": 18}})
        annotations.append({"x": s, "y": -0.32, "text": f"t={s}", "showarrow": False, "opacity": alpha,
                            "font": {"color": theme.GREY}})
        annotations.append({"x": s, "y": 2.1, "text": _prediction_text(trace, s, vocab), "showarrow": False,
                            "opacity": alpha, "font": {"size": 12}})
        arrow = {"showarrow": True, "arrowhead": 3, "arrowwidth": 1.5, "arrowcolor": theme.BLACK, "opacity": alpha,
                 "axref": "x", "ayref": "y", "text": ""}
        label = {"showarrow": False, "opacity": alpha, "font": {"size": 12, "color": theme.BLUE}, "xanchor": "left"}
        annotations.append({**arrow, "x": s, "y": 0.78, "ax": s, "ay": 0.17})
        annotations.append({**label, "x": s + 0.04, "y": 0.48, "text": "W<sub>xh</sub>"})
        annotations.append({**arrow, "x": s, "y": 1.83, "ax": s, "ay": 1.22})
        annotations.append({**label, "x": s + 0.04, "y": 1.52, "text": "W<sub>hy</sub>"})
        if j > 0:
            annotations.append({**arrow, "x": s - 0.37, "y": 1.0, "ax": s - 0.63, "ay": 1.0})
            annotations.append({**label, "x": s - 0.5, "y": 1.12, "text": "W<sub>hh</sub>", "xanchor": "center"})
        if back_from is not None and j >= back_from:
            annotations.append({"x": s, "y": 1.3, "text": f"‖∂L/∂h‖={grad[s]:.2g}", "showarrow": False,
                                "font": {"color": theme.VERMILLION, "size": 12}})
            if j > 0 and j > back_from - 1:
                annotations.append({"x": s - 0.63, "y": 0.86, "ax": s - 0.37, "ay": 0.86, "axref": "x", "ayref": "y",
                                    "showarrow": True, "arrowhead": 3, "arrowcolor": theme.VERMILLION,
                                    "arrowwidth": 1 + 3 * min(1.0, grad[s] / (np.nanmax(grad[cols]) or 1.0)),
                                    "text": ""})
        for item in annotations[first_annotation:] + shapes[first_shape:]:
            item["name"] = f"col-{s}"  # the browser's step control shows the columns of the step's window
    if step is not None:  # the selected step's band (outside the columns drawn it is simply not seen)
        shapes.append({"type": "rect", "name": "step-x", "x0": step - 0.5, "x1": step + 0.5, "y0": -0.45, "y1": 2.45,
                       "fillcolor": theme.YELLOW, "opacity": 0.18, "line": {"width": 0}, "layer": "below"})
    if back_from is not None:
        title = t("fig.unrolled_bptt", lang, t=cols[back_from])
    elif phase is not None:
        title = t("fig.unrolled_fwd", lang, t=cols[fwd_upto])
    else:
        title = t("fig.unrolled", lang)
    shown = cols
    if window is not None and step is not None:
        ranges = []
        for s in range(steps):
            first = window_start(s, steps, window)
            ranges.append([first - PAD, min(steps, first + window) - 1 + PAD])
        fig.update_layout(meta={"step_ranges": ranges})
        first = window_start(step, steps, window)
        shown = range(first, min(steps, first + window))
        for item in annotations + shapes:  # drawing only the window's columns keeps panning cheap
            if item.get("name", "").startswith("col-"):
                item["visible"] = int(item["name"][4:]) in shown
    theme.style(fig, title=title, height=430)
    fig.update_layout(shapes=shapes, annotations=annotations,
                      coloraxis={"colorscale": theme.DIVERGING, "cmin": -bound, "cmax": bound,
                                 "colorbar": {"title": "h", "thickness": 12}})
    fig.update_xaxes(range=[shown[0] - PAD, shown[-1] + PAD], showgrid=False, zeroline=False, showticklabels=False)
    fig.update_yaxes(range=[-0.5, 2.5], showgrid=False, zeroline=False, tickmode="array", tickvals=[0, 1, 2.1],
                     ticktext=["x<sub>t</sub>", "h<sub>t</sub>", "y<sub>t</sub>"])
    return fig


def animated(trace, **kw) -> go.Figure:
    """The step-through as a Plotly animation: forward left to right, then BPTT right to left, with a Play button."""
    n = len(range(max(0, kw.get("start", 0)), min(trace.hidden.shape[1], kw.get("start", 0) + kw.get("width", 8))))
    figs = [unrolled_network(trace, **{**kw, "phase": p}) for p in range(2 * n)]
    base = go.Figure(figs[0])
    base.frames = [go.Frame(data=f.data, layout={"annotations": f.layout.annotations, "shapes": f.layout.shapes,
                                                 "title": f.layout.title}, name=str(p)) for p, f in enumerate(figs)]
    base.update_layout(updatemenus=[{"type": "buttons", "showactive": False, "x": 0, "y": -0.05, "xanchor": "left",
                                     "buttons": [{"label": "▶", "method": "animate",
                                                  "args": [None, {"frame": {"duration": 700, "redraw": True},
                                                                  "fromcurrent": True}]}]}])
    return base

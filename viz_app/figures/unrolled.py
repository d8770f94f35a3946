"""The network unrolled over time: x_t -> h_t -> y_t with the shared W_xh, W_hh, W_hy on the arrows, each h_t as a
heat strip, the predicted next character at each step, and a forward-then-BPTT step-through.

Every column of the sequence is in the figure, drawn with a handful of traces (text, arrows, boxes: no annotation per
column), and a window of them is shown at a time: the browser's control (viz_app/web/controls.js) pans the x range and
keeps only the window's points (meta.<field>_cols), so moving the step redraws a few dozen points."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from viz_app.text import escape
from viz_app.web import theme
from viz_app.text.i18n import t
from viz_app.figures.common import char_labels, place, step_band

PAD = 0.64  # x range beyond the first and last column shown: the incoming W_hh arrow (from t-0.63), no neighbour strip
VEIL = 0.82  # opacity of the veil over the steps the forward pass has not reached
GRAD_ROW, ARROW_ROW = 1.33, 0.7  # the step-through's BPTT: ||dL/dh_t|| above each strip, red arrows below


def _prediction_text(trace, s: int, vocab: str | None, lang: str) -> str:
    out = trace.outputs[s, 0]
    if not np.isfinite(out).all():  # a diverged run: no probabilities to show
        return f"ŷ: {t('leg.nonfinite', lang)}"
    if vocab is None or trace.loss_kind != "cross_entropy" or len(out) != len(vocab):
        return "ŷ = " + ", ".join(f"{v:.2f}" for v in out[:3])
    p = np.exp(out - out.max())
    p /= p.sum()
    top = np.argsort(-p)[:3]
    return "<br>".join(f"{'␣' if vocab[i] == ' ' else escape.plot(vocab[i])} {p[i]:.2f}" for i in top)


def _strips(h: np.ndarray, cols: list[int], directions: int = 1) -> go.Heatmap:
    """Every column's h_t as a strip of its units (cells from t-0.35 to t+0.35, given by their edges), the gaps
    between columns empty: one trace. Each cell's customdata: [t, unit in its half, arrow, unit in h_t] (-1: a
    gap). A bidirectional layer's strip is its two halves, [h→ | h←] (torch's order), with a gap between them."""
    units = h.shape[1] // directions
    halves = [(-0.35, 0.35)] if directions == 1 else [(-0.35, -0.03), (0.03, 0.35)]
    arrow = [""] if directions == 1 else ["→", "←"]
    edges, z, cell = [], [], []
    for s in cols:
        for d, (lo, hi) in enumerate(halves):
            if d:  # the gap between the halves
                edges.append(s + lo)
                z.append(None)
                cell.append([s, -1, "", -1])
            edges.extend(np.linspace(s + lo, s + hi, units + 1).tolist()[0 if not edges else 1:])
            z.extend(h[s, d * units:(d + 1) * units].tolist())
            cell.extend([s, j, arrow[d], d * units + j] for j in range(units))
        if s != cols[-1]:  # the gap up to the next column's first edge
            edges.append(s + 1 - 0.35)
            z.append(None)
            cell.append([s, -1, "", -1])
    return go.Heatmap(z=[z, z], x=edges, y=[0.8, 1.0, 1.2], coloraxis="coloraxis", customdata=[cell, cell],
                      hovertemplate="h%{customdata[2]}_%{customdata[0]}[%{customdata[1]}] = %{z:.3f}<extra></extra>",
                      showscale=False, xgap=0, ygap=0, hoverongaps=False, name="h")


def window_start(step: int, steps: int, width: int) -> int:
    """The first of ``width`` columns shown while ``step`` is selected. The window moves by pages of width // 2
    columns, keeping the step at least (width - page) // 2 columns from either edge inside the sequence: three key
    presses in four move only the highlight (cheap in the browser), the fourth turns the page."""
    page = max(1, width // 2)
    margin = (width - page) // 2
    return min(max(0, page * (step // page) - margin), max(0, steps - width))


def phase_column(phase: int, steps: int) -> int:
    """The step-through's phase in [0, 2T): the forward pass reaches column phase, then BPTT goes back to column
    2T-1-phase."""
    return phase if phase < steps else 2 * steps - 1 - phase


class _Layer:
    """The points of one trace, each belonging to a column (the browser keeps a column's points while it is shown)."""

    def __init__(self):
        self.x, self.y, self.cols, self.text = [], [], [], []

    def point(self, col: int, x: float, y: float, text: str = "") -> None:
        self.x.append(x)
        self.y.append(y)
        self.cols.append(col)
        self.text.append(text)

    def path(self, col: int, xs, ys) -> None:
        """A polyline, ended by a gap."""
        for x, y in [*zip(xs, ys), (None, None)]:
            self.point(col, x, y)


def _columns_trace(layer: _Layer, keep: dict, **kw) -> go.Scatter:
    """A trace of column points; ``keep``: meta.<field>_cols, the [first, last] columns kept at each index."""
    return go.Scatter(x=layer.x, y=layer.y, meta={"cols": layer.cols, "y_all": layer.y, **keep},
                      customdata=layer.cols, showlegend=False, cliponaxis=True, **kw)


def _text(layer: _Layer, keep: dict, *, size: int, name: str, colour: str = theme.BLACK,
          position: str = "middle center", hover: bool = False) -> go.Scatter:
    return _columns_trace(layer, keep, mode="text", text=layer.text, textposition=position, name=name,
                          textfont={"size": size, "color": colour},
                          hovertemplate="t = %{customdata}<extra></extra>" if hover else None,
                          hoverinfo=None if hover else "skip")


def _arrows(layer: _Layer, keep: dict, *, colour: str, width: float, name: str) -> go.Scatter:
    """Line segments (start, end, gap) with an arrowhead at each end point."""
    sizes = [0 if (k % 3) == 0 else 10 + 2 * width for k in range(len(layer.x))]
    return _columns_trace(layer, keep, mode="lines+markers", name=name, hoverinfo="skip",
                          line={"color": colour, "width": width},
                          marker={"symbol": "arrow", "angleref": "previous", "size": sizes, "color": colour})


def unrolled_network(trace, *, lang: str, vocab: str | None = None, step: int | None = None, window: int = 8,
                     layer: int = -1, through: bool = False, phase: int | None = None,
                     unit: int | None = None) -> go.Figure:
    """Every step of sequence 0, ``window`` columns shown around ``step``. A bidirectional layer: each strip is
    [h→ | h←], with W_hh→ arrows from h→_{t-1} and W_hh← arrows from h←_{t+1} (no step-through: its forward pass
    runs both ways). The layout's meta.step_ranges and each
    trace's meta.step_cols give the x range and the columns kept at every step (the browser's step control pans with
    them; figures.common.place is the server's copy).

    ``through``: the step-through instead, over the field "phase" (``phase`` in [0, 2T)): the forward pass computes
    h_t left to right (the steps not yet reached behind a veil), then BPTT sends ‖∂L/∂h_t‖ back right to left (red
    arrows, thicker for a larger gradient); the window follows the phase's column.

    ``unit`` (of h_t, [h→ | h←] for a bidirectional layer): a mark above that unit's cell of every strip, the unit
    whose equations the page writes out."""
    steps, two = trace.hidden.shape[1], trace.directions == 2
    if through and two:
        raise ValueError("the step-through draws one direction's forward pass and BPTT")
    cols = list(range(steps))
    chars = char_labels(trace, vocab)
    h = trace.hidden[layer, :, 0, :]
    bound = float(np.nanmax(np.abs(h[np.isfinite(h)]))) if np.isfinite(h).any() else 1.0
    grad = np.sqrt((trace.grad_hidden[layer, :, 0, :].astype(float) ** 2).sum(-1))  # ||dL/dh_t|| of sequence 0
    big = float(np.nanmax(grad[np.isfinite(grad)])) if np.isfinite(grad).any() else 0.0

    # colours shared with the step's equations (viz_app.text.equations.step_formula_tex): the input side orange, the
    # recurrent side blue, the readout black
    boxes, arrows, inputs, times, preds, w_side, w_hh = (_Layer() for _ in range(7))
    in_arrows, rec_arrows, w_xh = _Layer(), _Layer(), _Layer()
    grad_text, back = _Layer(), {w: _Layer() for w in (1, 2, 3, 4)}
    for s in cols:
        for y0, y1 in ((-0.15, 0.15), (1.85, 2.35)):
            boxes.path(s, [s - 0.3, s + 0.3, s + 0.3, s - 0.3, s - 0.3], [y0, y0, y1, y1, y0])
        inputs.point(s, s, 0, f"<b>{chars[s]}</b>" if chars else f"x<sub>{s}</sub>")
        times.point(s, s, -0.32, f"t={s}")
        preds.point(s, s, 2.1, _prediction_text(trace, s, vocab, lang))
        in_arrows.path(s, [s, s], [0.17, 0.74])
        arrows.path(s, [s, s], [1.22, 1.79])
        w_xh.point(s, s + 0.04, 0.48, "W<sub>xh</sub>")
        w_side.point(s, s + 0.04, 1.52, "W<sub>hy</sub>")
        if s > 0 and not two:
            rec_arrows.path(s, [s - 0.63, s - 0.41], [1.0, 1.0])
            w_hh.point(s, s - 0.5, 1.12, "W<sub>hh</sub>")
        elif two:  # h→_t from h→_{t-1} (below), h←_t from h←_{t+1} (above)
            if s > 0:
                rec_arrows.path(s, [s - 0.63, s - 0.41], [0.9, 0.9])
                w_hh.point(s, s - 0.5, 0.77, "W<sup>→</sup><sub>hh</sub>")
            if s < steps - 1:
                rec_arrows.path(s, [s + 0.63, s + 0.41], [1.1, 1.1])
                w_hh.point(s, s + 0.5, 1.24, "W<sup>←</sup><sub>hh</sub>")
            inputs.point(s, s - 0.19, 0.63, "→")
            inputs.point(s, s + 0.19, 0.63, "←")
        if through:
            grad_text.point(s, s + 0.04, GRAD_ROW, f"{grad[s]:.2g}".replace("e-0", "e-").replace("e+0", "e+"))
            if s > 0:
                width = 1 + int(round(3 * min(1.0, grad[s] / big))) if big > 0 and np.isfinite(grad[s]) else 1
                back[width].path(s, [s - 0.37, s - 0.59], [ARROW_ROW, ARROW_ROW])

    field = "phase" if through else "step"
    count = 2 * steps if through else steps
    focus = [phase_column(i, steps) if through else i for i in range(count)]
    shown = []  # (first, last) column shown at each index
    for c in focus:
        first = window_start(c, steps, window)
        shown.append((first, min(steps, first + window) - 1))
    keep = {f"{field}_cols": [list(pair) for pair in shown]}
    fig = go.Figure([_strips(h, cols, trace.directions),
                     _columns_trace(boxes, keep, mode="lines", line={"color": theme.GREY, "width": 1},
                                    hoverinfo="skip", name="boxes"),
                     _arrows(arrows, keep, colour=theme.BLACK, width=1.5, name="arrows"),
                     _text(inputs, keep, size=18, name="x", hover=True),
                     _text(times, keep, size=14, colour=theme.GREY, name="t"),
                     _text(preds, keep, size=12, name="y"),
                     _text(w_side, keep, size=12, position="middle right", name="W"),
                     _text(w_xh, keep, size=12, colour=theme.ORANGE, position="middle right", name="W_xh"),
                     _text(w_hh, keep, size=12, colour=theme.BLUE, name="W_hh"),
                     _arrows(in_arrows, keep, colour=theme.ORANGE, width=1.5, name="input arrows"),
                     _arrows(rec_arrows, keep, colour=theme.BLUE, width=1.5, name="recurrent arrows")])
    meta = {f"{field}_ranges": [[first - PAD, last + PAD] for first, last in shown]}
    if not through:  # a click on a cell of a strip also picks its unit (viz_app/web/controls.js), of the layer drawn
        meta.update(step_unit=3, step_layer=layer % trace.layers)
    band = step_band(0)
    images = [band]
    if through:
        # BPTT's rows (||dL/dh_t|| written above each strip, red arrows below) keep the window's columns it has
        # reached: c..T-1 at a backward phase on column c, none in the forward pass
        forward = [i < steps for i in range(count)]
        reached = {"phase_cols": [[1, 0] if f else [max(first, c), last]
                                  for f, c, (first, last) in zip(forward, focus, shown)]}
        fig.add_trace(_text(grad_text, reached, size=12, colour=theme.VERMILLION, position="middle right",
                            name="dL/dh"))
        for width, layer_ in back.items():
            fig.add_trace(_arrows(layer_, reached, colour=theme.VERMILLION, width=width,
                                  name=f"dL/dh arrows {width}"))
        # the band on the phase's column; the veil over the columns after it in the forward pass (faded, not
        # hidden: the input is known)
        images = [{**band, "name": "phase-band"},
                  {"source": theme.solid("#FFFFFF"), "name": "phase-veil", "x": 0.36, "y": 2.5, "sizex": steps + 2,
                   "sizey": 3.0, "xref": "x", "yref": "y", "xanchor": "left", "yanchor": "top", "sizing": "stretch",
                   "opacity": VEIL, "layer": "above"}]
        meta["phase_click"] = True  # a click on a column goes to its forward phase
        meta["phase_titles"] = [t("fig.unrolled_fwd" if f else "fig.unrolled_bptt", lang, t=c)
                                for f, c in zip(forward, focus)]
        meta["phase_layout"] = [{"images[0].x": c - 0.5, "images[1].x": c + 0.36 if f else steps + 1}
                                for f, c in zip(forward, focus)]
    units = h.shape[1] // trace.directions
    if unit is not None and 0 <= unit < h.shape[1]:
        marks = _Layer()
        d, j = divmod(unit, units)
        lo, hi = (-0.35, 0.35) if trace.directions == 1 else ((-0.35, -0.03), (0.03, 0.35))[d]
        for s in cols:
            marks.point(s, s + lo + (j + 0.5) * (hi - lo) / units, 1.27)
        fig.add_trace(_columns_trace(marks, keep, mode="markers", name="unit", hoverinfo="skip",
                                     marker={"symbol": "triangle-down", "size": 9, "color": theme.BLACK}))
    title = t("fig.unrolled_fwd", lang, t=0) if through else t("fig.unrolled_bidirectional" if two else
                                                                 "fig.unrolled", lang)
    theme.style(fig, title=title, height=430)
    fig.update_layout(images=images, meta=meta,
                      coloraxis={"colorscale": theme.DIVERGING, "cmin": -bound, "cmax": bound,
                                 "colorbar": {"title": "h", "thickness": 12}})
    fig.update_xaxes(showgrid=False, zeroline=False, showticklabels=False, fixedrange=True)
    both = "[h<sup>→</sup><sub>t</sub> | h<sup>←</sup><sub>t</sub>]"
    rows = {0: "x<sub>t</sub>", 1: both if two else "h<sub>t</sub>", 2.1: "y<sub>t</sub>"}
    if through:
        rows[GRAD_ROW] = "‖∂L/∂h<sub>t</sub>‖"
    fig.update_yaxes(range=[-0.5, 2.5], showgrid=False, zeroline=False, tickmode="array", tickvals=list(rows),
                     ticktext=list(rows.values()), fixedrange=True)
    # placed at its index (x range, columns kept, band, title, veils) exactly as the browser's control places it
    return go.Figure(place(fig.to_dict(), (phase if through else step) or 0, field), _validate=False)

"""Predict, then reveal: with the lecturer's switch on (state field ``predict``), a view that has a question shows the
question instead of its charts and sentences; the class sketches the curve it expects (clicks on an empty pad, the
value read where the question asks) or types a number, and Reveal draws the view with the prediction (the star, and
the sketch) on its main chart and how far it was from the run's own value.

Until the reveal nothing the view measures leaves the server: no figure but the pad, no caption (the browser could
show a hidden trace's data). The pad's axes come from the settings alone (the number of steps or updates, a fixed
range of powers of ten), never from a measurement. A prediction belongs to the session and to the run: new
settings ask again.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine import analysis

from viz_app.web import controls, present, theme
from viz_app.text.i18n import t


@dataclass(frozen=True)
class Pad:
    """The sketch pad of a question: x from 0 to n-1, y on a log axis from 10^lo to 10^hi; the prediction is the
    sketch's value at x = at; ``anchor``: a point every sketch goes through by definition (x, log10 y), or None."""
    n: int
    at: int
    lo: float
    hi: float
    x_title: str  # string-table keys
    y_title: str
    anchor: tuple[int, float] | None = None

    def xs(self) -> list[int]:
        """The x positions a click can pick: every one up to 60, else 50 of them with both ends."""
        return sorted({int(round(v)) for v in np.linspace(0, self.n - 1, min(self.n, 60 if self.n <= 60 else 50))})

    def ys(self) -> np.ndarray:
        """The log10 levels a click can pick: quarter decades, half decades on a pad of more than 8 (levels a few
        pixels apart: Plotly's click picks the nearest point only beyond its 3-pixel radius)."""
        per = 4 if self.hi - self.lo <= 8 else 2
        return np.linspace(self.lo, self.hi, int(round(per * (self.hi - self.lo))) + 1)


@dataclass(frozen=True)
class Question:
    chart: str  # the chart the prediction is drawn on
    truth: Callable  # (run, trace) -> the run's value
    point: Callable  # (run, trace, prediction) -> (x, y) on that chart
    pad: Callable  # (run, trace) -> Pad, from the settings only
    scale: Callable = lambda run, trace: 1.0  # a sketch's y times this is the chart's y (after the reveal)


def _ratio(run, trace) -> float:
    total = analysis.norms_over_time(trace.grad_hidden[-1])
    return float(total[0] / total[-1]) if total[-1] > 0 else math.nan


def _ratio_point(run, trace, value):
    total = analysis.norms_over_time(trace.grad_hidden[-1])
    return 0, value * float(total[-1])


def _last_norm(run, trace) -> float:
    return float(analysis.norms_over_time(trace.grad_hidden[-1])[-1])


# the questions the views ask (their records' ``question``): how much gradient reaches the first step, the chain's
# norm over the whole sequence, the training's final loss
GRADIENT_REACHING_START = Question(  # the sketch is of ||dL/dh_k|| / ||dL/dh_T||: 1 at the last step by definition
    "grad-norms", _ratio, _ratio_point,
    lambda run, trace: Pad(trace.steps, 0, -12.0, 12.0, "axis.t", "predict.y_bptt", anchor=(trace.steps - 1, 0.0)),
    scale=_last_norm)
CHAIN_NORM = Question(
    "decay", lambda run, trace: float(trace.jacobians.spectral[-1, 0]),
    lambda run, trace, value: (trace.steps - 1, value),
    lambda run, trace: Pad(trace.steps, trace.steps - 1, -16.0, 8.0, "axis.lag", "predict.y_eigen",
                           anchor=(0, 0.0)))  # ||dh_T/dh_T|| = ||I|| = 1
FINAL_LOSS = Question(
    "loss", lambda run, trace: float(run.history.loss[-1]),
    lambda run, trace, value: (run.history.updates - 1, value),
    lambda run, trace: Pad(run.history.updates, run.history.updates - 1, -4.0, 2.0, "axis.update", "axis.loss"))


def _anchored(points: dict, anchor: tuple[int, float] | None) -> dict:
    """A sketch's points ({x: log10 y}) with the pad's anchor (where the class's own point does not replace it)."""
    return points if anchor is None else {anchor[0]: anchor[1], **points}


def sketch_value(points: dict, at: int, anchor: tuple[int, float] | None = None) -> float | None:
    """The value a sketch ({x: log10 y}, with the pad's anchor) gives at x = ``at``: linear in log10 y between the
    points on either side, the nearest point's beyond the sketch's ends; None without a point of the class's own."""
    if not points:
        return None
    pts = _anchored(points, anchor)
    xs = sorted(pts)
    if at <= xs[0]:
        return float(10 ** pts[xs[0]])
    if at >= xs[-1]:
        return float(10 ** pts[xs[-1]])
    return float(10 ** np.interp(at, xs, [pts[x] for x in xs]))


def sketch_pad(pad: Pad, points: dict, lang: str) -> go.Figure:
    """The empty chart the class sketches on: an invisible grid of the points a click can pick (trace 0), the
    sketch so far (the anchor, then the class's points, joined), and a dashed line where the value is read."""
    gx, gy = np.meshgrid(pad.xs(), 10 ** pad.ys())
    fig = go.Figure(go.Scatter(x=gx.ravel().tolist(), y=gy.ravel().tolist(), mode="markers", hoverinfo="none",
                               marker={"size": 2, "opacity": 0}, showlegend=False, name="grid",
                               selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}}))
    pts = _anchored(points, pad.anchor)
    xs = sorted(pts)
    fig.add_trace(go.Scatter(x=xs, y=[10 ** pts[x] for x in xs], mode="lines+markers", name=t("predict.sketch",
                             lang), line={"color": theme.VERMILLION, "width": 3, "dash": "dash"},
                             marker={"size": 10, "color": theme.VERMILLION}, hoverinfo="skip"))
    fig.add_vline(x=pad.at, line={"color": theme.BLACK, "dash": "dot"})
    theme.style(fig, title=t("predict.pad", lang), height=380)
    fig.update_xaxes(title=t(pad.x_title, lang), range=[-0.5, pad.n - 0.5])
    span = pad.hi - pad.lo  # a label every 4, 2 or 1 decades: where to click, read at a glance
    theme.log_axis(fig, title=t(pad.y_title, lang), range=[pad.lo - 0.2, pad.hi + 0.2], tickmode="linear",
                   tick0=pad.lo, dtick=4 if span > 12 else 2 if span > 6 else 1)
    fig.update_layout(meta={"sketch": True}, dragmode=False, hovermode="closest", clickmode="event+select")
    return fig


def _picked(event) -> tuple | None:
    """The grid points selected on the pad (Streamlit's selection state), as ((x, log10 y), ...), or None. The state
    comes from the browser: anything but finite numbers (a crafted x = Infinity raised OverflowError) is left out;
    the caller keeps the points on the pad's grid."""
    out = []
    for p in controls.selected_points(event):
        if not isinstance(p, dict):
            continue
        x, y = p.get("x"), p.get("y")
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (x, y))
        if p.get("curve_number") == 0 and numbers and y > 0:
            out.append((int(round(x)), round(math.log10(y) * 4) / 4))
    return tuple(out) or None


def _key(state) -> str:
    return f"predict_{state.view}_{hash(state.run_config())}"


def parse(text: str) -> float | None:
    """A typed prediction: a positive finite number (0.001, 1e-3, 1/1000); None otherwise."""
    text = text.strip().replace(",", "").replace("×10^", "e").replace("x10^", "e")
    try:
        if "/" in text:
            a, b = text.split("/", 1)
            value = float(a) / float(b)
        else:
            value = float(text)
    except (ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) and value > 0 else None


class Mark(NamedTuple):
    """A revealed prediction, for its chart (``chart``: the chart's name): the star at (x, y) and the class's sketch
    as (xs, ys) in the chart's units, if it drew one."""

    chart: str
    x: float
    y: float
    curve: tuple[list, list] | None


def gate(state, run, trace, where, question: Question | None) -> tuple[bool, Mark | None]:
    """Whether the view may draw (no ``question``, or revealed; else the question is on the stage), and the revealed
    prediction to mark on its chart (``Areas.mark``)."""
    if not state.predict or question is None:
        return True, None
    try:
        truth = question.truth(run, trace)
    except (IndexError, TypeError, AttributeError):  # nothing measured (no update yet, no map)
        truth = math.nan
    if not (math.isfinite(truth) and truth > 0):  # nothing to compare a prediction with: the view as it is
        return True, None
    key, lang = _key(state), state.lang
    got = st.session_state.get(key)
    if got is not None:  # revealed: the comparison above the view, the prediction on its chart
        value, drawn = got
        x, y = question.point(run, trace, value)
        scale = question.scale(run, trace) if drawn else 1.0
        curve = ([px for px, _ in drawn], [py * scale for _, py in drawn]) if drawn else None
        factor = max(value / truth, truth / value)
        q = t(f"predict.q_{state.view}", lang)
        if factor < 1.05:
            where.notes.success(t("predict.close", lang, q=q, guess=value, truth=truth))
        else:
            where.notes.success(t("predict.result", lang, q=q, guess=value, truth=truth, factor=factor,
                                  side=t("predict.high" if value > truth else "predict.low", lang)))
        if where.notes.button(t("predict.again", lang), key=f"w_again_{state.view}"):
            for part in ("", "_sketch", "_picked"):  # a new prediction: a fresh pad (a click like the last counts)
                st.session_state.pop(f"{key}{part}", None)
            st.rerun()
        return True, Mark(question.chart, x, y, curve)
    pad = question.pad(run, trace)
    sketch = st.session_state.setdefault(f"{key}_sketch", {})
    pad_key = f"w_pad_{state.view}"
    picked = _picked(st.session_state.get(pad_key))  # a click on the pad (its state is there before it is drawn)
    if picked is not None and picked != st.session_state.get(f"{key}_picked"):
        st.session_state[f"{key}_picked"] = picked
        for px, py in picked:
            if 0 <= px < pad.n and pad.lo <= py <= pad.hi and (pad.anchor is None or px != pad.anchor[0]):
                sketch[px] = py
    with where.stage:
        st.subheader(t("predict.title", lang))
        st.markdown(t(f"predict.q_{state.view}", lang))
        fig = sketch_pad(pad, sketch, lang)
        present.scale_fonts(fig, state)  # the room's size in presentation mode
        st.plotly_chart(fig, key=pad_key, on_select="rerun", selection_mode="points",
                        config={"displayModeBar": False}, theme=None)
        sketched = sketch_value(sketch, pad.at, pad.anchor)
        st.caption(t("predict.sketched", lang, value=sketched) if sketched is not None
                   else t("predict.how", lang))
    with where.stage.form(f"w_predict_{state.view}"):
        text = st.text_input(t("predict.label", lang), key=f"w_guess_{state.view}", placeholder="1e-3")
        left, right = st.columns(2)
        pressed = left.form_submit_button(t("predict.reveal", lang), type="primary")
        cleared = right.form_submit_button(t("predict.clear", lang))
    if cleared:  # the pad keeps its last pick selected: ``_picked`` keeps it from coming back
        sketch.clear()
        st.rerun()
    if pressed:
        value = parse(text) if text.strip() else sketched
        if value is None:
            where.stage.warning(t("predict.bad", lang))
        else:
            drawn = [(px, float(10 ** py)) for px, py in sorted(_anchored(sketch, pad.anchor).items())] \
                if sketch else None
            st.session_state[key] = (value, drawn)
            st.rerun()
    return False, None


def mark(fig: go.Figure, got: Mark | None, chart: str, lang: str) -> go.Figure:
    """The revealed prediction ``got`` on its chart (``fig``, named ``chart``): a large star named "prediction", and
    the class's sketch if it drew one."""
    if got is None or got.chart != chart:
        return fig
    x, y, curve = got.x, got.y, got.curve
    if curve is not None:  # the class's sketch, in the chart's units
        fig.add_trace(go.Scatter(x=curve[0], y=curve[1], mode="lines+markers", name=t("predict.sketch", lang),
                                 line={"color": theme.VERMILLION, "width": 2, "dash": "dash"},
                                 marker={"size": 7, "color": theme.VERMILLION}, meta={"sketch": curve[1]}))
    fig.add_trace(go.Scatter(x=[x], y=[y], mode="markers+text", name=t("predict.legend", lang),
                             text=[t("predict.legend", lang)], textposition="top center",
                             marker={"size": 16, "symbol": "star", "color": theme.VERMILLION,
                                     "line": {"width": 1, "color": theme.BLACK}},
                             meta={"prediction": float(y)}))
    return fig

"""Predict, then reveal: with the lecturer's switch on (state field ``predict``), a view that has a question shows the
question instead of its charts and sentences; the class types a number, and Reveal draws the view with the prediction
on its main chart and how far it was from the run's own value.

Until the reveal nothing the view measures leaves the server: no figure, no caption (the browser could show a hidden
trace's data). A prediction belongs to the session and to the run: new settings ask again.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import plotly.graph_objects as go
import streamlit as st

from engine import analysis

from . import theme
from .i18n import t


@dataclass(frozen=True)
class Question:
    chart: str  # the chart the prediction is drawn on
    truth: Callable  # (run, trace) -> the run's value
    point: Callable  # (run, trace, prediction) -> (x, y) on that chart


def _ratio(run, trace) -> float:
    total = analysis.norms_over_time(trace.grad_hidden[-1])
    return float(total[0] / total[-1]) if total[-1] > 0 else math.nan


def _ratio_point(run, trace, value):
    total = analysis.norms_over_time(trace.grad_hidden[-1])
    return 0, value * float(total[-1])


QUESTIONS = {
    "bptt": Question("grad-norms", _ratio, _ratio_point),
    "eigen": Question("decay", lambda run, trace: float(trace.jacobians.spectral[-1, 0]),
                      lambda run, trace, value: (trace.steps - 1, value)),
    "timeline": Question("loss", lambda run, trace: float(run.history.loss[-1]),
                         lambda run, trace, value: (run.history.updates - 1, value)),
}


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


def gate(state, run, trace, where) -> bool:
    """True when the view may draw (no question, or revealed); else the question is on the stage."""
    question = QUESTIONS.get(state.view)
    if not state.predict or question is None:
        return True
    try:
        truth = question.truth(run, trace)
    except (IndexError, TypeError, AttributeError):  # nothing measured (no update yet, no map)
        truth = math.nan
    if not (math.isfinite(truth) and truth > 0):  # nothing to compare a prediction with: the view as it is
        return True
    key = _key(state)
    got = st.session_state.get(key)
    if got is not None:  # revealed: the comparison above the view, the prediction on its chart
        value = got
        x, y = question.point(run, trace, value)
        st.session_state.setdefault("_marks", {})[state.view] = (question.chart, x, y)
        factor = max(value / truth, truth / value)
        q = t(f"predict.q_{state.view}", state.lang)
        if factor < 1.05:
            where.notes.success(t("predict.close", state.lang, q=q, guess=value, truth=truth))
        else:
            where.notes.success(t("predict.result", state.lang, q=q, guess=value, truth=truth, factor=factor,
                                  side=t("predict.high" if value > truth else "predict.low", state.lang)))
        if where.notes.button(t("predict.again", state.lang), key=f"w_again_{state.view}"):
            del st.session_state[key]
            st.rerun()
        return True
    st.session_state.get("_marks", {}).pop(state.view, None)
    with where.stage.form(f"w_predict_{state.view}"):
        st.subheader(t("predict.title", state.lang))
        st.markdown(t(f"predict.q_{state.view}", state.lang))
        text = st.text_input(t("predict.label", state.lang), key=f"w_guess_{state.view}",
                             placeholder="1e-3")
        pressed = st.form_submit_button(t("predict.reveal", state.lang), type="primary")
    if pressed:
        value = parse(text)
        if value is None:
            where.stage.warning(t("predict.bad", state.lang))
        else:
            st.session_state[key] = value
            st.rerun()
    return False


def mark(fig: go.Figure, state, chart: str) -> go.Figure:
    """The revealed prediction on its chart: a large open marker named "prediction"."""
    got = st.session_state.get("_marks", {}).get(state.view) if state.predict else None
    if got is None or got[0] != chart:
        return fig
    _, x, y = got
    fig.add_trace(go.Scatter(x=[x], y=[y], mode="markers+text", name=t("predict.legend", state.lang),
                             text=[t("predict.legend", state.lang)], textposition="top center",
                             marker={"size": 16, "symbol": "star", "color": theme.VERMILLION,
                                     "line": {"width": 1, "color": theme.BLACK}},
                             meta={"prediction": float(y)}))
    return fig

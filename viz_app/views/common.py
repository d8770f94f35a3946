"""Pieces every view uses: clickable charts that select a step, the step slider, the explanation, notices."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from ..cache import LRU
from ..figures.common import step_shape
from ..i18n import t

_FIGURES = LRU(512)  # built figures as dicts, shared by all sessions (read-only once stored)

CHART_CONFIG = {"displaylogo": False,
                "toImageButtonOptions": {"format": "png", "scale": 3, "width": 1600, "height": 900}}


def clicked_step(key: str) -> int | None:
    """The step carried by the point last clicked in chart ``key`` (its customdata), once per new click."""
    event = st.session_state.get(key)
    points = getattr(getattr(event, "selection", None), "points", None) if event is not None else None
    if not points:
        return None
    sig = repr(points)
    if st.session_state.get(f"_seen_{key}") == sig:
        return None
    st.session_state[f"_seen_{key}"] = sig
    p = points[0]
    value = p.get("customdata", p.get("x"))
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def figure(builder, data, *, highlight: int | None = None, **options) -> go.Figure:
    """``builder(data, **options)``, built once per (data object, options) and then reused: a view-only rerun
    costs a dict copy instead of a rebuild. ``highlight`` adds the time-step highlight on top."""
    key = (builder.__module__, builder.__qualname__, id(data), _freeze(options))
    hit = _FIGURES.get(key)
    if hit is None or hit[0] is not data:  # the id of an evicted object may be reused: compare identity
        hit = (data, builder(data, **options).to_dict())
        _FIGURES.put(key, hit)
    spec = hit[1]
    if highlight is not None and highlight >= 0:
        layout = spec["layout"]
        spec = {**spec, "layout": {**layout, "shapes": [*layout.get("shapes", ()), step_shape(highlight)]}}
    # the stored dict was produced by a validated Figure: skip plotly's (slow) validation the second time
    return go.Figure(spec, _validate=False)


def chart(fig, key: str, *, selectable: bool = True) -> None:
    """Draw a figure; clicks on it select a step (read back by ``clicked_step`` on the next run)."""
    if selectable:
        st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", config=CHART_CONFIG, theme=None)
    else:
        st.plotly_chart(fig, key=key, config=CHART_CONFIG, theme=None)


def explain(view: str, lang: str) -> None:
    st.caption(t(f"exp.{view}", lang))


def step_slider(state, steps: int, chart_keys: tuple[str, ...]):
    """The step selector, mirrored by clicks on any time axis; returns the state with the chosen step.

    One widget key for every view, so the chosen step follows the user from view to view."""
    key = "w_step"
    if key not in st.session_state or not 0 <= st.session_state[key] < steps:
        st.session_state[key] = state.step if 0 <= state.step < steps else steps - 1
    for chart_key in chart_keys:
        clicked = clicked_step(chart_key)
        if clicked is not None and 0 <= clicked < steps:
            st.session_state[key] = clicked
    if steps > 1:
        st.slider(t("ctl.step", state.lang), 0, steps - 1, key=key)
    step = int(st.session_state[key]) if steps > 1 else 0
    return state.with_(step=step), step


def nonfinite_notice(trace, lang: str) -> None:
    first = [v for v in trace.nonfinite.values() if v is not None]
    if first:
        st.warning(t("msg.nonfinite", lang, step=min(first)))

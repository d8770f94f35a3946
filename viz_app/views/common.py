"""Pieces every view uses: clickable charts that select a step, the step slider, the explanation, notices."""
from __future__ import annotations

import streamlit as st

from ..i18n import t

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


def chart(fig, key: str, *, selectable: bool = True) -> None:
    """Draw a figure; clicks on it select a step (read back by ``clicked_step`` on the next run)."""
    if selectable:
        st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", config=CHART_CONFIG, theme=None)
    else:
        st.plotly_chart(fig, key=key, config=CHART_CONFIG, theme=None)


def explain(view: str, lang: str) -> None:
    st.caption(t(f"exp.{view}", lang))


def step_slider(state, steps: int, chart_keys: tuple[str, ...]):
    """The step selector, mirrored by clicks on any time axis; returns the state with the chosen step."""
    step = state.step if 0 <= state.step < steps else steps - 1
    for key in chart_keys:
        clicked = clicked_step(key)
        if clicked is not None and 0 <= clicked < steps:
            step = clicked
    if steps > 1:
        step = st.slider(t("ctl.step", state.lang), 0, steps - 1, value=step, key=f"w_step_{steps}")
    else:
        step = 0
    return state.with_(step=int(step)), int(step)


def nonfinite_notice(trace, lang: str) -> None:
    first = [v for v in trace.nonfinite.values() if v is not None]
    if first:
        st.warning(t("msg.nonfinite", lang, step=min(first)))

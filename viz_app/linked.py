"""Controls that answer inside the browser: the time step of a view moves every linked chart through Plotly's own
API (viz_app/linked.js), with no server round trip; the server hears the step once it rests.

A chart takes part by what its figure JSON declares (listed in linked.js: a shape named "step-x" or "step-y",
layout.meta.step_ranges, a trace's meta.step_xy, layout.meta.step_click for a click to select). The control is a
Streamlit custom component (components v2: inline JavaScript in the page)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from .i18n import t

SETTLE_MS = 450  # the step goes to the server when it has not moved for this long
KEY = "w_step"  # one key for every view, so the chosen step follows the user from view to view

_CSS = """
:host { display: block; width: 100%; }
.rnnviz-step { width: 100%; box-sizing: border-box; display: flex; align-items: center; gap: 0.6rem;
  font-family: inherit; padding: 0.2rem 0; }
.rnnviz-step label { display: flex; align-items: center; gap: 0.6rem; flex: 1; min-width: 0; font-size: 0.95rem; }
.rnnviz-step input[type=range] { flex: 1; min-width: 0; height: 1.4rem;
  accent-color: var(--st-primary-color, #0072B2); }
.rnnviz-step button { font-size: 1rem; min-width: 2.4rem; padding: 0.15rem 0.5rem; border-radius: 0.4rem;
  border: 1px solid rgba(49, 51, 63, 0.25); background: transparent; cursor: pointer; }
.rnnviz-step output { min-width: 6.5rem; font-variant-numeric: tabular-nums; font-weight: 600; }
"""


@st.cache_resource
def _component():
    js = (Path(__file__).with_name("linked.js")).read_text(encoding="utf-8")
    return st.components.v2.component("rnn_viz.step", js=js, css=_CSS)


def step_control(lang: str, steps: int, step: int) -> int:
    """The time-step control (steps > 1): moving it moves the step in every chart of the page that declares a step
    marker, inside the browser; a click on a point of a chart whose layout.meta has ``step_click`` selects that
    point's step. ``step``: the one the page's state has. Returns the step the server knows (the one on screen
    once it has rested)."""
    result = _component()(key=KEY, data={
        "steps": steps, "step": step, "label": t("ctl.step", lang), "prev": t("ctl.prev", lang),
        "next": t("ctl.next", lang), "settle_ms": SETTLE_MS}, default={"step": step}, on_step_change=lambda: None)
    chosen = getattr(result, "step", None)  # what the browser last reported: adopted when it is news
    if chosen != st.session_state.get(f"_{KEY}_seen"):
        st.session_state[f"_{KEY}_seen"] = chosen
        if isinstance(chosen, int | float) and 0 <= int(chosen) < steps:
            step = int(chosen)
    return step

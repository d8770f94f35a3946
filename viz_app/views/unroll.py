"""View 1: the unrolled network with a forward / BPTT step-through."""
from __future__ import annotations

import streamlit as st

from engine import Trace
from engine.experiment import Run

from ..figures import unrolled
from ..i18n import t
from ..state import AppState
from .common import AppSource, Chart, Source, chart, explain, nonfinite_notice, resolve_step, step_control

WIDTH = 8  # steps shown, centred on the selected one


def window(step: int, steps: int) -> tuple[int, int]:
    """(first step shown, how many)."""
    start = unrolled.window_start(step, steps, WIDTH)
    return start, min(WIDTH, steps - start)


def figures(state: AppState, src: Source, *, phase: int | None = None) -> list[Chart]:
    """The network around the selected step (every step drawn, WIDTH shown: the step control pans it in the browser);
    with ``phase`` (the step-through), the window's phase and the animation."""
    trace, vocab, lang = src.trace, src.run.eval_data.vocab, state.lang
    step = resolve_step(state, trace.steps)
    start, _ = window(step, trace.steps)
    if phase is None:
        return [Chart("network", src.figure(unrolled.unrolled_network, trace, lang=lang, vocab=vocab, start=0,
                                            width=trace.steps, window=WIDTH, step=step), selectable=True)]
    return [Chart("network", src.figure(unrolled.unrolled_network, trace, lang=lang, vocab=vocab, start=start,
                                        width=WIDTH, step=step, phase=phase), selectable=True),
            Chart("animation", src.figure(unrolled.animated, trace, lang=lang, vocab=vocab, start=start,
                                          width=WIDTH))]


def render(state: AppState, run: Run, trace: Trace) -> AppState:
    lang = state.lang
    explain("unroll", state)
    nonfinite_notice(trace, lang)
    state, step = step_control(state, trace.steps)
    _, n = window(step, trace.steps)
    phase_key = "unroll_phase"
    cols = st.columns([2, 1, 1, 3])  # the toggle label fits in Korean and English
    phase = None
    if cols[0].toggle(t("ctl.phase", lang), key="w_through"):
        phase = st.session_state.get(phase_key, 0)
        if cols[1].button(t("ctl.prev", lang), disabled=phase <= 0):
            phase -= 1
        if cols[2].button(t("ctl.next", lang), disabled=phase >= 2 * n - 1):
            phase += 1
        phase = st.session_state[phase_key] = max(0, min(phase, 2 * n - 1))
    charts = figures(state, AppSource(state, run, trace), phase=phase)
    chart(charts[0], state)
    if phase is not None:
        with st.expander("▶ animation"):
            chart(charts[1], state)
    return state

"""View 1: the unrolled network with a forward / BPTT step-through."""
from __future__ import annotations

import streamlit as st

from ..figures import unrolled
from ..i18n import t
from .common import chart, explain, figure, nonfinite_notice, step_slider

WIDTH = 8


def render(state, run, trace):
    lang = state.lang
    explain("unroll", state)
    nonfinite_notice(trace, lang)
    steps = trace.hidden.shape[1]
    state, step = step_slider(state, steps, ("c_unroll",))
    start = min(max(0, step - WIDTH // 2), max(0, steps - WIDTH))
    n = min(WIDTH, steps - start)
    phase_key = "unroll_phase"
    cols = st.columns([2, 1, 1, 3])  # the toggle label fits in Korean and English
    through = cols[0].toggle(t("ctl.phase", lang), key="w_through")
    if through:
        phase = st.session_state.get(phase_key, 0)
        if cols[1].button(t("ctl.prev", lang), disabled=phase <= 0):
            phase -= 1
        if cols[2].button(t("ctl.next", lang), disabled=phase >= 2 * n - 1):
            phase += 1
        st.session_state[phase_key] = max(0, min(phase, 2 * n - 1))
        fig = figure(unrolled.unrolled_network, trace, lang=lang, vocab=run.eval_data.vocab, start=start,
                     width=WIDTH, step=step, phase=st.session_state[phase_key])
        chart(fig, "c_unroll", state)
        with st.expander("▶ animation"):
            chart(figure(unrolled.animated, trace, lang=lang, vocab=run.eval_data.vocab, start=start, width=WIDTH),
                  "c_unroll_anim", state, selectable=False)
    else:
        chart(figure(unrolled.unrolled_network, trace, lang=lang, vocab=run.eval_data.vocab, start=start,
                     width=WIDTH, step=step), "c_unroll", state)
    return state

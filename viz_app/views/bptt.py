"""View 3: BPTT gradient flow."""
from __future__ import annotations

import streamlit as st

from engine import evidence

from .. import claims, runs
from ..figures import gradients as figs
from ..i18n import option, t
from .common import chart, explain, figure, nonfinite_notice, step_slider

KEYS = ("c_bptt_norms", "c_bptt_terms")


def render(state, run, trace):
    lang = state.lang
    explain("bptt", state)
    steps = trace.hidden.shape[1]
    c1, c2 = st.columns(2)
    own = state.bptt_window if state.bptt_window >= 0 else run.config.tbptt  # -1: the window the run trained with
    window = c1.slider(t("ctl.bptt_window", lang), 0, max(1, steps - 1), value=min(own, max(1, steps - 1)),
                       key="w_bptt_window", help=t("ctl.bptt_window_help", lang, k=run.config.tbptt))
    scale = c2.radio(t("ctl.scale", lang), ("log", "linear"), index=("log", "linear").index(state.scale),
                     format_func=lambda v: option(v, lang), horizontal=True, key="w_scale")
    if window:
        trace = runs.trace(run.config, tbptt=int(window), lang=lang)
    nonfinite_notice(trace, lang)
    state = state.with_(scale=scale, bptt_window=-1 if window == run.config.tbptt else int(window))
    state, step = step_slider(state, steps, KEYS)
    chart(figure(figs.grad_norms_over_time, trace, lang=lang, scale=scale, highlight=step), "c_bptt_norms", state)
    left, right = st.columns(2)
    with left:
        chart(figure(figs.jacobian_map, trace, lang=lang, step=step), "c_bptt_map", state, selectable=False)
    with right:
        if trace.cell_jacobian_norms is not None:
            chart(figure(figs.jacobian_map, trace, lang=lang, cell_state=True, step=step), "c_bptt_cmap", state,
                  selectable=False)
        else:
            chart(figure(figs.derivative_distribution, trace, lang=lang), "c_bptt_deriv", state, selectable=False)
    if f"weight_hh_l{trace.hidden.shape[0] - 1}" not in (trace.weight_grad_terms or {}):
        st.info(t("msg.no_terms", lang))
    chart(figure(figs.term_bars, trace, lang=lang, highlight=step), "c_bptt_terms", state)
    if trace.weight_grad_term_norms is not None and not state.scenario == "bptt_terms":  # the banner says it there
        st.caption(claims.term_text(evidence.term_decay(trace), lang))
    if trace.cell_jacobian_norms is not None:
        chart(figure(figs.derivative_distribution, trace, lang=lang, name="f"), "c_bptt_deriv", state, selectable=False)
    return state

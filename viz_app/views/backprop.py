"""View 3: BPTT gradient flow."""
from __future__ import annotations

import weakref

import streamlit as st

from engine import EngineError, Trace
from engine.lessons import evidence, ledger
from engine.experiment import Run

from viz_app.text import claims, equations
from viz_app.figures import gradients as figs
from viz_app.text.errors import error_message
from viz_app.text.i18n import option, t
from viz_app.state.fields import AppState, hidden
from viz_app.views.common import (AppSource, Areas, Chart, Source, chart, explain, nonfinite_notice,
                                  resolve_step, step_control)
from viz_app.views import View
from viz_app.teach import predict

BPTT_TEX = (r"\frac{\partial L}{\partial h_t} = \frac{\partial L_t}{\partial h_t} + \Big(\frac{\partial h_{t+1}}"
            r"{\partial h_t}\Big)^{\!\top} \frac{\partial L}{\partial h_{t+1}}, \qquad \frac{\partial h_{t+1}}"
            r"{\partial h_t} = \operatorname{diag}\!\big(f'(a_{t+1})\big)\, W_{hh}, \qquad"
            r" \frac{\partial L}{\partial W_{hh}} = \sum_k \frac{\partial L}{\partial a_k}\, h_{k-1}^{\top}")


def bptt_window(state, run, steps: int) -> int:
    """The truncation window drawn: the state's, or (-1) the one the run trained with; 0 = full BPTT (always for a
    bidirectional model, whose backward direction reads the whole sequence)."""
    if run.net.bidirectional:
        return 0
    own = state.bptt_window if state.bptt_window >= 0 else run.config.tbptt
    return min(own, max(1, steps - 1))


def traced(state, src):
    """The trace the view draws: the run's own, or recorded with the truncation window."""
    window = bptt_window(state, src.run, src.trace.steps)
    return src.trace_of(src.run.config, tbptt=window) if window else src.trace


def figures(state: AppState, src: Source) -> list[Chart]:
    """||dL/dh_t|| over time, the Jacobian map(s), the per-step terms of dL/dW_hh, the activations' derivatives."""
    trace, lang = traced(state, src), state.lang
    step = resolve_step(state, trace.steps)
    out = [Chart("grad-norms", src.figure(figs.grad_norms_over_time, trace, lang=lang, scale=state.scale,
                                          highlight=step), selectable=True),
           Chart("jacobian-map", src.figure(figs.jacobian_map, trace, lang=lang, step=step))]
    if trace.directions == 2:
        out.append(Chart("reverse-jacobian-map", src.figure(figs.jacobian_map, trace, lang=lang, step=step,
                                                            reverse=True)))
    if trace.layers > 1:  # how the gradient reaches the lower layers, with and without identity paths
        out.append(Chart("layer-gradients", src.figure(figs.layer_gradients, src.run, lang=lang)))
    lstm = trace.cell_state is not None
    if lstm:
        out.append(Chart("cell-jacobian-map", src.figure(figs.jacobian_map, trace, lang=lang, cell_state=True,
                                                         step=step)))
    else:
        out.append(Chart("derivatives", src.figure(figs.derivative_distribution, trace, lang=lang)))
    out.append(Chart("terms", src.figure(figs.term_bars, trace, lang=lang, highlight=step), selectable=True))
    if lstm:
        out.append(Chart("derivatives", src.figure(figs.derivative_distribution, trace, lang=lang, name="f")))
    return out


def render(state: AppState, run: Run, trace: Trace, areas: Areas) -> AppState:
    lang = state.lang
    steps = trace.steps
    with areas.notes:
        explain(VIEW, state, run)
        c1, c2 = st.columns(2)
        window = c1.slider(t("ctl.bptt_window", lang), 0, max(1, steps - 1), value=bptt_window(state, run, steps),
                           key="w_bptt_window", help=t("ctl.bptt_window_help", lang, k=run.config.tbptt),
                           disabled=run.net.bidirectional)
        scale = c2.radio(t("ctl.scale", lang), ("log", "linear"), index=("log", "linear").index(state.scale),
                         format_func=lambda v: option(v, lang), horizontal=True, key="w_scale")
        state = state.with_(scale=scale, bptt_window=-1 if window == run.config.tbptt else int(window))
        src = AppSource(state, run, trace)
        trace = traced(state, src)
        nonfinite_notice(trace, lang)
    with areas.stage:
        state, step = step_control(state, steps)
        charts = {c.name: c for c in figures(state, src)}
        chart(charts["grad-norms"], state, areas, main=True)
    if not hidden(state, "explain"):
        state = ledger_panel(state, run, src.trace, step)
    left, right = st.columns(2)
    with left:
        chart(charts["jacobian-map"], state, areas)
    with right:
        chart(charts["cell-jacobian-map" if "cell-jacobian-map" in charts else "derivatives"], state, areas)
    if "reverse-jacobian-map" in charts:
        left, _ = st.columns(2)
        with left:
            chart(charts["reverse-jacobian-map"], state, areas)
    if "layer-gradients" in charts:
        chart(charts["layer-gradients"], state, areas)
        st.caption(claims.layer_gradient_text(run.layer_gradient_norms, lang))
    if f"weight_hh_l{trace.layers - 1}" not in trace.weight_terms.matrices:
        st.info(t("msg.no_terms", lang))
    chart(charts["terms"], state, areas)
    if not state.scenario == "bptt_terms":  # the banner says it there
        st.caption(claims.term_text(evidence.term_decay(trace), lang))
    if "cell-jacobian-map" in charts:
        chart(charts["derivatives"], state, areas)
    return state


# a recording's step Jacobians and their norms, computed once; held weakly, so they go with the recording when the
# trace cache lets it go (memory follows that cache's bound)
_JACOBIANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _ledger(net, trace: Trace) -> ledger.Ledger:
    book = ledger.Ledger(net, trace, _JACOBIANS.get(trace))
    _JACOBIANS[trace] = book.jacobians
    return book


def ledger_panel(state: AppState, run: Run, trace: Trace, step: int) -> AppState:
    """The numbers behind the selected step's gradient (engine.lessons.ledger, full BPTT): the recursion, the chain to
    the last step against its factors and bound, an LSTM's carousel, and one entry of dL/dW_hh by step."""
    lang, size = state.lang, run.net.hidden_size
    last = trace.steps - 1
    st.subheader(t("ledger.title", lang, k=step, last=last) if step < last else t("ledger.title_last", lang, last=last))
    unit = int(st.columns(3)[0].number_input(t("ctl.unit", lang), 0, size - 1, value=min(state.unit, size - 1),
                                             key="w_ledger_unit"))
    state = state.with_(unit=unit)
    try:
        book = _ledger(run.net, trace)
        lines = equations.ledger_tex(book, step, unit, lang)
    except EngineError as e:
        st.info(error_message(e, lang))
        return state
    bound = "ledger.bound" if book.kind.weight_bound else "ledger.no_bound"
    state_word = t("ledger.state", lang) if trace.cell_state is not None else ""  # s = (h, c), as the lines write it
    st.caption(t("ledger.about", lang, j=unit, bound=t(bound, lang)) + state_word)
    if step == last:
        st.caption(t("ledger.at_last", lang))
    for line in lines:
        st.latex(line)
    if book.kind.carousel is not None and step < last:
        st.caption(t("ledger.carousel", lang))
    row = book.kind.block_names().index(book.kind.main_block) * size + unit if book.kind.gates else unit
    try:
        terms = book.weight_terms(row)
    except EngineError as e:
        st.caption(error_message(e, lang))
        return state
    block = book.kind.main_block if book.kind.gates else "h"
    st.caption(t("ledger.terms", lang, block=f"W_h{block}"))  # the block written below: W_hh, or W_hg / W_hn
    for line in equations.terms_tex(terms, trace.steps, lang, name=f"W_{{h{block}}}", row=unit):
        st.latex(line)
    return state


VIEW = View("bptt", figures, render, equations=lambda p: [BPTT_TEX], question=predict.GRADIENT_REACHING_START)

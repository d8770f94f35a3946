"""View 2: hidden states and gates as heatmaps, saturation, PCA trajectory, text coloured by a unit."""
from __future__ import annotations

import streamlit as st

from ..figures import states as figs
from ..i18n import t
from .common import chart, explain, figure, nonfinite_notice, step_slider

KEYS = ("c_states_heat", "c_states_text", "c_states_pca")


def render(state, run, trace):
    lang = state.lang
    explain("states", state)
    nonfinite_notice(trace, lang)
    steps, hidden = trace.hidden.shape[1], trace.hidden.shape[3]
    state, step = step_slider(state, steps, KEYS)
    names = ["h"] + (["c"] if trace.cell is not None else []) + list(trace.gates)
    c1, c2, c3 = st.columns(3)
    name = c1.selectbox(t("ctl.gate", lang), names, key="w_gate")
    unit = c2.number_input(t("ctl.unit", lang), 0, hidden - 1, value=min(state.unit, hidden - 1), key="w_unit")
    layer = c3.selectbox(t("ctl.layer", lang), list(range(trace.hidden.shape[0])),
                         index=trace.hidden.shape[0] - 1 if state.layer < 0 else min(state.layer,
                                                                                      trace.hidden.shape[0] - 1),
                         key="w_layer")
    vocab = run.eval_data.vocab
    state = state.with_(unit=int(unit), layer=int(layer))
    chart(figure(figs.state_heatmap, trace, name=name, lang=lang, layer=layer, vocab=vocab, highlight=step),
          "c_states_heat", state)
    if vocab is not None:
        chart(figure(figs.text_activation, trace, vocab=vocab, unit=int(unit), lang=lang, layer=layer, highlight=step),
              "c_states_text", state)
    left, right = st.columns(2)
    with left:
        dims = 3 if st.toggle(t("ctl.pca3d", lang), key="w_pca3d") else 2
        chart(figure(figs.pca_trajectory, trace, lang=lang, layer=layer, dims=dims, vocab=vocab, step=step),
              "c_states_pca", state, selectable=dims == 2)
    with right:
        if trace.gates:
            chart(figure(figs.saturation_bars, trace, lang=lang, layer=layer), "c_states_sat", state, selectable=False)
    return state

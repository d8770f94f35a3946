"""View 2: hidden states and gates as heatmaps, saturation, PCA trajectory, text coloured by a unit."""
from __future__ import annotations

import streamlit as st

from engine import Trace
from engine.experiment import Run

from viz_app.web import controls
from viz_app.figures import activity as figs
from viz_app.text.i18n import quantity_name, t
from viz_app.state.fields import AppState
from viz_app.state.fields import hidden as hidden_part
from viz_app.views.common import (AppSource, Areas, Chart, Source, chart, explain, nonfinite_notice,
                                  resolve_step, step_control)
from viz_app.views.unroll import formula_panel
from viz_app.views import View


def layer_of(state, layers: int) -> int:
    return layers - 1 if state.layer < 0 else min(state.layer, layers - 1)


def figures(state: AppState, src: Source, *, gate: str = "h", dims: int = 2) -> list[Chart]:
    """The heatmap of ``gate`` ("h", "c" or a gate's letter), the text coloured by the state's unit, the PCA
    trajectory in ``dims`` dimensions, the gates' saturation."""
    trace, vocab, lang = src.trace, src.run.eval_data.vocab, state.lang
    step, layer = resolve_step(state, trace.steps), layer_of(state, trace.layers)
    unit = min(state.unit, trace.hidden.shape[3] - 1)
    out = [Chart("heatmap", src.figure(figs.state_heatmap, trace, name=gate, lang=lang, layer=layer, vocab=vocab,
                                       highlight=step, unit=unit), selectable=True)]
    if vocab is not None:
        out.append(Chart("text", src.figure(figs.text_activation, trace, vocab=vocab, unit=unit, lang=lang,
                                            layer=layer, highlight=step), selectable=True))
    out.append(Chart("pca", src.figure(figs.pca_trajectory, trace, lang=lang, layer=layer, dims=dims, vocab=vocab,
                                       step=step), selectable=dims == 2))
    if trace.gates:
        out.append(Chart("saturation", src.figure(figs.saturation_bars, trace, lang=lang, layer=layer)))
    return out


def render(state: AppState, run: Run, trace: Trace, areas: Areas) -> AppState:
    lang = state.lang
    with areas.notes:
        explain(VIEW, state, run)
        nonfinite_notice(trace, lang)
        steps, hidden = trace.steps, trace.hidden.shape[3]
        layers = trace.layers
        click = controls.clicked_cell("step", hidden, layers)  # a click on a heatmap cell picks its unit
        unit_at, layer_at = controls.cell_widgets(click, "w_unit", min(state.unit, hidden - 1), "w_layer",
                                                layer_of(state, layers))
        names = ["h"] + (["c"] if trace.cell_state is not None else []) + list(trace.gates)
        c1, c2, c3 = st.columns(3)
        name = c1.selectbox(t("ctl.gate", lang), names, key="w_gate", format_func=lambda g: quantity_name(g, lang))
        unit = c2.number_input(t("ctl.unit", lang), 0, hidden - 1, key="w_unit", **unit_at)
        layer = c3.selectbox(t("ctl.layer", lang), list(range(layers)), key="w_layer", **layer_at)
    state = state.with_(unit=int(unit), layer=int(layer))
    with areas.stage:
        state, step = step_control(state, steps)
        dims = 3 if st.session_state.get("w_pca3d") else 2
        charts = {c.name: c for c in figures(state, AppSource(state, run, trace), gate=name, dims=dims)}
        chart(charts["heatmap"], state, areas, main=True)
    if not hidden_part(state, "explain"):
        with st.expander(t("formula.title", lang), expanded=True):
            formula_panel(state, run, trace, own_controls=False, gate=name)
    if "text" in charts:
        chart(charts["text"], state, areas)
    left, right = st.columns(2)
    with left:
        st.toggle(t("ctl.pca3d", lang), key="w_pca3d")
        chart(charts["pca"], state, areas)
    with right:
        if "saturation" in charts:
            chart(charts["saturation"], state, areas)
    return state


VIEW = View("states", figures, render, equations=lambda p: p.step)

"""View 1: the unrolled network, with a forward-then-BPTT step-through; both move in the browser."""
from __future__ import annotations

import streamlit as st

from engine import EngineError, Trace, cells
from engine.lessons import formula
from engine.experiment import Run

from viz_app.text import equations
from viz_app.web import controls
from viz_app.figures import unrolled
from viz_app.text.strings import STRINGS
from viz_app.text.errors import error_message
from viz_app.text.i18n import quantity_name, t
from viz_app.state.fields import AppState, hidden
from viz_app.views.common import (AppSource, Areas, Chart, Source, chart, explain, nonfinite_notice,
                                  resolve_step, step_control)
from viz_app.views import View

WIDTH = 8  # steps shown at a time (figures.unrolled.window_start: pages of 4 around the selected one)
PLAY_MS = 700  # the step-through's play: one phase every PLAY_MS


def figures(state: AppState, src: Source, *, phase: int | None = None) -> list[Chart]:
    """The network around the selected step (every step drawn, WIDTH shown: the step control pans it in the
    browser); with ``phase`` in [0, 2T), the step-through at that phase (every phase in the figure)."""
    trace, vocab, lang = src.trace, src.run.eval_data.vocab, state.lang
    if phase is None:  # the unit of the equations below marked on every strip (with them on the page)
        unit = None if hidden(state, "explain") else min(state.unit, trace.hidden.shape[3] - 1)
        return [Chart("network", src.figure(unrolled.unrolled_network, trace, lang=lang, vocab=vocab, window=WIDTH,
                                            step=resolve_step(state, trace.steps, first=True), unit=unit),
                      selectable=True)]
    return [Chart("network", src.figure(unrolled.unrolled_network, trace, lang=lang, vocab=vocab, window=WIDTH,
                                        through=True, step=phase, field="phase"))]


def phase_control(state: AppState, steps: int) -> int:
    """The step-through's control over its 2T phases (forward t = 0..T-1, then BPTT t = T-1..0), with play; the
    address bar names the phase's time step."""
    lang, key = state.lang, "_unroll_phase"
    columns = [unrolled.phase_column(i, steps) for i in range(2 * steps)]
    values = [t("ctl.phase_fwd" if i < steps else "ctl.phase_bwd", lang, t=c) for i, c in enumerate(columns)]
    phase = min(st.session_state.get(key, 0), 2 * steps - 1)
    phase = st.session_state[key] = controls.index_control(
        "phase", 2 * steps, phase, label=t("ctl.phase_at", lang, form="html"), lang=lang, values=values, param="step",
        url=[str(c) for c in columns], play_ms=PLAY_MS, large=bool(state.present))
    return phase


def render(state: AppState, run: Run, trace: Trace, areas: Areas) -> AppState:
    lang = state.lang
    # the equations' unit: a click on a cell of the network (read before the network is drawn, which marks it), else
    # the panel's own control
    width, layers = trace.hidden.shape[3], trace.layers
    click = controls.clicked_cell("step", width, layers)
    if click is not None:
        state = state.with_(unit=click[0], layer=state.layer if click[1] is None else click[1])
    elif isinstance(st.session_state.get("w_formula_unit"), int):
        state = state.with_(unit=min(st.session_state["w_formula_unit"], width - 1))
    with areas.notes:
        explain(VIEW, state, run)
        nonfinite_notice(trace, lang)
    with areas.stage:
        phase = None
        # presentation mode: the toggle beside the control (one row above the chart)
        if state.present:
            toggle, control = st.columns([1, 4], vertical_alignment="center")
        else:
            toggle = control = st.container()
        two = trace.directions == 2  # a forward pass both ways: no one left-to-right step-through
        if two and not hidden(state, "step"):
            st.caption(t("msg.no_step_through_bidirectional", lang))
        if not hidden(state, "step") and not two and toggle.toggle(t("ctl.phase", lang), key="w_through"):
            with control:
                phase = phase_control(state, trace.steps)
            state = state.with_(step=unrolled.phase_column(phase, trace.steps))
        else:
            with control:
                state, _ = step_control(state, trace.steps, first=True)  # a sentence is read from its start
        chart(figures(state, AppSource(state, run, trace), phase=phase)[0], state, areas, main=True)
    if not hidden(state, "explain"):
        state = formula_panel(state, run, trace, click=click)
    return state


def formula_panel(state: AppState, run: Run, trace: Trace, *, own_controls: bool = True,
                  gate: str | None = None, click: tuple | None = None) -> AppState:
    """The selected step's equations for one unit, written out with the model's weights and the recorded values
    (engine.lessons.formula), the readout's most probable characters, and how close the recomputed values are to the
    recorded ones. ``own_controls``: its own unit, layer and gate choices (the unrolled view; ``click``: a cell of the
    network clicked, controls.clicked_cell, sets them) and the readout; else the page's (the states view: its unit and
    layer controls and the heatmap's clicks), with ``gate`` the gate written out, and the cell's equations only."""
    lang, net, vocab = state.lang, run.net, run.eval_data.vocab
    layers, size, width = trace.layers, net.hidden_size, trace.hidden.shape[3]
    step = resolve_step(state, trace.steps, first=True)
    layer = layers - 1 if state.layer < 0 else min(state.layer, layers - 1)
    gates = cells.get(net.cell).gates
    if own_controls:
        st.subheader(t("formula.title", lang))
        unit_at, layer_at = controls.cell_widgets(click, "w_formula_unit", min(state.unit, width - 1),
                                                "w_formula_layer", layer)
        columns = st.columns(3)
        unit = int(columns[0].number_input(t("ctl.unit", lang), 0, width - 1, key="w_formula_unit", **unit_at))
        if layers > 1:
            layer = int(columns[1].selectbox(t("ctl.layer", lang), list(range(layers)), key="w_formula_layer",
                                             **layer_at))
        state = state.with_(unit=unit, layer=layer)
        expand = columns[2].selectbox(t("formula.expand", lang), gates, key="w_formula_gate",
                                      format_func=lambda g: quantity_name(g, lang)) if gates else None
    else:
        unit = min(state.unit, width - 1)
        expand = gate if gate in gates else (gates[0] if gates else None)
    st.caption(t("formula.click", lang))
    if unit >= size:  # a bidirectional layer's backward half
        st.info(t("formula.backward", lang, j=unit - size, last=size - 1))
        return state
    try:
        f = formula.step_formula(net, trace, step, unit, layer, vocab=vocab)
    except EngineError as e:
        st.info(error_message(e, lang))
        return state
    layer_note = t("formula.layer", lang, layer=layer) if layers > 1 else ""
    st.caption(t("formula.about", lang, t=step, j=unit, layer=layer_note, shown=formula.SHOWN))
    if trace.directions == 2:
        st.caption(t("formula.bidirectional", lang))
    for line in equations.step_formula_tex(f, lang, expand=expand):
        st.latex(line)
    if f"formula.note_{f.cell}" in STRINGS:  # what a cell's convention means (torch's GRU: r on the whole sum)
        st.caption(t(f"formula.note_{f.cell}", lang))
    if own_controls and layer == layers - 1 and trace.loss_kind == "cross_entropy" and bool(trace.loss_mask[step]):
        st.caption(t("formula.readout", lang, t=step))
        st.latex(equations.readout_tex(formula.readout(net, trace, step), vocab, lang))
    st.caption(t("formula.check", lang, err=max(formula.discrepancy(f), 1e-12)))
    return state


VIEW = View("unroll", figures, render, equations=lambda p: [*p.step, p.output])

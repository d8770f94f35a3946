"""View 6: RNN vs LSTM vs GRU on the same task and budget."""
from __future__ import annotations

import streamlit as st

from engine import Trace
from engine.lessons import evidence
from engine.experiment import Run

from viz_app.figures import compare as figs
from viz_app.export import captions
from viz_app.text.i18n import option, t
from viz_app.state.fields import AppState
from viz_app.views.common import AppSource, Areas, Chart, Source, chart, explain
from viz_app.views.timeline import offer
from viz_app.views import View
from viz_app.text import equations

CELLS = ("rnn", "lstm", "gru")


def trained(src) -> tuple[dict, dict] | None:
    """({cell: run}, {cell: trace}) of the three cells on the page's task and settings, or None if one was refused."""
    results, traces = {}, {}
    for cell in CELLS:
        cfg = src.run.config.with_(cell=cell, nonlinearity="tanh", model_id="")
        if cfg.init == "unitary" and cell != "rnn":  # a unitary W_hh is the RNN's: the gated cells start orthogonal
            cfg = cfg.with_(init="orthogonal")
        r = src.run_of(cfg, cell.upper())
        if r is None:
            return None
        results[cell], traces[cell] = r, src.trace_of(cfg)
    return results, traces


def figures(state: AppState, src: Source) -> list[Chart]:
    """||dh_t/dx_0|| of the three cells, and their losses."""
    both = trained(src)
    if both is None:
        return []
    results, traces = both
    return [Chart("sensitivity", figs.sensitivity_curves(traces, lang=state.lang)),
            Chart("losses", figs.loss_curves({c: r.history for c, r in results.items()}, lang=state.lang))]


def render(state: AppState, run: Run, trace: Trace, areas: Areas) -> AppState:
    lang = state.lang
    with areas.notes:
        explain(VIEW, state, run)
        st.caption(t("msg.compare_note", lang))
        if run.config.init == "unitary":
            st.caption(t("msg.compare_unitary", lang))
    src = AppSource(state, run, trace)
    with areas.stage:
        both = trained(src)  # trained here, their progress shown above the charts
    if both is None:
        return state
    results, traces = both
    cols = areas.notes.columns(3)
    for col, (cell, r) in zip(cols, results.items()):
        n = evidence.parameter_count(r.net)
        col.metric(cell.upper(), f"{n:,}", help=t("msg.params", lang, cell=cell.upper(), n=n,
                                                    loss=float(r.history.loss[-1]) if r.history.updates else 0.0))
        col.caption(t("msg.params", lang, cell=cell.upper(), n=n,
                      loss=float(r.history.loss[-1]) if r.history.updates else float("nan")))
    sensitivity, losses = figures(state, src)
    with areas.stage:
        chart(sensitivity, state, areas, main=True)
    last = {c: float(tr.jacobians.input_sensitivity[-1]) for c, tr in traces.items()}
    st.caption(t("msg.sensitivity", lang, t=len(traces["rnn"].jacobians.input_sensitivity) - 1, **last))
    # a click on a point of a loss curve offers that cell's run after that update in every view (the time machine)
    offer(state, chart(losses, state, areas, pick=True), losses, results, {c: c.upper() for c in results})
    return state


def caption(state, figure: str, trained_rho: float | None) -> str:
    """A slide's caption: three models (no one W_hh); the gated cells start orthogonal where the RNN is unitary (a
    uRNN)."""
    lang = state.lang
    three = " · ".join(option(c, lang) for c in ("rnn_tanh", "lstm", "gru"))
    init = f"{option('unitary', lang)} (RNN) / {option('orthogonal', lang)} (LSTM, GRU)" \
        if state.init == "unitary" else None
    return captions.describe(state, None, cell=three, init=init)


VIEW = View("compare", figures, render,
            equations=lambda p: [equations.cell_step("lstm"), equations.cell_step("gru")], caption=caption)

"""View 6: RNN vs LSTM vs GRU on the same task and budget."""
from __future__ import annotations

import streamlit as st

from engine import evidence

from .. import runs
from ..figures import compare as figs
from ..i18n import t
from .common import chart, explain


def render(state, run, trace):
    lang = state.lang
    explain("compare", state)
    st.caption(t("msg.compare_note", lang))
    results, traces = {}, {}
    for cell in ("rnn", "lstm", "gru"):
        cfg = run.config.with_(cell=cell, nonlinearity="tanh", model_id="")
        r = runs.train(cfg, lang, cell.upper())
        if r is None:
            return state
        results[cell] = r
        traces[cell] = runs.trace(cfg, lang=lang)
    cols = st.columns(3)
    for col, (cell, r) in zip(cols, results.items()):
        n = evidence.parameter_count(r.net)
        col.metric(cell.upper(), f"{n:,}", help=t("msg.params", lang, cell=cell.upper(), n=n,
                                                    loss=float(r.history.loss[-1]) if r.history.updates else 0.0))
        col.caption(t("msg.params", lang, cell=cell.upper(), n=n,
                      loss=float(r.history.loss[-1]) if r.history.updates else float("nan")))
    chart(figs.sensitivity_curves(traces, lang=lang), "c_cmp_sens", state, selectable=False)
    last = {c: float(tr.input_sensitivity[-1]) for c, tr in traces.items()}
    st.caption(t("msg.sensitivity", lang, t=len(traces["rnn"].input_sensitivity) - 1, **last))
    chart(figs.loss_curves({c: r.history for c, r in results.items()}, lang=lang), "c_cmp_loss", state,
          selectable=False)
    return state

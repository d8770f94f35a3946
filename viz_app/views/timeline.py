"""View 7: scrub through training snapshots."""
from __future__ import annotations

import streamlit as st

from engine import Trace
from engine.experiment import Run

from .. import scenarios
from ..figures import gradients, timeline as figs
from ..i18n import t
from ..state import AppState
from .common import AppSource, Chart, Source, chart, explain


def snapshot_of(state, run) -> int:
    last = len(run.history.snapshots) - 1
    return state.snapshot if 0 <= state.snapshot <= last else last


def figures(state: AppState, src: Source) -> list[Chart]:
    """W_hh's eigenvalues at the state's snapshot (and the earlier ones), the loss with the snapshot marked, and
    ||dL/dh_t|| of the model as it was then."""
    lang, run = state.lang, src.run
    index = snapshot_of(state, run)
    update = run.history.snapshots[index][0]
    grads = gradients.grad_norms_over_time(src.snapshot_trace(index), lang=lang, scale="log")
    grads.update_layout(title_text=f"{t('fig.timeline_grad', lang)} ({t('axis.update', lang)} {update})")
    return [Chart("eigenvalues", figs.eigen_timeline(src.snapshot_eigenvalues(), index=index, lang=lang)),
            Chart("loss", figs.loss_with_marker(run.history, update=update, lang=lang,
                                                reference=scenarios.reference_losses(state.scenario))),
            Chart("gradients", grads)]


def render(state: AppState, run: Run, trace: Trace) -> AppState:
    lang = state.lang
    explain("timeline", state)
    snaps = run.history.snapshots
    last = len(snaps) - 1
    index = snapshot_of(state, run)
    if last > 0:
        index = st.slider(t("ctl.snapshot", lang), 0, last, value=index, key="w_snapshot",
                          format="%d", help=", ".join(f"{i}: {u}" for i, (u, _) in enumerate(snaps)))
    state = state.with_(snapshot=int(index))
    eigenvalues, loss, grads = figures(state, AppSource(state, run, trace))
    left, right = st.columns(2)
    with left:
        chart(eigenvalues, state)
    with right:
        chart(loss, state)
    chart(grads, state)
    return state

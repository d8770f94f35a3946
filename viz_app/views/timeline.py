"""View 7: scrub through training snapshots (in the browser: every figure carries all of them)."""
from __future__ import annotations

import streamlit as st

from engine import Trace
from engine.experiment import Run

from .. import linked, scenarios
from ..figures import timeline as figs
from ..i18n import t
from ..state import AppState, hidden
from .common import AppSource, Areas, Chart, Source, chart, explain

PLAY_MS = 400  # the replay of training: one snapshot every PLAY_MS


def snapshot_of(state, run) -> int:
    last = len(run.history.snapshots) - 1
    return state.snapshot if 0 <= state.snapshot <= last else last


def figures(state: AppState, src: Source) -> list[Chart]:
    """W_hh's eigenvalues at the state's snapshot (and the earlier ones), the loss with the snapshot marked, and
    ||dL/dh_t|| of the model as it was then; each carries every snapshot for the browser's snapshot control."""
    lang, run = state.lang, src.run
    index = snapshot_of(state, run)
    updates = [u for u, _ in run.history.snapshots]
    return [Chart("eigenvalues", figs.eigen_timeline(src.snapshot_eigenvalues(), index=index, lang=lang)),
            Chart("loss", figs.loss_with_marker(run.history, index=index, lang=lang,
                                                reference=scenarios.reference_losses(state.scenario))),
            Chart("gradients", figs.gradients_at_snapshots(src.snapshot_gradient_norms(), updates, index=index,
                                                           lang=lang))]


def render(state: AppState, run: Run, trace: Trace, areas: Areas) -> AppState:
    lang = state.lang
    with areas.notes:
        explain("timeline", state, run)
    snaps = run.history.snapshots
    index = snapshot_of(state, run)
    with areas.stage:
        if len(snaps) > 1 and not hidden(state, "snapshot"):
            index = linked.index_control(
                "snapshot", len(snaps), index, label=t("ctl.snapshot", lang, form="html"), lang=lang,
                values=[f"{t('axis.update', lang)} {u}" for u, _ in snaps], play_ms=PLAY_MS,
                large=bool(state.present))
        state = state.with_(snapshot=int(index))
        eigenvalues, loss, grads = figures(state, AppSource(state, run, trace))
        left, right = st.columns(2)
        with left:
            chart(eigenvalues, state, main=True)
        with right:
            chart(loss, state, main=True)
        time_machine(state, run, index, areas.stage)
    chart(grads, state)
    return state


def pause_for(updates: int, run: Run) -> int:
    """The ``paused_at`` (epochs) whose model is the one after ``updates`` updates of ``run`` (the first epoch
    boundary at or after it: every update when the batch is the whole data); -1 at the training's end."""
    epochs, paused = run.config.epochs, run.config.paused_at
    trained = paused if paused >= 0 else epochs  # the epochs behind the run's history
    per_epoch = max(1, round(run.history.updates / trained)) if trained else 1  # updates (batches) per epoch
    done = -(-updates // per_epoch)
    return -1 if done >= epochs else done


def time_machine(state, run: Run, index: int, where) -> None:
    """The snapshot on screen (chosen with the control, or a click on the loss curve) opened in every view: the
    training paused there (``paused_at``), a real run, the same bit for bit as the snapshot's parameters."""
    snaps = run.history.snapshots
    if len(snaps) < 2 or index >= len(snaps) - 1 or hidden(state, "snapshot"):
        return
    updates = snaps[index][0]
    pause = pause_for(updates, run)
    if pause < 0 or pause == state.paused_at:
        return
    with where:
        st.caption(t("msg.time_machine", state.lang))
        if st.button(t("ctl.time_machine", state.lang, updates=updates), key="w_time_machine"):
            st.session_state.app_state = state.with_(paused_at=pause, snapshot=-1)
            st.rerun()

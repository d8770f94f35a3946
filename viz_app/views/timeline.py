"""View 7: scrub through training snapshots."""
from __future__ import annotations

import streamlit as st

from .. import runs, scenarios
from ..figures import gradients, timeline as figs
from ..i18n import t
from .common import chart, explain


def render(state, run, trace):
    lang = state.lang
    explain("timeline", state)
    snaps = run.history.snapshots
    last = len(snaps) - 1
    index = state.snapshot if 0 <= state.snapshot <= last else last
    if last > 0:
        index = st.slider(t("ctl.snapshot", lang), 0, last, value=index, key="w_snapshot",
                          format="%d", help=", ".join(f"{i}: {u}" for i, (u, _) in enumerate(snaps)))
    update = snaps[index][0]
    state = state.with_(snapshot=int(index))
    eigs = runs.snapshot_eigenvalues(run.config)
    left, right = st.columns(2)
    with left:
        chart(figs.eigen_timeline(eigs, index=index, lang=lang), "c_tl_eigs", state, selectable=False)
    with right:
        chart(figs.loss_with_marker(run.history, update=update, lang=lang,
                                 reference=scenarios.reference_losses(state.scenario)), "c_tl_loss", state,
              selectable=False)
    snap_trace = runs.snapshot_trace(run.config, index, lang)
    fig = gradients.grad_norms_over_time(snap_trace, lang=lang, scale="log")
    fig.update_layout(title_text=f"{t('fig.timeline_grad', lang)} ({t('axis.update', lang)} {update})")
    chart(fig, "c_tl_grad", state, selectable=False)
    return state

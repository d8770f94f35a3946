"""View 5: the same model without and with clipping, and Pascanu's cliff."""
from __future__ import annotations

import numpy as np
import streamlit as st

from .. import runs
from ..figures import clipping as figs
from ..i18n import t
from .common import chart, explain


THRESHOLDS = (0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0)


def render(state, run, trace):
    lang = state.lang
    explain("clipping", state)
    thr = st.select_slider(t("ctl.clip_threshold", lang), options=THRESHOLDS, key="w_clip_thr",
                           value=min(THRESHOLDS, key=lambda v: abs(v - state.clip_threshold)))
    state = state.with_(clip_threshold=float(thr))
    base = run.config.with_(model_id="")  # these views train models from the settings
    plain = runs.train(base.with_(clip="none"), lang, t("leg.no_clip", lang))
    clipped = runs.train(base.with_(clip="norm", clip_threshold=float(thr)), lang,
                         t("leg.with_clip", lang, thr=thr))
    if plain is None or clipped is None:
        return state
    for r in (plain, clipped):
        if r.history.status == "diverged":
            st.warning(t("msg.diverged", lang, update=r.history.first_nonfinite))
    st.caption(t("msg.clip_fired", lang, n=int(np.sum(clipped.history.clipped)), total=clipped.history.updates))
    chart(figs.clip_norms(plain.history, clipped.history, threshold=float(thr), lang=lang), "c_clip_norms", state,
          selectable=False)
    chart(figs.clip_losses(plain.history, clipped.history, threshold=float(thr), lang=lang), "c_clip_loss", state,
          selectable=False)
    surface, paths = runs.cliff()
    chart(figs.cliff_figure(surface, {t("leg.no_clip", lang): paths["plain"],
                                   t("leg.with_clip", lang, thr=1.0): paths["clipped"]}, lang=lang),
          "c_clip_cliff", state, selectable=False)
    return state

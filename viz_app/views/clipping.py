"""View 5: the same model without and with clipping, and Pascanu's cliff."""
from __future__ import annotations

import numpy as np
import streamlit as st

from engine import Trace
from engine.lessons import cliff
from engine.lessons.cliff import DEMO_CLIP
from engine.experiment import Run

from viz_app.figures import clipping as figs
from viz_app.export import captions
from viz_app.text.typeset import chart_math
from viz_app.text.i18n import t
from viz_app.state.fields import AppState
from viz_app.views.common import AppSource, Areas, Chart, Source, chart, explain
from viz_app.views.timeline import offer
from viz_app.views import View

THRESHOLDS = (0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0)

CLIP_TEX = (r"\lVert g \rVert > \theta \;\Rightarrow\; g \leftarrow \frac{\theta}{\lVert g \rVert}\, g, \qquad"
            r" x_t = w\, \sigma(x_{t-1}) + b,\quad E = \big(\sigma(x_{50}) - 0.7\big)^2")


def pair(state, src):
    """(the run without clipping, the run clipped at the state's threshold), or None where a run was refused."""
    base = src.run.config.with_(model_id="")  # these views train models from the settings
    thr = state.clip_threshold
    return (src.run_of(base.with_(clip="none"), t("leg.no_clip", state.lang)),
            src.run_of(base.with_(clip="norm", clip_threshold=thr), t("leg.with_clip", state.lang, thr=thr)))


def figures(state: AppState, src: Source) -> list[Chart]:
    """||g|| per update and the loss, without and with clipping; the cliff and the two descent paths."""
    lang, thr = state.lang, state.clip_threshold
    plain, clipped = pair(state, src)
    if plain is None or clipped is None:
        return []
    surface, paths = src.cliff()
    return [Chart("grad-norms", figs.clip_norms(plain.history, clipped.history, threshold=thr, lang=lang)),
            Chart("losses", figs.clip_losses(plain.history, clipped.history, threshold=thr, lang=lang)),
            Chart("cliff", figs.cliff_figure(surface, {t("leg.no_clip", lang): paths["plain"],
                                                       t("leg.with_clip", lang, thr=DEMO_CLIP): paths["clipped"]},
                                             lang=lang))]


def render(state: AppState, run: Run, trace: Trace, areas: Areas) -> AppState:
    lang = state.lang
    with areas.notes:
        explain(VIEW, state, run)
    with areas.stage:
        thr = st.select_slider(t("ctl.clip_threshold", lang), options=THRESHOLDS, key="w_clip_thr",
                               value=min(THRESHOLDS, key=lambda v: abs(v - state.clip_threshold)))
        state = state.with_(clip_threshold=float(thr))
        src = AppSource(state, run, trace)
        plain, clipped = pair(state, src)  # trained here, their progress shown above the charts
    if plain is None or clipped is None:
        return state
    names = {"plain": t("leg.no_clip", lang), "clipped": t("leg.with_clip", lang, thr=state.clip_threshold)}
    with areas.notes:
        # the page's own run has its line above (training_line): the other run's, by its name
        said = [t("msg.diverged_run", lang, name=names[k][:1].upper() + names[k][1:],
                  update=r.history.first_nonfinite) for k, r in (("plain", plain), ("clipped", clipped))
                if r.history.status == "diverged" and r.config != run.config]
        if said:
            st.warning("\n\n".join(said))
        if clipped.history.updates:  # an untrained run (epochs=0) has nothing to count
            st.caption(t("msg.clip_fired", lang, n=int(np.sum(clipped.history.clipped)),
                         total=clipped.history.updates))
    first, *rest = figures(state, src)
    # a click on a point of a curve offers that run after that update in every view (the time machine)
    runs_ = {"plain": plain, "clipped": clipped}
    with areas.stage:
        offer(state, chart(first, state, areas, main=True, pick=True), first, runs_, names)
    for c in rest:
        pick = c.name == "losses"
        event = chart(c, state, areas, pick=pick)
        if pick:
            offer(state, event, c, runs_, names)
    return state


def caption(state, figure: str, trained_rho: float | None) -> str:
    """A slide's caption: Pascanu's one-unit cliff, or the page's model trained twice (without clipping, and
    clipped at the view's threshold)."""
    if figure == "cliff":
        return chart_math(t("cap.cliff", state.lang, steps=cliff.STEPS, lr=cliff.DEMO_LR, clip=cliff.DEMO_CLIP))
    return captions.describe(state, trained_rho, clip=t("cap.clip_pair", state.lang, thr=state.clip_threshold))


VIEW = View("clipping", figures, render, equations=lambda p: [CLIP_TEX], caption=caption)

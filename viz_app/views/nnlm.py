"""View: the feed-forward NNLM (a fixed window of n characters) against an RNN, on a text whose next character
depends on one more than gap + 1 characters back; the loss at each place in a sentence shows where the window runs
out. Both models train here on the same text for the same epochs (the NNLM in a fraction of a second, the RNN as a
run of the app)."""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import streamlit as st

from engine import Trace
from engine.lessons import nnlm
from engine.experiment import Run, RunConfig

from viz_app.text import claims
from viz_app.figures import nnlm as figs
from viz_app.export import captions
from viz_app.text.typeset import chart_math
from viz_app.text.i18n import t
from viz_app.state.fields import AppState, cell_choice, hidden
from viz_app.views.common import AppSource, Areas, Chart, Source, chart, explain
from viz_app.views import View
from viz_app.text import equations

EPOCHS, HIDDEN, SENTENCES, LR = nnlm.EPOCHS, nnlm.HIDDEN, nnlm.SENTENCES, nnlm.LR  # both models (lessons/nnlm.py)

NNLM_TEX = (r"e_t = \big[\,C x_{t-n+1};\ \dots;\ C x_t\,\big], \qquad \hat y_{t} = \operatorname{softmax}\!\big(U"
            r" \tanh(H e_t + b) + c\big)")


@dataclass(frozen=True, eq=False)
class Comparison:
    """What the view draws: both models' mean loss at each position of a sentence and over the epochs."""

    gap: int
    window: int
    cell: str  # the RNN's option name: rnn_tanh, rnn_relu, lstm, gru
    nnlm: np.ndarray  # (period,)
    rnn: np.ndarray  # (period,)
    nnlm_curve: np.ndarray  # (epochs,)
    rnn_curve: np.ndarray  # (epochs,)


def rnn_config(state) -> RunConfig:
    """The recurrent side: the page's cell and seed on the long-range text, EPOCHS epochs at LR, hidden size
    HIDDEN."""
    return RunConfig(cell=state.cell, nonlinearity=state.nonlinearity, hidden_size=HIDDEN, epochs=EPOCHS, lr=LR,
                     text=nnlm.long_range_text(state.gap, SENTENCES), seed=state.seed)


@functools.lru_cache(maxsize=32)
def _window_run(gap: int, window: int, seed: int) -> nnlm.WindowRun:
    return nnlm.train_window_lm(nnlm.long_range_text(gap, SENTENCES), window, epochs=EPOCHS, hidden=HIDDEN,
                                seed=seed)


@functools.lru_cache(maxsize=32)
def _comparison(gap: int, window: int, cell: str, seed: int, rnn_losses: tuple, rnn_curve: tuple) -> Comparison:
    ours = _window_run(gap, window, seed)
    return Comparison(gap, window, cell, nnlm.by_position(ours.per_step, gap),
                      nnlm.by_position(np.array(rnn_losses), gap), ours.loss, np.array(rnn_curve))


def comparison(state, src) -> Comparison | None:
    """Both models trained (the RNN through the source: cached, in a worker on the page), or None if refused."""
    cfg = rnn_config(state)
    run = src.run_of(cfg, "RNN")
    if run is None:
        return None
    cell = cell_choice(state.cell, state.nonlinearity)
    losses = tuple(src.trace_of(cfg).losses.tolist())
    return _comparison(state.gap, state.window, cell, state.seed, losses, tuple(run.history.loss.tolist()))


def figures(state: AppState, src: Source) -> list[Chart]:
    """The loss at each position of a sentence, and both trainings' losses."""
    data = comparison(state, src)
    if data is None:
        return []
    return [Chart("positions", src.figure(figs.position_losses, data, lang=state.lang)),
            Chart("curves", src.figure(figs.loss_curves, data, lang=state.lang))]


def render(state: AppState, run: Run, trace: Trace, areas: Areas) -> AppState:
    lang = state.lang
    with areas.notes:
        explain(VIEW, state, run)
        if not hidden(state, "step"):
            c1, c2 = st.columns(2)
            window = c1.slider(t("ctl.window", lang), 1, nnlm.MAX_WINDOW, value=state.window, key="w_window")
            gap = c2.slider(t("ctl.gap", lang), 1, nnlm.MAX_GAP, value=state.gap, key="w_gap")
            state = state.with_(window=int(window), gap=int(gap))
        st.caption(t("msg.nnlm_text", lang, sample=nnlm.long_range_text(state.gap, 3), n=SENTENCES,
                     epochs=EPOCHS, h=HIDDEN, lr=LR))
    src = AppSource(state, run, trace)
    with areas.stage:
        data = comparison(state, src)  # the RNN trained here, its progress shown above the charts
    if data is None:
        return state
    positions, curves = figures(state, src)
    with areas.stage:
        chart(positions, state, areas, main=True)
    with areas.notes:
        st.caption(claims.nnlm_text(data, lang))
    chart(curves, state, areas)
    return state


def caption(state, figure: str, trained_rho: float | None) -> str:
    """A slide's caption: its own two models on its own text."""
    cell = captions.cell_label(state.cell, state.nonlinearity, state.lang)
    return chart_math(t("cap.nnlm", state.lang, n=state.window, cell=cell, h=HIDDEN, epochs=EPOCHS, lr=LR,
                        sentences=SENTENCES, gap=state.gap, seed=state.seed))


VIEW = View("nnlm", figures, render,
            equations=lambda p: [NNLM_TEX, p.cell_step(), equations.OUTPUT], own_models=True, caption=caption)

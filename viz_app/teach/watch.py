"""Watching a model learn (TensorFlow Playground's play / pause): the training goes on in steps of a few epochs, and
after each the page draws the chosen view of the model so far.

Each step is a real, reproducible run: the training paused after ``paused_at`` epochs (engine RunConfig.paused_at),
resumed from the previous step's checkpoint in a worker (engine.experiment.run(resume=...)), the same bit for bit as
training it from the start. So a pause leaves a link that opens exactly the model on screen, and the last step is
the finished run any other link gets. The next step is trained, recorded and drawn into the caches while the page
still shows the current one; then the page is drawn again from them."""
from __future__ import annotations

import time

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from viz_app.compute import runs
from viz_app.text.i18n import t
from viz_app.state.fields import AppState
from viz_app.state import url

FRAMES = 20  # a training is watched in about this many steps (as many as its snapshots)
PERIOD = 0.5  # seconds at least from one step to the next: about 10 s for a training, and the server's threads left
# to the other sessions between the steps (a step's own work is 0.3-0.5 s for the default model)
KEY = "live_playing"  # session state: the training (its config without paused_at) being played


def step_epochs(epochs: int) -> int:
    """Epochs per step: the training's snapshot spacing (RunConfig.train_config)."""
    return max(1, epochs // FRAMES)


def next_pause(state: AppState) -> int:
    """The next step's paused_at: a step further, or -1 (the end) once that reaches the training's epochs."""
    nxt = state.paused_at + step_epochs(state.epochs) if state.paused_at >= 0 else 0
    return nxt if nxt < state.epochs else -1


def _training(state: AppState):
    return state.run_config().with_(paused_at=-1)


def playing(state: AppState) -> bool:
    return st.session_state.get(KEY) == _training(state)


def controls(state: AppState, run, area):
    """The play / pause row for the page's training in ``area`` (none for an uploaded model or an untrained run); a
    click draws the page again for it. Returns the line that says where the training stands (a string-table key and
    its values; None: the page's own "trained" line) and where the progress of the next step goes (``advance``)."""
    if state.model_id or state.epochs < 2:
        return None, None
    lang, hist = state.lang, run.history
    # the first place's buttons share one key, so Streamlit sees one button that changes its label: a step's rerun
    # never finishes the run before it, and Streamlit would keep a button that is gone beside the one that came
    first, second, progress = area.columns([1.5, 1, 3.5], vertical_alignment="center")  # the labels fit at 1280
    first, second = first.empty(), second.empty()
    if playing(state):
        if first.button(t("ctl.live_pause", lang), key="w_live"):
            st.session_state.pop(KEY, None)
            rerun(state)
    elif state.paused_at >= 0:
        if first.button(t("ctl.live_resume", lang), key="w_live", type="primary"):
            st.session_state[KEY] = _training(state)
            rerun(state)
    elif first.button(t("ctl.watch", lang), key="w_live", help=t("ctl.watch_help", lang)):
        st.session_state[KEY] = _training(state)
        rerun(state.with_(paused_at=0))  # from the initialisation
    if state.paused_at >= 0 and second.button(t("ctl.live_finish", lang), key="w_live_end"):
        st.session_state.pop(KEY, None)
        rerun(state.with_(paused_at=-1))  # the rest in one go
    if state.paused_at < 0 or hist.status != "paused":
        return None, progress
    if not hist.updates:
        return ("msg.paused_start", {"epochs": state.epochs}), progress
    return ("msg.live" if playing(state) else "msg.paused",
            {"epoch": state.paused_at, "epochs": state.epochs, "updates": hist.updates,
             "loss": float(hist.loss[-1])}), progress


def advance(state: AppState, prepare, slot) -> None:
    """While playing: train the next step from this one's checkpoint, record it and build the view's figures for it
    (``prepare(state, run, trace)``), showing a line of progress in ``slot``; then draw the page again at it."""
    if slot is None or not playing(state):
        return
    nxt = state.with_(paused_at=next_pause(state))
    cfg = nxt.run_config()
    with slot:
        run = runs.train(cfg, state.lang, quiet=True)  # goes on from this step's checkpoint
        if run is None:
            st.session_state.pop(KEY, None)
            return
        prepare(nxt, run, runs.trace(cfg, lang=state.lang))
    if nxt.paused_at < 0 or run.history.status != "paused":  # the end (or diverged, or its time limit)
        st.session_state.pop(KEY, None)
    last = st.session_state.get("live_step_at", 0.0)
    time.sleep(max(0.0, min(PERIOD, last + PERIOD - time.monotonic())))
    st.session_state.live_step_at = time.monotonic()
    rerun(nxt)


def rerun(state: AppState) -> None:
    """Draw the page again at ``state``: only the page's fragment when this is a run of it, else the whole app."""
    url.keep(state)
    ctx = get_script_run_ctx()
    st.rerun(scope="fragment" if ctx is not None and ctx.fragment_ids_this_run else "app")

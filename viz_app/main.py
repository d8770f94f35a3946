"""Entry point: `streamlit run viz_app/main.py`. Reads the URL once, draws the sidebar, trains (cached), shows a view.

One script with a `view` field instead of a multipage app: Streamlit clears query parameters when switching pages,
and the whole state must stay in the URL so a link reproduces the lecture's figure."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `streamlit run` puts viz_app/ itself on the path

import streamlit as st  # noqa: E402

from engine import EngineError  # noqa: E402

from viz_app.text import claims, escape as safe  # noqa: E402
from viz_app import sidebar as controls, freeze_imports  # noqa: E402
from viz_app.lecture import ui as lecture_ui  # noqa: E402
from viz_app.teach import watch as live, predict  # noqa: E402
from viz_app.web import present, theme  # noqa: E402
from viz_app.compute import runs  # noqa: E402
from viz_app.state import scenarios  # noqa: E402
from viz_app.state import fields as S  # noqa: E402
from viz_app.state import url  # noqa: E402
from viz_app.text.i18n import STRINGS  # noqa: E402
from viz_app.text.i18n import error_message, t  # noqa: E402
from viz_app import views  # noqa: E402
from viz_app.views import catalog  # noqa: E402, F401  (registers the views)
from viz_app.views.common import AppSource, areas  # noqa: E402

freeze_imports()

# the lines on the page's training without its loss, before a prediction is revealed (the timeline asks for it)
WITHOUT_LOSS = {"msg.trained": "msg.trained_hidden", "msg.paused": "msg.paused_hidden", "msg.live": "msg.live_hidden"}


def scenario_head(state) -> str:
    """The scenario's title and setup (our own strings: Markdown on purpose)."""
    return f"**{scenarios.title(state.scenario, state.lang)}** — {scenarios.text(state.scenario, state.lang)}"


def scenario_banner(slot, state, run, trace) -> None:
    """The scenario's title and setup, and its result measured on the runs the view has just drawn."""
    lang = state.lang
    ctx = claims.Context(state, run, trace, train=lambda cfg: runs.train(cfg, lang),
                         trace_of=lambda cfg, tbptt: runs.trace(cfg, tbptt, lang=lang), cliff=runs.cliff)
    evidence, sentence = claims.scenario_claim(ctx, lang)
    head = scenario_head(state)
    changed = claims.changed_fields(state)
    if changed:
        labels = [t(f"ctl.{n}", lang) if f"ctl.{n}" in STRINGS else n for n in changed]
        head += "\n\n" + t("claim.changed", lang, fields=", ".join(labels))
    box = slot.info if evidence is None or evidence.shown else slot.warning
    box(f"{head}\n\n{sentence}" if sentence else head)


def main() -> None:
    st.set_page_config(page_title="RNN internals", page_icon="🔁", layout="wide",
                       initial_sidebar_state="collapsed" if url.presenting(st) else "auto")
    if "app_state" not in st.session_state:  # the URL is read once per session
        st.session_state.app_state, st.session_state.notices = url.read_url(st)
    state, pressed = controls.sidebar(st.session_state.app_state)
    if pressed:
        st.session_state.pop("halted", None)
    st.session_state.app_state = state
    lang = state.lang
    st.html(theme.PAGE_STYLE)
    if state.present:
        present.setup()
    elif not S.hidden(state, "title"):  # presentation mode: the screen's height goes to the chart
        st.title(t("app.title", lang))
        st.caption(t("app.subtitle", lang))
    for name, value, reason in [] if S.hidden(state, "notices") else st.session_state.notices:
        key, values = reason
        st.warning(t("msg.bad_param", lang, name=name, value=safe.md(value, safe.QUOTE_LIMIT),
                     reason=safe.md(t(f"reason.{key}", lang, **values), 300)))
    page()


@st.fragment
def page() -> None:
    """The scenario's banner, the view bar, the run and the view. A change of the view or of one of its own controls
    reruns only this part (st.fragment): never the sidebar; the run comes from the cache."""
    state = st.session_state.app_state
    lang = state.lang
    # the banner is filled once the run is known (its numbers go in it): above the view bar, or in presentation mode
    # with the notes under the main chart
    state = lecture_ui.bar(state, st.container())  # a lecture deck's Previous / Next, its note and QR code
    banner = st.empty() if state.scenario and not state.present else None
    if "w_view" not in st.session_state or st.session_state.get("_shown_view") != state.view:
        st.session_state.w_view = state.view  # first run, or the view was set by a scenario
    view = state.view if S.hidden(state, "view") else st.segmented_control(  # presentation mode: one row of names
        t("app.view", lang), views.names(), key="w_view",
        format_func=lambda v: t(f"view_short.{v}" if state.present else f"view.{v}", lang),
        label_visibility="collapsed" if state.present else "visible") or state.view
    st.session_state._shown_view = view
    state = state.with_(view=view)
    where = areas(state)
    if state.scenario and state.present:
        banner = where.notes.empty()
    cfg = state.run_config()
    if runs.cached_run(cfg) is None and st.session_state.get("halted") == cfg:
        where.stage.info(t("msg.stopped", lang) + " " + t("msg.train_first", lang))
        run = None
    else:
        slot = where.stage.empty()
        if runs.cached_run(cfg) is None and slot.button(t("ctl.stop", lang), key="w_stop"):
            st.session_state.halted = cfg  # the click interrupted the training run; don't restart it
            st.rerun()
        # the training's progress and live loss where the chart will be, in a container of their own: what follows
        # keeps its place whether this run trained or not (a step of watching it learn reruns before a run ends)
        with where.stage.container():
            run = runs.train(cfg, lang)
        slot.empty()
    if run is not None and cfg.model_id:
        where.notes.info(t("msg.using_model", lang))
    next_step = None
    shown_view = views.get(view)
    own = shown_view.own_models  # the view trains and draws its own models, not the page's
    if run is not None:
        # watching it learn: the play / pause row above the view (below it in presentation mode)
        where_now, next_step = (None, None) if own else live.controls(state, run,
                                                                      where.notes if state.present else where.stage)
        hist = run.history
        # the line on the page's training (paused or being watched at an epoch, or trained), said once it is known
        # whether the view is shown; none where the page's training is not what this view shows
        line = where_now
        if own or line is not None:
            pass
        elif hist.status == "diverged":
            where.notes.warning(t("msg.diverged", lang, update=hist.first_nonfinite))
        elif hist.status == "stopped":  # only the time limit stops a stored run (a Stop click discards it)
            where.notes.warning(t("msg.time_limit", lang, updates=hist.updates, seconds=hist.seconds))
        elif hist.updates and hist.status == "finished":
            line = ("msg.trained", {"updates": hist.updates, "seconds": hist.seconds, "loss": float(hist.loss[-1])})
        said = where.notes.empty()
        shown = True
        try:  # a recording stopped at its limits (engine.ResourceError) is said, like a refused run
            trace = runs.trace(cfg, lang=lang)
            # predict, then reveal: the question first
            shown = predict.gate(state, run, trace, where, shown_view.question)
            if shown:
                state = shown_view.render(state, run, trace, where)
        except EngineError as e:
            where.stage.error(error_message(e, lang))
            run = None
        if line is not None:
            key, values = line
            if not shown and key in WITHOUT_LOSS:  # before the reveal without its loss: the timeline asks for it
                key, values = WITHOUT_LOSS[key], {k: v for k, v in values.items() if k != "loss"}
            said.caption(t(key, lang, **values))
        if run is not None and banner is not None:
            if not shown:  # the scenario's result would answer the question
                banner.info(scenario_head(state))
            elif own:  # the scenario's result is measured on its model, which this view does not draw
                banner.info(scenario_head(state) + "\n\n" + t("msg.own_models", lang))
            else:
                scenario_banner(banner, state, run, trace)
    if run is None and banner is not None:
        banner.info(scenario_head(state))
    st.session_state.app_state = state
    url.sync_to_url(st, state)
    if run is not None:  # watching it learn: the next step, drawn into the caches while this one is on screen
        live.advance(state, lambda s, r, tr: views.get(s.view).figures(s, AppSource(s, r, tr)), next_step)


main()

"""The page under the sidebar, as a sequence of named steps sharing one small context (Page): the deck bar and the
view bar, the run (trained, or halted by a Stop click), the line on the training, the view (after its question, with
predict-then-reveal on), the scenario's banner; then the state is written back in one place and the next step of
watching it learn is prepared. ``show`` runs as a Streamlit fragment: a change of the view or of one of its own
controls reruns only the page, never the sidebar; the run comes from the cache."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from engine import EngineError, Trace
from engine.experiment import Run
from viz_app import views
from viz_app.compute import runs
from viz_app.lecture import ui as lecture_ui
from viz_app.state import scenarios, url
from viz_app.state import fields as S
from viz_app.teach import predict
from viz_app.teach import watch
from viz_app.text import claims, escape
from viz_app.text.strings import STRINGS
from viz_app.text.errors import error_message
from viz_app.text.i18n import option, t
from viz_app.views.common import AppSource, Areas, areas

# the lines on the page's training without its loss, before a prediction is revealed (the timeline asks for it)
WITHOUT_LOSS = {"msg.trained": "msg.trained_hidden", "msg.paused": "msg.paused_hidden", "msg.live": "msg.live_hidden"}


@dataclass
class Page:
    """What the steps share: the state as the page settles it, where things go, and what was found."""

    state: S.AppState
    view: views.View
    where: Areas
    banner: object | None  # the scenario banner's slot (None: no scenario)
    run: Run | None = None
    trace: Trace | None = None
    line: tuple | None = None  # the line on the page's training: (string key, values)
    said: object | None = None  # its slot
    shown: bool = True  # the view drew (False: its question is on the stage)
    next_step: object | None = None  # where watching it learn shows the next step's progress


@st.fragment
def show() -> None:
    page = bars(url.current())
    train_or_halt(page)
    if page.run is not None:
        training_line(page)
        draw(page)
        say(page)
    fill_banner(page)
    url.keep(page.state)
    url.sync_to_url(page.state)
    if page.run is not None:  # watching it learn: the next step, drawn into the caches while this one is on screen
        watch.advance(page.state, lambda s, r, tr: views.get(s.view).figures(s, AppSource(s, r, tr)), page.next_step)


def bars(state) -> Page:
    """A lecture deck's bar, the banner's slot, the view bar (one row of names in presentation mode)."""
    lang = state.lang
    state = lecture_ui.bar(state, st.container())  # a lecture deck's Previous / Next, its note and QR code
    # the banner is filled once the run is known (its numbers go in it): above the view bar, or in presentation mode
    # with the notes under the main chart
    banner = st.empty() if state.scenario and not state.present else None
    if "w_view" not in st.session_state or st.session_state.get("_shown_view") != state.view:
        st.session_state.w_view = state.view  # first run, or the view was set by a scenario
    name = state.view if S.hidden(state, "view") else st.segmented_control(
        t("app.view", lang), views.names(), key="w_view",
        format_func=lambda v: t(f"view_short.{v}" if state.present else f"view.{v}", lang),
        label_visibility="collapsed" if state.present else "visible") or state.view
    st.session_state._shown_view = name
    state = state.with_(view=name)
    where = areas(state)
    if state.scenario and state.present:
        banner = where.notes.empty()
    return Page(state, views.get(name), where, banner)


def train_or_halt(page: Page) -> None:
    """The page's run from the cache, or trained now with its progress and a Stop button where the chart will be;
    a run stopped by its Stop click stays stopped until Train."""
    cfg, lang, where = page.state.run_config(), page.state.lang, page.where
    if runs.cached_run(cfg) is None and st.session_state.get("halted") == cfg:
        where.stage.info(t("msg.stopped", lang) + " " + t("msg.train_first", lang))
        return
    slot = where.stage.empty()
    if runs.cached_run(cfg) is None and slot.button(t("ctl.stop", lang), key="w_stop"):
        st.session_state.halted = cfg  # the click interrupted the training run; don't restart it
        st.rerun()
    # the training's progress and live loss where the chart will be, in a container of their own: what follows
    # keeps its place whether this run trained or not (a step of watching it learn reruns before a run ends)
    with where.stage.container():
        page.run = runs.train(cfg, lang)
    slot.empty()
    if page.run is not None and cfg.model_id:
        where.notes.info(t("msg.using_model", lang))


def training_line(page: Page) -> None:
    """Watching it learn's play / pause row (not for a view that trains its own models) and the line on the page's
    training: paused or watched at an epoch, trained, diverged or stopped at its time limit."""
    state, where, hist = page.state, page.where, page.run.history
    lang = state.lang
    if not page.view.own_models:
        page.line, page.next_step = watch.controls(state, page.run, where.notes if state.present else where.stage)
        if page.line is None and hist.status == "diverged":
            clipped = page.run.config.clip != "none"  # "try clipping" is no advice for a run that clipped
            where.notes.warning(t("msg.diverged_clipped" if clipped else "msg.diverged", lang,
                                  update=hist.first_nonfinite, thr=page.run.config.clip_threshold))
        elif page.line is None and hist.status == "stopped":  # only the time limit stops a stored run
            where.notes.warning(t("msg.time_limit", lang, updates=hist.updates, seconds=hist.seconds))
        elif page.line is None and hist.updates and hist.status == "finished":
            page.line = ("msg.trained", {"updates": hist.updates, "seconds": hist.seconds,
                                         "loss": float(hist.loss[-1])})
    page.said = where.notes.empty()  # said once it is known whether the view is shown


def draw(page: Page) -> None:
    """The recording, the view's question (predict, then reveal) and then the view; a recording stopped at its
    limits (engine.ResourceError) is said like a refused run."""
    try:
        page.trace = runs.trace(page.state.run_config(), lang=page.state.lang)
        page.shown, mark = predict.gate(page.state, page.run, page.trace, page.where, page.view.question)
        page.where = page.where._replace(mark=mark)
        if page.shown:
            page.state = page.view.render(page.state, page.run, page.trace, page.where)
    except EngineError as e:
        page.where.stage.error(error_message(e, page.state.lang))
        page.run = None


def say(page: Page) -> None:
    """The line on the training, without its loss before a prediction is revealed (the timeline asks for it)."""
    if page.line is not None:
        key, values = page.line
        if not page.shown and key in WITHOUT_LOSS:
            key, values = WITHOUT_LOSS[key], {k: v for k, v in values.items() if k != "loss"}
        page.said.caption(t(key, page.state.lang, **values))


def fill_banner(page: Page) -> None:
    """The scenario's title and setup, with its result measured on the run the view drew: not before a reveal (it
    would answer the question), and said to be measured on another model where the view draws its own."""
    if page.banner is None:
        return
    state = page.state
    if page.run is None or not page.shown:
        page.banner.info(scenario_head(state))
    elif page.view.own_models:
        page.banner.info(scenario_head(state) + "\n\n" + t("msg.own_models", state.lang))
    else:
        scenario_banner(page.banner, state, page.run, page.trace)


def scenario_head(state) -> str:
    """The scenario's title and setup (our own strings: Markdown on purpose), the setup on a line of its own (after a
    dash, "ρ < 1 — W_hh" read as a subtraction)."""
    return f"**{scenarios.title(state.scenario, state.lang)}**  \n{scenarios.text(state.scenario, state.lang)}"


def _value(name: str, value, lang: str) -> str:
    """A setting's value as the banner names it: a number as typed (1.02), a choice by its label (GRU, orthogonal),
    a text quoted (a link's own text, escaped and cut)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    if S.BY_NAME[name].choices is not None:
        return option(str(value), lang)
    return "“" + escape.md(str(value), escape.QUOTE_LIMIT) + "”"


def scenario_banner(slot, state, run, trace) -> None:
    """The scenario's title and setup, and its result measured on the runs the view has just drawn."""
    lang = state.lang
    ctx = claims.Context(state, run, trace, train=lambda cfg: runs.train(cfg, lang),
                         trace_of=lambda cfg, tbptt: runs.trace(cfg, tbptt, lang=lang), cliff=runs.cliff)
    evidence, sentence = claims.scenario_claim(ctx, lang)
    head = scenario_head(state)
    changed = claims.changed_fields(state)
    if changed:  # each with the scenario's value and the link's (its setup sentence names the scenario's own)
        base = S.baseline(state.scenario)
        pairs = [(n, _value(n, getattr(base, n), lang), _value(n, getattr(state, n), lang)) for n in changed
                 if n not in ("cell", "nonlinearity")]
        if "cell" in changed or "nonlinearity" in changed:  # one choice in the sidebar: RNN (ReLU), GRU
            pairs.insert(0, ("cell", *(option(S.cell_choice(s.cell, s.nonlinearity), lang) for s in (base, state))))
        fields = "; ".join(f"{t(f'ctl.{n}', lang) if f'ctl.{n}' in STRINGS else n} {a} → {b}" for n, a, b in pairs)
        head += "\n\n" + t("claim.changed", lang, fields=fields)
    box = slot.info if evidence is None or evidence.shown else slot.warning
    box(f"{head}\n\n{sentence}" if sentence else head)

"""Pieces every view uses: the Chart a view declares, where its data comes from in the app (AppSource), the time-step
control (in the browser: viz_app/web/controls.py), the explanation, notices.

A view module has ``figures(state, src, **options) -> list[Chart]``, its figures declared once (pure: the slide
exporter, viz_app/export/figures.py, calls it with its own source), ``render(state, run, trace, areas)``, which draws
its controls, settles the page's state and lays the same Charts out, and its record ``VIEW`` (viz_app/views)."""
from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from engine import Trace
from engine.experiment import Run, RunConfig

from viz_app.text import equations
from viz_app.export import render
from viz_app.export import captions
from viz_app.web import controls, present
from viz_app.teach import watch, predict
from viz_app.compute import runs
from viz_app.figures.common import figure
from viz_app.text.strings import STRINGS
from viz_app.text.i18n import plotly_config, t
from viz_app.state.fields import hidden
from viz_app.web.theme import slide


class Chart(NamedTuple):
    """One figure of a view: its name (the export's file name and the deck's label), the figure, and whether clicking
    one of its points selects that time step."""

    name: str
    fig: go.Figure
    selectable: bool = False


class Source(Protocol):
    """Where a view's ``figures`` get their data: AppSource on the page, export.figures.DeckSource in the exporter."""

    run: Run  # the page's run
    trace: Trace  # its recording (full BPTT)
    watching: bool  # a step of watching it learn (viz_app/teach/watch.py): draw what moves, not every slider position

    def run_of(self, cfg: RunConfig, label: str = "") -> Run | None: ...
    def trace_of(self, cfg: RunConfig, tbptt: int = 0) -> Trace: ...
    def rescaled_grid(self, values: tuple): ...
    def snapshot_eigenvalues(self) -> list: ...
    def snapshot_gradient_norms(self) -> np.ndarray: ...
    def cliff(self) -> tuple: ...
    def computed(self, kind: str, fn, *args, seconds: float, mb: float): ...
    def figure(self, builder, data, *, highlight: int | None = None, **options) -> go.Figure: ...


class AppSource:
    """The data views draw in the app: the page's run and trace, other runs and recordings through viz_app.compute.runs
    (cached, trained in workers with their progress shown), figures through the shared figure cache."""

    def __init__(self, state, run, trace):
        self.lang, self.run, self.trace = state.lang, run, trace
        self.watching = watch.playing(state)

    def run_of(self, cfg, label: str = ""):
        return runs.train(cfg, self.lang, label)

    def trace_of(self, cfg, tbptt: int = 0):
        return runs.trace(cfg, tbptt, lang=self.lang)

    def rescaled_grid(self, values: tuple):
        return runs.rescaled_grid(self.run.config, values, self.lang)

    def snapshot_eigenvalues(self):
        return runs.snapshot_eigenvalues(self.run.config)

    def snapshot_gradient_norms(self):
        return runs.snapshot_gradient_norms(self.run.config, self.lang)

    def cliff(self):
        return runs.cliff()

    def computed(self, kind, fn, *args, seconds: float, mb: float):
        return runs.computed(kind, args, fn, *args, seconds=seconds, mb=mb, lang=self.lang)

    figure = staticmethod(figure)


def chart_key(view: str, name: str) -> str:
    return f"c_{view}_{name}"


def resolve_step(state, steps: int, *, first: bool = False) -> int:
    """The state's time step, or when it has none (-1) or one past the end the last one (``first``: the first)."""
    return state.step if 0 <= state.step < steps else 0 if first else steps - 1


CHART_CONFIG = {"displaylogo": False,
                "toImageButtonOptions": {"format": "png", "scale": 3, "width": 1600, "height": 900}}


class Areas(NamedTuple):
    """Where a view draws: ``notes`` (the banner, explanations, secondary settings) and ``stage`` (the view's own
    control and its main chart). On screen the notes come first; in presentation mode the stage does, so the room
    sees the main chart without scrolling and the notes follow below it. What a view draws after both comes last."""

    notes: DeltaGenerator
    stage: DeltaGenerator
    mark: predict.Mark | None = None  # the revealed prediction, drawn on its chart by ``chart``


def areas(state) -> Areas:
    if state.present:
        stage = st.container()
        return Areas(st.container(), stage)
    notes = st.container()
    return Areas(notes, st.container())


def chart(c: Chart, state, areas: Areas, *, main: bool = False, above: int = 0, pick: bool = False):
    """Draw a view's Chart with its download buttons (a click on a selectable one selects its step in the browser:
    ``step_control``) and, if it is the question's chart, the revealed prediction (``areas.mark``). ``state`` is the
    page's state as the view returns it: its exports' captions link to exactly this figure. ``main``: the view's
    main chart, sized in presentation mode to fit the screen under the view bar and one row of controls (``above``:
    px more above it). ``pick``: a click on a point is sent to the server (one
    rerun); returns Streamlit's selection event (else None)."""
    fig, key = predict.mark(c.fig, areas.mark, c.name, state.lang), chart_key(state.view, c.name)
    present.scale_fonts(fig, state)
    if state.present and main:
        fig.update_layout(height=present.main_height(above))
    if c.selectable:
        fig.update_layout(meta={**(fig.layout.meta or {}), "step_click": True})
    picked = {"on_select": "rerun", "selection_mode": "points"} if pick else {}
    event = st.plotly_chart(fig, key=key, config={**CHART_CONFIG, **plotly_config(state.lang)}, theme=None, **picked)
    if not hidden(state, "downloads"):
        downloads(fig, c.name, state)
    return event if pick else None


def downloads(fig, name: str, state) -> None:
    """One-click PNG / SVG / PDF / HTML of the figure as a slide; the bytes are made only when clicked."""
    slide_fig = None

    who = runs.client()  # read here, in the script's thread: the click's callback may run outside it

    def make(fmt: str):
        def build():
            nonlocal slide_fig
            if slide_fig is None:
                run = runs.cached_run(state.run_config())
                rho = run.main_spectrum().spectral_radius if run is not None else None
                cap = captions.caption(state, permalink(state), trained_rho=rho, figure=name) if state.caption \
                    else None
                slide_fig = slide(fig, background=state.slide, caption=cap)
            return render.to_bytes(slide_fig, fmt, scale=state.png_scale, client=who)
        return build

    static_ok = render.chrome_path() is not None
    with st.popover(t("ctl.export", state.lang), icon=":material/download:"):
        for fmt in render.FORMATS:
            st.download_button(fmt.upper(), make(fmt), file_name=captions.file_name(state, name, fmt),
                               mime=render.MIME[fmt], key=f"dl_{state.view}_{name}_{fmt}", on_click="ignore",
                               icon=":material/download:", disabled=fmt != "html" and not static_ok)
        if not static_ok:
            st.caption(t("msg.no_chrome", state.lang, cmd=render.INSTALL_HINT))


def permalink(state) -> str:
    """The absolute address that reproduces this figure: the app's public address (the RNN_VIZ_PUBLIC_URL setting,
    else the page's own) with the state's query."""
    return captions.permalink(state, captions.public_base(getattr(st.context, "url", None) or ""))


def explain(view, state, run: Run) -> None:
    """The view's equations for the run's cell, typeset (KaTeX), and its explanation (``view``: its View record)."""
    if not hidden(state, "explain"):
        cfg, net = run.config, run.net
        parts = equations.Parts(cfg.cell, cfg.nonlinearity, classifies=run.eval_data.loss == "cross_entropy",
                                bidirectional=net.bidirectional, residual=net.residual)
        for tex in view.equations(parts):
            st.latex(tex)
        key = f"exp.{view.name}_bidirectional"
        st.caption(t(key if net.bidirectional and key in STRINGS else f"exp.{view.name}", state.lang))


def step_control(state, steps: int, *, first: bool = False):
    """The view's time-step control (viz_app/web/controls.py): it moves the step marker of every chart on the page
    inside the browser, and a click on a point of a selectable Chart selects that step (``first``: without one in the
    state, start at the first step, not the last). Returns the state with the step."""
    step = resolve_step(state, steps, first=first)
    if steps > 1 and not hidden(state, "step"):
        step = controls.step_control(state.lang, steps, step, large=bool(state.present))
    return state.with_(step=step), step


def nonfinite_notice(trace, lang: str) -> None:
    first = [v for v in trace.nonfinite.values() if v is not None]
    if first:
        st.warning(t("msg.nonfinite", lang, step=min(first)))

"""Pieces every view uses: the Chart a view declares, where its data comes from in the app (AppSource), clickable
charts that select a step, the step slider, the explanation, notices.

A view module has ``figures(state, src, **options) -> list[Chart]``, its figures declared once (pure: the slide
exporter, viz_app/deck.py, calls it with its own source), and ``render(state, run, trace)``, which draws its controls,
settles the page's state and lays the same Charts out."""
from __future__ import annotations

from typing import NamedTuple, Protocol

import plotly.graph_objects as go
import streamlit as st

from urllib.parse import quote

from engine import Trace
from engine.experiment import Run, RunConfig

from .. import export, runs
from ..figures.common import figure
from ..i18n import t
from ..state import hidden, to_params
from ..theme import slide

class Chart(NamedTuple):
    """One figure of a view: its name (the export's file name and the deck's label), the figure, and whether clicking
    one of its points selects that time step."""

    name: str
    fig: go.Figure
    selectable: bool = False


class Source(Protocol):
    """Where a view's ``figures`` get their data: AppSource on the page, deck.DeckSource in the exporter."""

    run: Run  # the page's run
    trace: Trace  # its recording (full BPTT)

    def run_of(self, cfg: RunConfig, label: str = "") -> Run | None: ...
    def trace_of(self, cfg: RunConfig, tbptt: int = 0) -> Trace: ...
    def rescaled_decay(self, rho: float) -> tuple: ...
    def snapshot_eigenvalues(self) -> list: ...
    def snapshot_trace(self, index: int) -> Trace: ...
    def cliff(self) -> tuple: ...
    def figure(self, builder, data, *, highlight: int | None = None, **options) -> go.Figure: ...


class AppSource:
    """The data views draw in the app: the page's run and trace, other runs and recordings through viz_app.runs
    (cached, trained in workers with their progress shown), figures through the shared figure cache."""

    def __init__(self, state, run, trace):
        self.lang, self.run, self.trace = state.lang, run, trace

    def run_of(self, cfg, label: str = ""):
        return runs.train(cfg, self.lang, label)

    def trace_of(self, cfg, tbptt: int = 0):
        return runs.trace(cfg, tbptt, lang=self.lang)

    def rescaled_decay(self, rho: float):
        return runs.rescaled_decay(self.run.config, rho)

    def snapshot_eigenvalues(self):
        return runs.snapshot_eigenvalues(self.run.config)

    def snapshot_trace(self, index: int):
        return runs.snapshot_trace(self.run.config, index, self.lang)

    def cliff(self):
        return runs.cliff()

    figure = staticmethod(figure)


def chart_key(view: str, name: str) -> str:
    return f"c_{view}_{name}"


def resolve_step(state, steps: int) -> int:
    """The state's time step, or the last one when it has none (-1) or one past the end."""
    return state.step if 0 <= state.step < steps else steps - 1


CHART_CONFIG = {"displaylogo": False,
                "toImageButtonOptions": {"format": "png", "scale": 3, "width": 1600, "height": 900}}


def clicked_step(key: str) -> int | None:
    """The step carried by the point last clicked in chart ``key`` (its customdata), once per new click."""
    event = st.session_state.get(key)
    points = getattr(getattr(event, "selection", None), "points", None) if event is not None else None
    if not points:
        return None
    sig = repr(points)
    if st.session_state.get(f"_seen_{key}") == sig:
        return None
    st.session_state[f"_seen_{key}"] = sig
    p = points[0]
    value = p.get("customdata", p.get("x"))
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def chart(c: Chart, state) -> None:
    """Draw a view's Chart with its download buttons; clicks on a selectable one select a step (read by
    ``clicked_step`` next run). ``state`` is the page's state as the view returns it: its exports' captions link to
    exactly this figure."""
    fig, key = c.fig, chart_key(state.view, c.name)
    if state.lecture or state.present:
        fig.update_layout(font_size=22, title_font_size=28)
    if c.selectable:
        st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", config=CHART_CONFIG, theme=None)
    else:
        st.plotly_chart(fig, key=key, config=CHART_CONFIG, theme=None)
    if not hidden(state, "downloads"):
        downloads(fig, c.name, state)


def downloads(fig, name: str, state) -> None:
    """One-click PNG / SVG / PDF / HTML of the figure as a slide; the bytes are made only when clicked."""
    slide_fig = None

    def make(fmt: str):
        def build():
            nonlocal slide_fig
            if slide_fig is None:
                run = runs.cached_run(state.run_config())
                rho = run.main_spectrum().spectral_radius if run is not None else None
                cap = export.caption(state, permalink(state), trained_rho=rho) if state.caption else None
                slide_fig = slide(fig, background=state.slide, caption=cap)
            return export.to_bytes(slide_fig, fmt, scale=state.png_scale)
        return build

    static_ok = export.chrome_path() is not None
    with st.popover(t("ctl.export", state.lang), icon=":material/download:"):
        for fmt in export.FORMATS:
            st.download_button(fmt.upper(), make(fmt), file_name=export.file_name(state, name, fmt),
                               mime=export.MIME[fmt], key=f"dl_{state.view}_{name}_{fmt}", on_click="ignore",
                               icon=":material/download:", disabled=fmt != "html" and not static_ok)
        if not static_ok:
            st.caption(t("msg.no_chrome", state.lang, cmd=export.INSTALL_HINT))


def permalink(state) -> str:
    """The address that reproduces this figure: the app's URL with the state's query."""
    base = (getattr(st.context, "url", None) or "").split("?")[0]
    query = "&".join(f"{k}={quote(v)}" for k, v in to_params(state).items())
    return f"{base}?{query}" if query else base


def explain(view: str, state) -> None:
    if not hidden(state, "explain"):
        st.caption(t(f"exp.{view}", state.lang))


def step_slider(state, steps: int, charts: tuple[str, ...]):
    """The step selector, mirrored by clicks on the named charts' time axes; returns the state with the chosen step.

    One widget key for every view, so the chosen step follows the user from view to view."""
    key = "w_step"
    if key not in st.session_state or not 0 <= st.session_state[key] < steps:
        st.session_state[key] = resolve_step(state, steps)
    for name in charts:
        clicked = clicked_step(chart_key(state.view, name))
        if clicked is not None and 0 <= clicked < steps:
            st.session_state[key] = clicked
    if steps > 1 and not hidden(state, "step"):
        st.slider(t("ctl.step", state.lang), 0, steps - 1, key=key)
    step = int(st.session_state[key]) if steps > 1 else 0
    return state.with_(step=step), step


def nonfinite_notice(trace, lang: str) -> None:
    first = [v for v in trace.nonfinite.values() if v is not None]
    if first:
        st.warning(t("msg.nonfinite", lang, step=min(first)))

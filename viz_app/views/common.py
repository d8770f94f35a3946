"""Pieces every view uses: clickable charts that select a step, the step slider, the explanation, notices."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from urllib.parse import quote

from .. import export, runs
from ..cache import LRU
from ..figures.common import step_shape
from ..i18n import t
from ..state import hidden, to_params
from ..theme import slide

_FIGURES = LRU(512)  # built figures as dicts, shared by all sessions (read-only once stored)

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


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def figure(builder, data, *, highlight: int | None = None, **options) -> go.Figure:
    """``builder(data, **options)``, built once per (data object, options) and then reused: a view-only rerun
    costs a dict copy instead of a rebuild. ``highlight`` adds the time-step highlight on top."""
    key = (builder.__module__, builder.__qualname__, id(data), _freeze(options))
    hit = _FIGURES.get(key)
    if hit is None or hit[0] is not data:  # the id of an evicted object may be reused: compare identity
        hit = (data, builder(data, **options).to_dict())
        _FIGURES.put(key, hit)
    spec = hit[1]
    if highlight is not None and highlight >= 0:
        layout = spec["layout"]
        spec = {**spec, "layout": {**layout, "shapes": [*layout.get("shapes", ()), step_shape(highlight)]}}
    # the stored dict was produced by a validated Figure: skip plotly's (slow) validation the second time
    return go.Figure(spec, _validate=False)


def chart(fig, key: str, state, *, selectable: bool = True) -> None:
    """Draw a figure with its download buttons; clicks on it select a step (read by ``clicked_step`` next run).
    ``state`` is the page's state as the view will return it: its exports' captions link to exactly this figure."""
    if state.lecture or state.present:
        fig.update_layout(font_size=22, title_font_size=28)
    if selectable:
        st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", config=CHART_CONFIG, theme=None)
    else:
        st.plotly_chart(fig, key=key, config=CHART_CONFIG, theme=None)
    if not hidden(state, "downloads"):
        downloads(fig, key, state)


def downloads(fig, key: str, state) -> None:
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
            st.download_button(fmt.upper(), make(fmt), file_name=export.file_name(state, key.removeprefix("c_"), fmt),
                               mime=export.MIME[fmt], key=f"dl_{key}_{fmt}", on_click="ignore",
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


def step_slider(state, steps: int, chart_keys: tuple[str, ...]):
    """The step selector, mirrored by clicks on any time axis; returns the state with the chosen step.

    One widget key for every view, so the chosen step follows the user from view to view."""
    key = "w_step"
    if key not in st.session_state or not 0 <= st.session_state[key] < steps:
        st.session_state[key] = state.step if 0 <= state.step < steps else steps - 1
    for chart_key in chart_keys:
        clicked = clicked_step(chart_key)
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

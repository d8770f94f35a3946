"""View 4: W_hh's eigenvalues, a live rho slider, and the decay of ||dh_T/dh_k|| against the prediction.

The rho slider answers in the browser: every position of it (a grid of GRID_STEP from RHO_MIN, plus the trained rho
and the link's) is computed once (Run.rescaled_grid, in a worker), the figures carry all of them, and the regime
sentence true at each position goes with the control (viz_app/web/controls.py)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from engine import Trace, spectrum
from engine.serving import limits
from engine.experiment import Run

from viz_app.text import claims
from viz_app.web import controls
from viz_app.figures import eigenvalues as figs
from viz_app.text.i18n import option, t
from viz_app.state.fields import AppState, to_params
from viz_app.views.common import AppSource, Areas, Chart, Source, chart, explain
from viz_app.views import View
from viz_app.teach import predict

RHO_MIN, RHO_MAX = 0.05, 3.0  # the live slider; 0 would be W_hh = 0 (no curve on a log axis)
GRID_STEP = 0.05
NOTE_HEIGHT = 90  # presentation mode: the regime box's two lines above the charts (px)
AS_TRAINED = 5e-3  # a position this close to the trained rho shows W_hh as trained

EIGEN_TEX = (r"\Big\lVert \frac{\partial h_T}{\partial h_k} \Big\rVert \le \prod_{j=k+1}^{T} \big\lVert"
             r" \operatorname{diag}(f'(a_j)) \big\rVert\, \lVert W_{hh} \rVert \le \big(\gamma\, \sigma_{\max}(W_{hh})"
             r"\big)^{T-k}, \qquad |f'| \le \gamma")
RNN_ONLY = r"\text{RNN:}\quad "  # the bound's scope beside a gated cell


def trained_rho(trace) -> float:
    return trace.main_spectrum.spectral_radius


BEYOND = 24  # positions past RHO_MAX up to a larger trained rho (an exploding run's can be 1e8), geometric


def top(trace) -> float:
    """The slider's end: the run decides the range (its trained rho must be on it), never the link."""
    rho = trained_rho(trace)
    return max(RHO_MAX, round(rho, 2)) if np.isfinite(rho) else RHO_MAX


def asked(state, trace) -> float:
    """The rho the state asks for (as trained: the trained rho)."""
    return state.rho_view if state.rho_view > 0 else round(trained_rho(trace), 2)


def grid(state, trace, *, full: bool = True) -> tuple:
    """The slider's positions: every GRID_STEP from RHO_MIN to RHO_MAX, BEYOND geometric ones past it up to a larger
    trained rho, and the trained rho. A link's own rho between them is shown at the nearest (``position``): one
    recording per run serves every link, not one per decimal a student types. A W_hh with NaN/Inf has one position:
    as trained; so has a step of watching it learn (not ``full``: the slider comes back at a pause)."""
    rho = trained_rho(trace)
    if not np.isfinite(rho):
        return (rho,)
    if not full:
        return (round(rho, 2),)
    end = top(trace)
    values = {round(float(v), 2) for v in np.arange(RHO_MIN, RHO_MAX + 1e-9, GRID_STEP)}
    if end > RHO_MAX:  # (the engine rescales up to limits.MAX_RHO; the trained rho itself needs no rescaling)
        values |= {float(f"{v:.3g}") for v in np.geomspace(RHO_MAX, min(end, limits.MAX_RHO), BEYOND)}
    values.add(round(rho, 2))
    return tuple(sorted(values))


def requests(values, trace) -> tuple:
    """What to compute at each position: 0 (W_hh as trained) at the trained rho, the rho elsewhere."""
    rho = trained_rho(trace)
    return tuple(0.0 if not np.isfinite(v) or abs(v - rho) <= AS_TRAINED else float(v) for v in values)


def position(state, trace, values) -> int:
    """The slider's position for the state (the nearest one to a rho off the grid)."""
    if len(values) == 1:
        return 0
    want = min(max(asked(state, trace), RHO_MIN), top(trace))
    return int(np.argmin([abs(v - want) for v in values]))


def regimes(trace, rescaled) -> list:
    return [spectrum.regime(trace.cell_kind, blk) for blk in rescaled.spectra]


def note(reg, norms, nonlinearity: str, lang: str, form: str = "md") -> tuple[str, str]:
    """The regime box at one position: its kind and the sentence true of that W_hh and that measured curve
    (``form``: "md" for an st.info box, "html" for the rho control's)."""
    kind = "success" if reg.guaranteed else "info" if reg.kind == spectrum.GATED else "warning"
    measured = claims.measured_ratio_text(norms, lang, form)
    return kind, claims.regime_text(reg, nonlinearity, lang, form) + (
        ("<br>" if form == "html" else "\n\n") + measured if measured else "")


def figures(state: AppState, src: Source) -> list[Chart]:
    """The eigenvalues of W_hh's main block (and rescaled), the decay of ||dh_T/dh_k|| against the prediction; at
    the state's rho, carrying every position of the slider."""
    trace, lang = src.trace, state.lang
    main = trace.main_spectrum
    values = grid(state, trace, full=not src.watching)
    wanted = requests(values, trace)
    rescaled = src.rescaled_grid(wanted)
    index = position(state, trace, values)
    lines = [figs.reference_lines(blk, reg) for blk, reg in zip(rescaled.spectra, regimes(trace, rescaled))]
    return [Chart("eigenvalues", figs.eigenvalue_plane(
                main.eigenvalues, gamma=main.gamma, lang=lang, label=claims.block_label(trace.cell_kind),
                rescaled=[blk.eigenvalues if w else None for w, blk in zip(wanted, rescaled.spectra)], index=index)),
            Chart("decay", figs.decay_curve(list(rescaled.norms), rho=[r["rho"] for r in lines],
                                            bound_rate=[r["bound_rate"] for r in lines], lang=lang,
                                            scale=state.scale, index=index))]


def render(state: AppState, run: Run, trace: Trace, areas: Areas) -> AppState:
    lang = state.lang
    with areas.notes:
        explain(VIEW, state, run)
        if trace.directions == 2:
            st.caption(t("msg.eigen_bidirectional", lang))
    src = AppSource(state, run, trace)
    values = grid(state, trace, full=not src.watching)
    want = asked(state, trace)
    if np.isfinite(want) and len(values) > 1:
        shown = values[position(state, trace, values)]
        if not RHO_MIN <= want <= top(trace):
            areas.notes.caption(t("msg.rho_view_range", lang, asked=want, lo=RHO_MIN, hi=top(trace), shown=shown))
        elif abs(shown - want) > 1e-9:
            areas.notes.caption(t("msg.rho_view_nearest", lang, asked=want, shown=shown))
    wanted = requests(values, trace)
    rescaled = src.rescaled_grid(wanted)
    form = "md" if len(values) == 1 else "html"  # the sentence alone in a box, or in the rho control
    notes = [note(reg, norms, trace.nonlinearity, lang, form) for reg, norms in zip(regimes(trace, rescaled),
                                                                                    rescaled.norms)]
    # presentation mode: the scale goes with the settings below the charts, the rho control has the stage's width
    c1, c2 = (areas.stage, areas.notes) if state.present else areas.stage.columns([3, 1])
    index = 0
    if len(values) == 1:  # nothing to rescale: the sentence alone
        kind, sentence = notes[0]
        getattr(c1, kind)(sentence)
    else:
        with c1:
            index = controls.index_control(
                "rho", len(values), position(state, trace, values), label=t("ctl.rho_view", lang, form="html"),
                lang=lang,
                values=[f"ρ = {v:.3g}" for v in values], notes=notes, param="rho_view",
                url=[to_params(state.with_(rho_view=v if w else 0.0)).get("rho_view")
                     for v, w in zip(values, wanted)], large=bool(state.present))
    with c2:
        scale = st.radio(t("ctl.scale", lang), ("log", "linear"), index=("log", "linear").index(state.scale),
                         format_func=lambda v: option(v, lang), horizontal=True, key="w_scale_eig")
    state = state.with_(rho_view=values[index] if wanted[index] else 0.0, scale=scale)
    areas.notes.caption(t("ctl.rho_view_help", lang, rho=trained_rho(trace)))
    charts = figures(state, src)
    with areas.stage:
        left, right = st.columns(2)
        with left:
            chart(charts[0], state, areas, main=True, above=NOTE_HEIGHT)
        with right:
            chart(charts[1], state, areas, main=True, above=NOTE_HEIGHT)
    return state


VIEW = View("eigen", figures, render, question=predict.CHAIN_NORM,
            # Pascanu's bound follows from W_hh alone for a vanilla RNN: under a gated cell it says so in front (a
            # \tag at the right edge was drawn over "|f'| <= gamma" at 1280 px)
            equations=lambda p: [EIGEN_TEX if p.weight_bound else RNN_ONLY + EIGEN_TEX])

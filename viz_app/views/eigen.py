"""View 4: W_hh's eigenvalues, a live rho slider, and the decay of ||dh_T/dh_k|| against the prediction."""
from __future__ import annotations

import streamlit as st

from engine import Trace, spectrum
from engine.experiment import Run

from .. import claims
from ..figures import eigenvalues as figs
from ..i18n import option, t
from ..state import AppState
from .common import AppSource, Chart, Source, chart, explain

RHO_MIN, RHO_MAX = 0.05, 3.0  # the live slider; 0 would be W_hh = 0 (no curve on a log axis)


def live(state, trace) -> bool:
    """W_hh is shown rescaled: the state's rho differs from the trained spectral radius."""
    return state.rho_view > 0 and abs(state.rho_view - trace.main_spectrum.spectral_radius) > 5e-3


def decay(state, src):
    """(||dh_T/dh_k|| for every k, the main block's spectrum, its regime) at the state's rho."""
    norms, blk = src.rescaled_decay(float(state.rho_view) if live(state, src.trace) else 0.0)
    return norms, blk, spectrum.regime(src.trace.cell_kind, blk)


def figures(state: AppState, src: Source) -> list[Chart]:
    """The eigenvalues of W_hh's main block (and rescaled), the decay of ||dh_T/dh_k|| against the prediction."""
    trace, lang = src.trace, state.lang
    main = trace.main_spectrum
    norms, blk, reg = decay(state, src)
    return [Chart("eigenvalues", figs.eigenvalue_plane(main.eigenvalues, gamma=main.gamma, lang=lang,
                                                       label=claims.block_label(trace.cell_kind),
                                                       rescaled=blk.eigenvalues if live(state, trace) else None)),
            Chart("decay", src.figure(figs.decay_curve, norms, **figs.reference_lines(blk, reg), lang=lang,
                                      scale=state.scale))]


def render(state: AppState, run: Run, trace: Trace) -> AppState:
    lang = state.lang
    explain("eigen", state)
    main = trace.main_spectrum
    trained = round(main.spectral_radius, 2)
    c1, c2 = st.columns([3, 1])
    top = max(RHO_MAX, trained)  # the run decides the range (its trained rho must be on it), never the link
    asked = state.rho_view if state.rho_view > 0 else trained
    start = min(max(asked, RHO_MIN), top)
    if start != asked:
        st.caption(t("msg.rho_view_range", lang, asked=asked, lo=RHO_MIN, hi=top, shown=start))
    rho = c1.slider(t("ctl.rho_view", lang), RHO_MIN, top, value=float(start), step=0.01,
                    key="w_rho_view", help=t("ctl.rho_view_help", lang, rho=main.spectral_radius))
    scale = c2.radio(t("ctl.scale", lang), ("log", "linear"), index=("log", "linear").index(state.scale),
                     format_func=lambda v: option(v, lang), horizontal=True, key="w_scale_eig")
    state = state.with_(rho_view=float(rho), scale=scale)
    state = state.with_(rho_view=state.rho_view if live(state, trace) else 0.0)
    src = AppSource(state, run, trace)
    norms, blk, reg = decay(state, src)
    box = st.success if reg.guaranteed else st.info if reg.kind == spectrum.GATED else st.warning
    measured = claims.measured_ratio_text(norms, lang)
    box(claims.regime_text(reg, trace.nonlinearity, lang) + (f"  \n{measured}" if measured else ""))
    charts = figures(state, src)
    left, right = st.columns(2)
    with left:
        chart(charts[0], state)
    with right:
        chart(charts[1], state)
    return state

"""View 4: W_hh's eigenvalues, a live rho slider, and the decay of ||dh_T/dh_k|| against the prediction."""
from __future__ import annotations

import streamlit as st

from engine import spectrum

from .. import claims, runs
from ..figures import spectrum as figs
from ..i18n import option, t
from .common import chart, explain, figure

RHO_MIN, RHO_MAX = 0.05, 3.0  # the live slider; 0 would be W_hh = 0 (no curve on a log axis)


def render(state, run, trace):
    lang = state.lang
    explain("eigen", state)
    main = trace.main_spectrum
    trained = round(main.spectral_radius, 2)
    c1, c2 = st.columns([3, 1])
    start = max(state.rho_view if state.rho_view > 0 else trained, RHO_MIN)
    rho = c1.slider(t("ctl.rho_view", lang), RHO_MIN, max(RHO_MAX, start), value=float(start), step=0.01,
                    key="w_rho_view", help=t("ctl.rho_view_help", lang, rho=main.spectral_radius))
    scale = c2.radio(t("ctl.scale", lang), ("log", "linear"), index=("log", "linear").index(state.scale),
                     format_func=lambda v: option(v, lang), horizontal=True, key="w_scale_eig")
    live = abs(rho - main.spectral_radius) > 5e-3
    norms, blk = runs.rescaled_decay(run.config, float(rho) if live else 0.0)
    reg = spectrum.regime(trace.cell_kind, blk)
    state = state.with_(rho_view=float(rho) if live else 0.0, scale=scale)
    box = st.success if reg.guaranteed else st.info if reg.kind == spectrum.GATED else st.warning
    measured = claims.measured_ratio_text(norms, lang)
    box(claims.regime_text(reg, trace.nonlinearity, lang) + (f"  \n{measured}" if measured else ""))
    label = claims.block_label(trace.cell_kind)
    left, right = st.columns(2)
    with left:
        chart(figs.eigenvalue_plane(main.eigenvalues, gamma=main.gamma, lang=lang, label=label,
                                 rescaled=blk.eigenvalues if live else None), "c_eig_plane", state, selectable=False)
    with right:
        chart(figure(figs.decay_curve, norms, **figs.reference_lines(blk, reg), lang=lang, scale=scale),
              "c_eig_decay", state, selectable=False)
    return state

"""View 4: W_hh's eigenvalues, a live rho slider, and the decay of ||dh_T/dh_k|| against the prediction."""
from __future__ import annotations

import streamlit as st

from engine import spectrum

from .. import runs
from ..figures import spectrum as F
from ..i18n import option, t
from .common import chart, explain, figure


def render(state, run, trace):
    lang = state.lang
    explain("eigen", lang)
    main = trace.main_spectrum
    c1, c2 = st.columns([3, 1])
    rho = c1.slider(t("ctl.rho_view", lang), 0.0, 3.0, value=float(state.rho_view or round(main.spectral_radius, 2)),
                    step=0.01, key="w_rho_view")
    scale = c2.radio(t("ctl.scale", lang), ("log", "linear"), index=("log", "linear").index(state.scale),
                     format_func=lambda v: option(v, lang), horizontal=True, key="w_scale_eig")
    live = abs(rho - main.spectral_radius) > 5e-3
    norms, blk = runs.rescaled_decay(run.config, float(rho) if live else 0.0)
    key = "msg.regime_vanishing" if blk.regime == spectrum.VANISHING else "msg.regime_exploding"
    (st.success if blk.regime == spectrum.VANISHING else st.warning)(
        t(key, lang, sigma=blk.sigma_max, bound=1 / blk.gamma))
    left, right = st.columns(2)
    with left:
        chart(F.eigenvalue_plane(main.eigenvalues, gamma=main.gamma, lang=lang,
                                 rescaled=blk.eigenvalues if live else None), "c_eig_plane", selectable=False)
    with right:
        chart(figure(F.decay_curve, norms, rho=blk.spectral_radius, sigma_max=blk.sigma_max, gamma=blk.gamma,
                     lang=lang, scale=scale), "c_eig_decay", selectable=False)
    return state.with_(rho_view=float(rho) if live else 0.0, scale=scale)

"""Eigenvalues of W_hh in the complex plane, and how ||dh_T/dh_k|| decays against rho^(T-k) and Pascanu's bound."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from engine import analysis

from .. import theme
from ..i18n import t
from .common import positive


def _circle(radius: float, name: str, colour: str, dash: str) -> go.Scatter:
    a = np.linspace(0, 2 * np.pi, 200)
    return go.Scatter(x=radius * np.cos(a), y=radius * np.sin(a), mode="lines", name=name,
                      line={"color": colour, "dash": dash, "width": 1.5}, hoverinfo="skip")


def eigenvalue_plane(eigenvalues: np.ndarray, *, gamma: float, lang: str, rescaled: np.ndarray | None = None,
                     label: str = "W_hh") -> go.Figure:
    """Eigenvalues as points, the unit circle, and the 1/gamma circle (when it differs)."""
    fig = go.Figure()
    fig.add_trace(_circle(1.0, t("leg.unit_circle", lang), theme.BLACK, "solid"))
    if abs(1 / gamma - 1) > 1e-9:
        fig.add_trace(_circle(1 / gamma, t("leg.gamma_circle", lang), theme.ORANGE, "dash"))
    ev = eigenvalues[np.isfinite(eigenvalues)]
    fig.add_trace(go.Scatter(x=ev.real, y=ev.imag, mode="markers", name=label,
                             marker={"color": theme.BLUE, "size": 9, "opacity": 0.8 if rescaled is None else 0.35},
                             hovertemplate="λ = %{x:.3f} %{y:+.3f}i<extra></extra>"))
    if rescaled is not None:
        rv = rescaled[np.isfinite(rescaled)]
        fig.add_trace(go.Scatter(x=rv.real, y=rv.imag, mode="markers", name=f"{label} (ρ)",
                                 marker={"color": theme.VERMILLION, "size": 9, "symbol": "diamond"},
                                 hovertemplate="λ = %{x:.3f} %{y:+.3f}i<extra></extra>"))
    pts = np.concatenate([ev, rescaled[np.isfinite(rescaled)] if rescaled is not None else ev])
    r = max(1.1, 1 / gamma * 1.05, float(np.abs(pts).max()) * 1.1 if len(pts) else 1.1)
    theme.style(fig, title=t("fig.eigs", lang, name=label), height=440)
    fig.update_xaxes(title=t("axis.re", lang), range=[-r, r], zeroline=True)
    fig.update_yaxes(title=t("axis.im", lang), range=[-r, r], scaleanchor="x", zeroline=True)
    return fig


def reference_lines(blk, reg) -> dict:
    """The decay chart's reference lines for a block and its regime (engine.spectrum): rho^(T-k) for a vanilla RNN,
    Pascanu's bound only where it is one. Keyword options of ``decay_curve``."""
    return {"rho": blk.spectral_radius if reg.cell == "rnn" else None, "bound_rate": reg.bound_rate}


def decay_curve(norms: np.ndarray, *, rho: float | None, bound_rate: float | None, lang: str, scale: str = "log"
                ) -> go.Figure:
    """Measured ||dh_T/dh_k|| against the lag T-k, with rho^(T-k) (the linear prediction, ``rho`` given) and
    Pascanu's bound (gamma sigma_max)^(T-k) (only where it is a bound: a vanilla RNN, ``bound_rate`` given)."""
    lags = np.arange(len(norms))[::-1]  # norms[k] has lag T-1-k
    order = np.argsort(lags)
    lags, measured = lags[order], np.asarray(norms)[order]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=lags, y=positive(measured) if scale == "log" else measured, mode="lines+markers",
                             name=t("leg.measured", lang), line={"color": theme.BLUE, "width": 3}))
    if rho is not None:
        fig.add_trace(go.Scatter(x=lags, y=positive(analysis.geometric(rho, lags)), mode="lines",
                                 name=t("leg.rho_line", lang), line={"color": theme.GREEN, "dash": "dash"}))
    if bound_rate is not None:
        fig.add_trace(go.Scatter(x=lags, y=positive(analysis.geometric(bound_rate, lags)), mode="lines",
                                 name=t("leg.pascanu", lang), line={"color": theme.ORANGE, "dash": "dot"}))
    theme.style(fig, title=t("fig.decay", lang), height=440)
    fig.update_xaxes(title=t("axis.lag", lang))
    ok = measured[np.isfinite(measured) & (measured > 0)]
    if scale == "log" and len(ok):  # frame the measurement; the reference lines may leave the frame
        lo, hi = np.log10(ok.min()), np.log10(ok.max())
        fig.update_yaxes(range=[min(lo, hi - 2) - 1, max(hi, lo + 2) + 1])
    if scale == "log":
        theme.log_axis(fig, title=t("axis.norm", lang))
    else:
        fig.update_yaxes(title=t("axis.norm", lang))
    return fig

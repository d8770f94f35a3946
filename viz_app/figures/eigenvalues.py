"""Eigenvalues of W_hh in the complex plane, and how ||dh_T/dh_k|| decays against rho^(T-k) and Pascanu's bound."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from engine import analysis, cells

from viz_app.web import theme
from viz_app.text.typeset import chart_math
from viz_app.text.i18n import t
from viz_app.figures.common import plain, positive


def _circle(radius: float, name: str, colour: str, dash: str) -> go.Scatter:
    a = np.linspace(0, 2 * np.pi, 200)
    return go.Scatter(x=radius * np.cos(a), y=radius * np.sin(a), mode="lines", name=name,
                      line={"color": colour, "dash": dash, "width": 1.5}, hoverinfo="skip")


def _xy(values: np.ndarray) -> list[list[float]]:
    """The finite eigenvalues as [[re...], [im...]] for the figure's JSON."""
    v = np.asarray(values)
    v = v[np.isfinite(v)]
    return [plain(v.real), plain(v.imag)]


def eigenvalue_plane(eigenvalues: np.ndarray, *, gamma: float, lang: str, rescaled: list | None = None,
                     index: int = 0, label: str = "W_hh") -> go.Figure:
    """Eigenvalues as points, the unit circle, and the 1/gamma circle (when it differs). ``rescaled``: the
    eigenvalues of W_hh rescaled to each position of the rho slider (None where it is as trained); the figure shows
    position ``index`` and carries every position (meta.rho_*: the slider moves them in the browser)."""
    rescaled, label = rescaled or [None], chart_math(label)
    fig = go.Figure()
    fig.add_trace(_circle(1.0, t("leg.unit_circle", lang), theme.BLACK, "solid"))
    if abs(1 / gamma - 1) > 1e-9:
        fig.add_trace(_circle(1 / gamma, t("leg.gamma_circle", lang), theme.ORANGE, "dash"))
    ev = eigenvalues[np.isfinite(eigenvalues)]
    faded = [{"marker.opacity": 0.8 if r is None else 0.35} for r in rescaled]
    fig.add_trace(go.Scatter(x=ev.real, y=ev.imag, mode="markers", name=label,
                             marker={"color": theme.BLUE, "size": 9, **{"opacity": faded[index]["marker.opacity"]}},
                             hovertemplate="λ = %{x:.3f} %{y:+.3f}i<extra></extra>", meta={"rho_style": faded}))
    points = [_xy(r) if r is not None else [[], []] for r in rescaled]
    shown = [{"showlegend": r is not None} for r in rescaled]
    fig.add_trace(go.Scatter(x=points[index][0], y=points[index][1], mode="markers", name=f"{label} (ρ)",
                             showlegend=shown[index]["showlegend"],
                             marker={"color": theme.VERMILLION, "size": 9, "symbol": "diamond"},
                             hovertemplate="λ = %{x:.3f} %{y:+.3f}i<extra></extra>",
                             meta={"rho_points": points, "rho_style": shown}))

    def frame(r):
        pts = np.concatenate([ev, r[np.isfinite(r)] if r is not None else ev])
        half = max(1.1, 1 / gamma * 1.05, float(np.abs(pts).max()) * 1.1 if len(pts) else 1.1)
        return {"xaxis.range": [-half, half], "yaxis.range": [-half, half]}

    frames = [frame(r) for r in rescaled]
    theme.style(fig, title=t("fig.eigs", lang, name=label), height=440)
    fig.update_layout(meta={"rho_layout": frames})
    fig.update_xaxes(title=t("axis.re", lang), range=frames[index]["xaxis.range"], zeroline=True)
    fig.update_yaxes(title=t("axis.im", lang), range=frames[index]["yaxis.range"], scaleanchor="x", zeroline=True)
    return fig


def reference_lines(blk, reg) -> dict:
    """The decay chart's reference lines for a block and its regime (engine.spectrum): rho^(T-k) for a vanilla RNN,
    Pascanu's bound only where it is one. Keyword options of ``decay_curve``."""
    return {"rho": blk.spectral_radius if cells.get(reg.cell).weight_bound else None, "bound_rate": reg.bound_rate}


def decay_curve(norms, *, rho, bound_rate, lang: str, scale: str = "log", index: int = 0) -> go.Figure:
    """Measured ||dh_T/dh_k|| against the lag T-k, with rho^(T-k) (the linear prediction, ``rho`` given) and
    Pascanu's bound (gamma sigma_max)^(T-k) (only where it is a bound: a vanilla RNN, ``bound_rate`` given).

    For the rho slider, ``norms``, ``rho`` and ``bound_rate`` may be lists over its positions (each None where that
    line does not apply): the figure shows position ``index`` and carries every position (meta.rho_*)."""
    grid = isinstance(norms, list | tuple)
    norms, rho, bound_rate = (norms, rho, bound_rate) if grid else ([norms], [rho], [bound_rate])
    steps = len(norms[0])
    lags = np.arange(steps)[::-1]  # norms[k] has lag T-1-k
    order = np.argsort(lags)
    lags = lags[order]
    measured = [np.asarray(n, dtype=float)[order] for n in norms]
    log = scale == "log"
    fig = go.Figure()
    ys = [plain(positive(m) if log else m) for m in measured]
    fig.add_trace(go.Scatter(x=lags, y=ys[index], mode="lines+markers", name=t("leg.measured", lang),
                             line={"color": theme.BLUE, "width": 3}, meta={"rho_y": ys} if grid else None))
    for rates, name, line in ((rho, "leg.rho_line", {"color": theme.GREEN, "dash": "dash"}),
                              (bound_rate, "leg.pascanu", {"color": theme.ORANGE, "dash": "dot"})):
        if all(r is None for r in rates):
            continue
        ys = [plain(positive(analysis.geometric(r, lags))) if r is not None else [] for r in rates]
        style = [{"visible": r is not None} for r in rates]
        fig.add_trace(go.Scatter(x=lags, y=ys[index], mode="lines", name=t(name, lang), line=line,
                                 visible=style[index]["visible"],
                                 meta={"rho_y": ys, "rho_style": style} if grid else None))
    theme.style(fig, title=t("fig.decay", lang), height=440)
    fig.update_xaxes(title=t("axis.lag", lang))

    def frame(m):  # frame the measurement; the reference lines may leave the frame
        ok = m[np.isfinite(m) & (m > 0)]
        if not log:
            return {}
        if not len(ok):
            return {"yaxis.autorange": True}
        lo, hi = np.log10(ok.min()), np.log10(ok.max())
        return {"yaxis.range": [float(min(lo, hi - 2) - 1), float(max(hi, lo + 2) + 1)]}

    frames = [frame(m) for m in measured]
    fig.update_layout(**{key.replace(".", "_"): value for key, value in frames[index].items()})
    if grid:
        fig.update_layout(meta={"rho_layout": frames})
    if log:
        theme.log_axis(fig, title=t("axis.norm", lang))
    else:
        fig.update_yaxes(title=t("axis.norm", lang))
    return fig

"""Helpers shared by the figure modules: time axes that can be clicked, non-finite markers, log-safe values."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .. import safe, theme
from ..i18n import t


def positive(a: np.ndarray) -> np.ndarray:
    """Values for a log axis: non-positive and non-finite become NaN (a gap, not a crash)."""
    a = np.asarray(a, dtype=float).copy()
    a[~np.isfinite(a) | (a <= 0)] = np.nan
    return a


def finite_or_nan(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float).copy()
    a[~np.isfinite(a)] = np.nan
    return a


def first_nonfinite(a: np.ndarray) -> int | None:
    bad = ~np.isfinite(np.asarray(a, dtype=float))
    return int(np.argmax(bad)) if bad.any() else None


def vline(fig: go.Figure, x: float, *, colour: str, dash: str = "dot", width: float = 1.5, text: str | None = None
          ) -> None:
    """A vertical line across the plot at x (a plain shape: cheaper than plotly's add_vline)."""
    fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, xref="x", yref="paper",
                  line={"color": colour, "dash": dash, "width": width})
    if text:
        fig.add_annotation(x=x, y=1, xref="x", yref="paper", text=text, showarrow=False, xanchor="left",
                           yanchor="top", font={"color": colour})


def mark_nonfinite(fig: go.Figure, at: int | None, lang: str) -> None:
    """A vertical line where values stop being finite, labelled."""
    if at is not None:
        vline(fig, at, colour=theme.NONFINITE, width=2, text=t("leg.nonfinite", lang))


def step_shape(step: int) -> dict:
    """The highlight of the selected time step on a time axis."""
    return {"type": "rect", "x0": step - 0.5, "x1": step + 0.5, "y0": 0, "y1": 1, "xref": "x", "yref": "paper",
            "fillcolor": theme.YELLOW, "opacity": 0.25, "line": {"width": 0}, "layer": "below"}


def mark_step(fig: go.Figure, step: int | None) -> None:
    """Highlight the selected time step."""
    if step is not None and step >= 0:
        fig.add_shape(**step_shape(step))


def char_labels(trace, vocab: str | None) -> list[str] | None:
    """Input character of every step (char-LM), shown visibly for spaces."""
    if vocab is None:
        return None
    ids = trace.inputs[:, 0].argmax(-1)
    return ["␣" if vocab[i] == " " else safe.plot(vocab[i]) for i in ids]

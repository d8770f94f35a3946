"""Helpers shared by the figure modules: time axes that can be clicked, non-finite markers, log-safe values."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .. import theme
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


def mark_nonfinite(fig: go.Figure, at: int | None, lang: str, **where) -> None:
    """A vertical line where values stop being finite, labelled."""
    if at is None:
        return
    fig.add_vline(x=at, line={"color": theme.NONFINITE, "dash": "dot", "width": 2},
                  annotation_text=t("leg.nonfinite", lang), annotation_font_color=theme.NONFINITE, **where)


def mark_step(fig: go.Figure, step: int | None, **where) -> None:
    """Highlight the selected time step."""
    if step is not None and step >= 0:
        fig.add_vrect(x0=step - 0.5, x1=step + 0.5, fillcolor=theme.YELLOW, opacity=0.25, line_width=0, **where)


def steps_customdata(n: int) -> np.ndarray:
    """customdata carrying the step index, so a click selects that step everywhere."""
    return np.arange(n)


def char_labels(trace, vocab: str | None) -> list[str] | None:
    """Input character of every step (char-LM), shown visibly for spaces."""
    if vocab is None:
        return None
    ids = trace.inputs[:, 0].argmax(-1)
    return ["␣" if vocab[i] == " " else vocab[i] for i in ids]

"""Helpers shared by the figure modules: time axes that can be clicked, non-finite markers, log-safe values."""
from __future__ import annotations

import weakref

import numpy as np
import plotly.graph_objects as go

from .. import safe, theme
from ..cache import LRU
from ..i18n import t

_FIGURES = LRU(512)  # built figures as dicts, shared by all sessions (read-only once stored)


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
    """The highlight of the selected time step on a time axis (named: the browser's step control moves it)."""
    return {"type": "rect", "name": "step-x", "x0": step - 0.5, "x1": step + 0.5, "y0": 0, "y1": 1, "xref": "x",
            "yref": "paper", "fillcolor": theme.YELLOW, "opacity": 0.25, "line": {"width": 0}, "layer": "below"}


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


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def figure(builder, data, *, highlight: int | None = None, **options) -> go.Figure:
    """``builder(data, **options)``, built once per (data object, options) and then reused: a view-only rerun
    costs a dict copy instead of a rebuild. ``highlight`` adds the time-step highlight on top.

    The cache holds a weak reference to ``data``: a Trace the trace cache let go is freed, not kept alive by the
    figures built from it (their entries then never match again and age out)."""
    key = (builder.__module__, builder.__qualname__, id(data), _freeze(options))
    hit = _FIGURES.get(key)
    if hit is None or hit[0]() is not data:  # the id of a freed object may be reused: compare identity
        hit = (weakref.ref(data), builder(data, **options).to_dict())
        _FIGURES.put(key, hit)
    spec = hit[1]
    if highlight is not None and highlight >= 0:
        layout = spec["layout"]
        spec = {**spec, "layout": {**layout, "shapes": [*layout.get("shapes", ()), step_shape(highlight)]}}
    # the stored dict was produced by a validated Figure: skip plotly's (slow) validation the second time
    return go.Figure(spec, _validate=False)

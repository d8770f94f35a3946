"""Helpers shared by the figure modules: time axes that can be clicked, non-finite markers, log-safe values."""
from __future__ import annotations

import os
import weakref
from urllib.parse import quote

import numpy as np
import plotly.graph_objects as go

from viz_app.text import escape
from viz_app.web import theme
from viz_app.web.controls import PLACEMENT
from viz_app.compute.cache import LRU
from viz_app.text.i18n import t

# built figures as dicts, shared by all sessions (read-only once stored), weighed by their size: a long text's T x T
# maps as Python lists are tens of MB a page
def _figure_mb() -> float:
    try:
        return max(1.0, float(os.environ.get("RNN_VIZ_FIGURE_MB", "256")))
    except ValueError:  # a setting that is not a number: the default, not a server that cannot start
        return 256.0


FIGURE_MB = _figure_mb()
_FIGURES = LRU(512, max_weight=FIGURE_MB * 2 ** 20)


def size_of(spec) -> int:
    """About how many bytes a figure's dict holds: 32 a number (a float object and its list slot), a string's length
    (numpy arrays arrive as base64 strings), the containers' own slots."""
    if isinstance(spec, str):
        return 49 + len(spec)
    if isinstance(spec, dict):
        return 64 + sum(size_of(v) + 8 for v in spec.values())
    if isinstance(spec, (list, tuple)):
        return 56 + sum(32 if isinstance(v, (int, float)) else size_of(v) + 8 for v in spec)
    return 32


def picked_curve(run: str) -> dict:
    """A curve over training updates whose points a click can pick (Plotly selects only points drawn as markers:
    these are invisible until picked, then one dot) and that names its run (meta.run) for views.timeline.offer."""
    return {"mode": "lines+markers", "marker": {"size": 8, "opacity": 0}, "meta": {"run": run},
            "selected": {"marker": {"opacity": 1}}, "unselected": {"marker": {"opacity": 0}}}


def positive(a: np.ndarray) -> np.ndarray:
    """Values for a log axis: non-positive and non-finite become NaN (a gap, not a crash)."""
    a = np.asarray(a, dtype=float).copy()
    a[~np.isfinite(a) | (a <= 0)] = np.nan
    return a


def finite_or_nan(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float).copy()
    a[~np.isfinite(a)] = np.nan
    return a


def plain(values) -> list:
    """Plain floats for a figure's JSON (meta carried to the browser), None for what is not finite (a gap)."""
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, dtype=float).ravel()]


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


_FRAME = "data:image/svg+xml;charset=utf-8," + quote(
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10' preserveAspectRatio='none'><rect width='10' "
    "height='10' fill='none' stroke='#000' stroke-width='4' vector-effect='non-scaling-stroke'/></svg>")


def step_band(step: int, *, over: bool = False) -> dict:
    """The highlight of the selected time step on a time axis, from step - 0.5 to step + 0.5 across the plot: a
    layout image named "step-x" (the browser's step control moves an image without Plotly recalculating the
    figure). ``over``: a frame drawn over a heatmap, where a band beneath the cells would be hidden."""
    return {"source": _FRAME if over else theme.solid(theme.YELLOW), "name": "step-x", "x": step - 0.5, "y": 1,
            "sizex": 1, "sizey": 1, "xref": "x", "yref": "paper", "xanchor": "left", "yanchor": "top",
            "sizing": "stretch", "opacity": 1.0 if over else 0.25, "layer": "above" if over else "below"}


def mark_step(fig: go.Figure, step: int | None) -> None:
    """Highlight the selected time step (a frame when the figure is a heatmap)."""
    if step is not None and step >= 0:
        fig.add_layout_image(**step_band(step, over=any(tr.type == "heatmap" for tr in fig.data)))


def char_labels(trace, vocab: str | None) -> list[str] | None:
    """Input character of every step (char-LM), shown visibly for spaces."""
    if vocab is None:
        return None
    ids = trace.inputs[:, 0].argmax(-1)
    return ["␣" if vocab[i] == " " else escape.plot(vocab[i]) for i in ids]


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _set(d: dict, dotted: str, value) -> dict:
    """A copy of ``d`` with the value at a Plotly dotted key ("yaxis.range", "marker.opacity", "shapes[1].x0") set."""
    head, _, rest = dotted.partition(".")
    name, bracket, item = head.partition("[")
    if bracket:  # an item of a list: "shapes[1]"
        items = list(d.get(name) or ())
        i = int(item.rstrip("]"))
        items[i] = _set(items[i], rest, value) if rest else value
        return {**d, name: items}
    return {**d, head: _set(d.get(head) or {}, rest, value) if rest else value}


def _item(values: list | None, index: int):
    """``values[index]``, or None where there is none (no list, or a shorter one)."""
    return values[index] if values and 0 <= index < len(values) else None


def place(spec: dict, index: int, field: str = "step") -> dict:
    """The figure dict with what it declares for ``field`` placed at ``index``, by the placement protocol
    (viz_app/web/placement.json, which viz_app/web/controls.js reads too: the browser does the same through Plotly's
    API, and tests/test_placement.py holds the two equal), done on the server so a figure is built once for every
    index. The stored dict is not changed (changed parts are copies)."""
    layout = dict(spec["layout"])
    for part, name, offsets in PLACEMENT["items"]:
        if layout.get(part):
            layout[part] = [{**item, **{key: index + offset for key, offset in offsets.items()}}
                            if item.get("name") == f"{field}-{name}" else item for item in layout[part]]
    meta = layout.get("meta") or {}
    for key, dotted in PLACEMENT["layout"]:
        value = _item(meta.get(f"{field}_{key}"), index)
        if value is None:
            continue
        for dotted_key, v in (value.items() if dotted is None else [(dotted, value)]):
            layout = _set(layout, dotted_key, v)
    data = []
    for trace in spec.get("data", ()):
        tmeta = trace.get("meta") if isinstance(trace.get("meta"), dict) else {}
        kind = next((k for k in PLACEMENT["traces"] if tmeta.get(f"{field}_{k}") is not None), None)
        at = _item(tmeta.get(f"{field}_{kind}"), index)
        if kind == "xy":
            trace = {**trace, "x": [at[0]] if at else [], "y": [at[1]] if at else []}
        elif kind == "points":
            xs, ys = at or ([], [])
            trace = {**trace, "x": list(xs), "y": list(ys)}
        elif kind == "y":
            trace = {**trace, "y": list(at or [])}
        elif kind == "cols":
            first, last = at or (1, 0)
            trace = {**trace, "y": [y if first <= c <= last else None for y, c in zip(tmeta["y_all"], tmeta["cols"])]}
        for key, value in (_item(tmeta.get(f"{field}_{PLACEMENT['style']}"), index) or {}).items():
            trace = _set(trace, key, value)
        data.append(trace)
    return {**spec, "data": data, "layout": layout}


def figure(builder, data, *, step: int | None = None, field: str = "step", highlight: int | None = None, **options
           ) -> go.Figure:
    """``builder(data, **options)``, built once per (data object, options) and then reused: a view-only rerun
    costs a dict copy instead of a rebuild. ``step``: for a builder that draws its own markers of ``field`` (its
    keyword), built once at index 0 and placed at ``step`` (``place``); ``highlight`` adds the time-step band to one
    that draws none.

    The cache holds a weak reference to ``data``: a Trace the trace cache let go is freed, not kept alive by the
    figures built from it, and its figures leave the cache when it goes (memory follows the trace cache's bound)."""
    if step is not None:
        options[field] = 0
    key = (builder.__module__, builder.__qualname__, id(data), _freeze(options))
    hit = _FIGURES.get(key)
    if hit is None or hit[0]() is not data:  # the id of a freed object may be reused: compare identity
        def forget(ref, key=key):  # the data is gone: so is every figure built from it, at once
            _FIGURES.discard(key, lambda entry: entry[0] is ref)
        hit = (weakref.ref(data, forget), builder(data, **options).to_dict())
        _FIGURES.put(key, hit, weight=size_of(hit[1]))
    spec = hit[1] if step is None else place(hit[1], step, field)
    if highlight is not None and highlight >= 0:
        layout = spec["layout"]
        band = step_band(highlight, over=any(tr.get("type") == "heatmap" for tr in spec.get("data", ())))
        spec = {**spec, "layout": {**layout, "images": [*layout.get("images", ()), band]}}
    # the stored dict was produced by a validated Figure: skip plotly's (slow) validation the second time
    return go.Figure(spec, _validate=False)

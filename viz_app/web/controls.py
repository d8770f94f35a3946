"""Controls that answer inside the browser: the time step of a view and the training snapshot move every linked
chart through Plotly's own API (viz_app/web/controls.js), with no server round trip; the server hears the index once it
rests.

A chart takes part by what its figure JSON declares for the field F: the placement protocol (placement.json, which
controls.js and the server's viz_app/figures/common.place both read) and layout.meta.F_click (a click picks a point's
index). The control is a Streamlit custom component (components v2: inline JavaScript in the page)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import streamlit as st

from viz_app.text.i18n import t

SETTLE_MS = 450  # the step goes to the server when it has not moved for this long
PLACEMENT = json.loads(Path(__file__).with_name("placement.json").read_text(encoding="utf-8"))

_CSS = """
:host { display: block; width: 100%; }
.rnnviz-control { width: 100%; box-sizing: border-box; display: flex; flex-wrap: wrap; align-items: center; gap: 0.6rem;
  font-family: inherit; padding: 0.2rem 0; }
.rnnviz-control label { display: flex; align-items: center; gap: 0.6rem; flex: 1 1 16rem; min-width: 0;
  font-size: 0.95rem; }  /* a narrow screen wraps the row instead of squeezing the label */
.rnnviz-control input[type=range] { flex: 1; min-width: 0; height: 1.4rem;
  accent-color: var(--st-primary-color, #005F94); }
.rnnviz-control button { font-size: 1rem; min-width: 2.4rem; padding: 0.15rem 0.5rem; border-radius: 0.4rem;
  border: 1px solid rgba(49, 51, 63, 0.25); background: transparent; cursor: pointer; }
.rnnviz-control output { min-width: 6.5rem; font-variant-numeric: tabular-nums; font-weight: 600; }
.rnnviz-control .note { flex-basis: 100%; box-sizing: border-box; padding: 0.75rem 1rem; border-radius: 0.5rem;
  font-size: 1rem; line-height: 1.55; }
.rnnviz-control .note.success { background: rgba(33, 195, 84, 0.1); color: rgb(23, 114, 51); }
.rnnviz-control .note.info { background: rgba(28, 131, 225, 0.1); color: rgb(0, 66, 128); }
.rnnviz-control .note.warning { background: rgba(255, 227, 18, 0.1); color: rgb(146, 108, 5); }
.rnnviz-control.large label, .rnnviz-control.large output, .rnnviz-control.large .note,
.rnnviz-control.large button { font-size: 20px; }
.rnnviz-control.large .note { padding: 0.4rem 0.8rem; line-height: 1.35; }
@media (min-width: 1800px) { .rnnviz-control.large label, .rnnviz-control.large output, .rnnviz-control.large .note,
  .rnnviz-control.large button { font-size: 24px; } }
"""


@st.cache_resource
def _component():
    js = (Path(__file__).with_name("controls.js")).read_text(encoding="utf-8")
    return st.components.v2.component("rnn_viz.index", js=js, css=_CSS)


def index_control(field: str, count: int, index: int, *, label: str, lang: str,
                  values: list[str] | None = None, notes: list[tuple[str, str]] | None = None,
                  param: str | None = None, url: list[str | None] | None = None, play_ms: int = 0, play: str = "",
                  large: bool = False) -> int:
    """A control of ``field`` ("step", "snapshot", "rho") over 0..count-1 (count > 1) that moves what the page's
    charts declare for it inside the browser; a click on a point of a chart whose layout.meta has ``<field>_click``
    selects that point's index. ``index``: the one the page's state has; ``values``: what to show for each index
    (default "t = i"); ``notes``: (kind, sentence) true at each index, shown in a box under the control (kind
    "success", "info" or "warning"); ``label`` and the notes' sentences are HTML (``i18n.t(..., form="html")``: our
    strings, math with <sub>/<sup>), the slider's aria-label is the label's text; ``param`` / ``url``: the address
    bar's parameter and its value at each index (None: left out), when they are not the field and the index;
    ``play_ms`` > 0: a play / pause button that moves one index on every play_ms (the server hears the index when it
    stops), labelled ``play`` (default "Play"); ``large``: presentation mode's text size. Its key is ``w_<field>``
    on every view, so the choice follows the user from view to view. Returns the index the server knows (the one on
    screen once it has rested)."""
    key = f"w_{field}"
    data = {"field": field, "count": count, "index": index, "label": label, "prev": t("ctl.prev", lang),
            "next": t("ctl.next", lang), "settle_ms": SETTLE_MS, "large": large,
            "placement": {k: v for k, v in PLACEMENT.items() if k != "about"}}
    if values is not None:
        data["values"] = values
    if notes is not None:
        data["notes"] = notes
    if param is not None:
        data["param"], data["url"] = param, url
    if play_ms:
        data.update(play_ms=play_ms, play=play or t("ctl.play", lang), pause=t("ctl.pause", lang))
    # What the browser last reported is adopted before the control is drawn, so the control is sent the index it
    # already shows (controls.js then keeps the keyboard focus and any move made since).
    # A report made over other positions (another run's rho grid or snapshots) names the position that means the same
    # (the same address-bar value, else the same label), if there is one; else the state's index stands.
    ids = url if url is not None else values
    seen_key, reported = f"_{key}_seen", _reported(st.session_state.get(key))
    drawn, st.session_state[f"_{key}_ids"] = st.session_state.get(f"_{key}_ids"), ids
    if reported != st.session_state.get(seen_key):
        st.session_state[seen_key] = reported
        if reported is not None and drawn != ids:
            same = drawn[reported] if drawn and 0 <= reported < len(drawn) else object()
            reported = ids.index(same) if ids and same in ids else None
        if reported is not None and 0 <= reported < count:
            index = reported
    data["index"] = index
    seen = st.session_state.get(f"_{key}_cell")
    data["clicks"] = seen["n"] if seen else 0
    _component()(key=key, data=data, default={"index": index}, on_index_change=lambda: None,
                 on_cell_change=lambda: None)
    return index


def clicked_cell(field: str, units: int, layers: int) -> tuple[int, int | None] | None:
    """(unit, layer or None) of a click on a cell of a chart that declares ``<field>_unit`` (controls.js) that the
    server has not seen yet, or None. It can be read before the control is drawn on the page (the component's state
    is there from the start of the run), so a view sets its unit control from it. A unit or layer out of range
    (another run's chart) is no click."""
    key = f"w_{field}"
    value = st.session_state.get(key)
    cell = value.get("cell") if isinstance(value, dict) else getattr(value, "cell", None)
    if not isinstance(cell, dict) or cell == st.session_state.get(f"_{key}_cell"):
        return None
    st.session_state[f"_{key}_cell"] = cell
    unit, layer, n = cell.get("unit"), cell.get("layer"), cell.get("n")
    if not (_whole(unit) and _whole(n) and 0 <= unit < units):
        return None
    if layer is not None and not (_whole(layer) and 0 <= layer < layers):
        layer = None
    return int(unit), (None if layer is None else int(layer))


def cell_widgets(click: tuple[int, int | None] | None, unit_key: str, unit: int, layer_key: str,
                 layer: int) -> tuple[dict, dict]:
    """The keyword arguments of a view's unit and layer widgets (number input ``value``, selectbox ``index``): a
    clicked cell (``clicked_cell``) is written to their Session State, which the browser's widgets then show (and
    they take no default: Streamlit warns of both); else the state's ``unit`` and ``layer``."""
    unit_at, layer_at = {"value": unit}, {"index": layer}
    if click is not None:
        st.session_state[unit_key], unit_at = click[0], {}
        if click[1] is not None:
            st.session_state[layer_key], layer_at = click[1], {}
    return unit_at, layer_at


def selected_points(event) -> list[dict]:
    """The points of a chart's selection (``st.plotly_chart(on_select=...)``'s event, a dict), or none."""
    return ((event or {}).get("selection") or {}).get("points") or []


def _whole(v) -> bool:
    return not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v) and v % 1 == 0


def _reported(value) -> int | None:
    """The index in the component's state (an object with .index or a dict), if it is a whole number."""
    index = value.get("index") if isinstance(value, dict) else getattr(value, "index", None)
    if isinstance(index, bool) or not isinstance(index, int | float) or not math.isfinite(index) or index % 1:
        return None
    return int(index)


def step_control(lang: str, steps: int, step: int, *, large: bool = False) -> int:
    """The time-step control (steps > 1): ``index_control`` of the field "step"."""
    return index_control("step", steps, step, label=t("ctl.step", lang, form="html"), lang=lang, large=large)

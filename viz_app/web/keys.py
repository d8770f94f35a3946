"""The page's keys (viz_app/web/keys.js, the one keyboard dispatcher): a clicker's PageDown / PageUp for a lecture
deck or, in presentation mode, for the views; 1-9 and the arrows in presentation mode. In presentation mode the
component also reports the screen's height (``screen_height``). Being the page's one script, it also sets the
document's language (``<html lang>``, which Streamlit leaves "en") for screen readers and the browser's
hyphenation."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

KEY = "page_keys"
# outside presentation mode the dispatcher's element takes no room (presentation mode's layout counts on its row)
NO_ROOM = "<style>.st-key-page_keys { display: none; }</style>"


@st.cache_resource
def _component():
    js = Path(__file__).with_name("keys.js").read_text(encoding="utf-8")
    return st.components.v2.component("rnn_viz.keys", js=js)


def mount(state, height: float) -> None:
    """Once per page run; ``height``: the screen's height as last reported (the browser reports again only when it
    really changed), reported back through one rerun when the page opens in presentation mode."""
    _component()(key=KEY, data={"present": bool(state.present), "height": height, "lang": state.lang},
                 default={"height": 0}, on_height_change=lambda: None)


def screen_height() -> float | None:
    """The screen's height the browser reported, if it has (the component's state: 0 until then)."""
    value = st.session_state.get(KEY)
    height = value.get("height") if isinstance(value, dict) else getattr(value, "height", None)
    if isinstance(height, bool) or not isinstance(height, int | float) or not height > 0:  # none yet (0), NaN
        return None
    return float(height)

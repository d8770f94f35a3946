"""The address bar and the session's state: the only module that touches st.query_params, and the one place the page's
state is kept between runs (``keep``). The state is read from the link once per session (the browser's language when
the link names none) and written back to the address bar when it changed."""
from __future__ import annotations

import streamlit as st

from viz_app.state.fields import AppState, from_params, to_params

KEY = "app_state"  # the session's state: what the next run of the page draws


def current() -> AppState:
    """The page's state in this session (read from the link at its first run, with the link's notices)."""
    if KEY not in st.session_state:
        keep(*read_url())
    return st.session_state[KEY]


def keep(state: AppState, notices: list | None = None) -> None:
    """The one place the page's state is written (a new link's ``notices`` with it): the next run draws it, and the
    page writes it to the address bar."""
    st.session_state[KEY] = state
    if notices is not None:
        st.session_state.notices = notices


def read_url() -> tuple[AppState, list[tuple[str, str, str]]]:
    """The URL's state and its notices; the language from the browser's locale when the link names none."""
    state, notices = from_params({k: st.query_params[k] for k in st.query_params})
    if "lang" not in st.query_params:
        locale = (getattr(st.context, "locale", None) or "ko").lower()
        state = state.with_(lang="en" if locale.startswith("en") else "ko")
    return state, notices


def sync_to_url(state: AppState) -> None:
    """Write the state into the address bar (only when it changed, so no needless reruns)."""
    want = to_params(state)
    current = {k: st.query_params[k] for k in st.query_params}
    if current != want:
        st.query_params.from_dict(want)


def presenting() -> bool:
    """Whether the link asks for presentation mode (read before the page is configured, before the full state)."""
    return st.query_params.get("present") == "1"

"""The address bar: the only module that touches st.query_params. The state is read from it once per session (the
browser's language when the link names none) and written back when it changed."""
from __future__ import annotations

from viz_app.state.fields import AppState, from_params, to_params


def read_url(st) -> tuple[AppState, list[tuple[str, str, str]]]:
    """The URL's state and its notices; the language from the browser's locale when the link names none."""
    state, notices = from_params({k: st.query_params[k] for k in st.query_params})
    if "lang" not in st.query_params:
        locale = (getattr(st.context, "locale", None) or "ko").lower()
        state = state.with_(lang="en" if locale.startswith("en") else "ko")
    return state, notices


def sync_to_url(st, state: AppState) -> None:
    """Write the state into the address bar (only when it changed, so no needless reruns)."""
    want = to_params(state)
    current = {k: st.query_params[k] for k in st.query_params}
    if current != want:
        st.query_params.from_dict(want)


def presenting(st) -> bool:
    """Whether the link asks for presentation mode (read before the page is configured, before the full state)."""
    return st.query_params.get("present") == "1"

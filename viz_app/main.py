"""Entry point: `streamlit run viz_app/main.py`. Reads the URL once, draws the sidebar, trains (cached), shows a view.

One script with a `view` field instead of a multipage app: Streamlit clears query parameters when switching pages,
and the whole state must stay in the URL so a link reproduces the lecture's figure."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `streamlit run` puts viz_app/ itself on the path

# pandas first, fully, in every session's thread: Streamlit imports it lazily while a chart is sent, and plotly's
# validators read sys.modules["pandas"] without importing it, so a session drawing a figure while another was still
# importing pandas failed ("partially initialized module 'pandas' has no attribute 'Series'": 20 of 50 sessions
# opening the scenarios right after a restart). An import of a module another thread is importing waits for it.
import pandas  # noqa: E402, F401
import streamlit as st  # noqa: E402

from viz_app import freeze_imports, page  # noqa: E402
from viz_app import sidebar  # noqa: E402
from viz_app.state import fields as S  # noqa: E402
from viz_app.state import url  # noqa: E402
from viz_app.text import escape  # noqa: E402
from viz_app.text.i18n import t  # noqa: E402
from viz_app.views import catalog  # noqa: E402, F401  (registers the views)
from viz_app.web import keys, present, theme  # noqa: E402

freeze_imports()


def main() -> None:
    st.set_page_config(page_title="RNN internals", page_icon="🔁", layout="wide",
                       initial_sidebar_state="collapsed" if url.presenting() else "auto")
    state = sidebar.sidebar(url.current())  # the URL is read once per session
    url.keep(state)
    header(state)
    page.show()


def header(state) -> None:
    """The page's style, its title (presentation mode: its large text and keys instead, the screen's height goes to
    the chart) and the link's notices (a value it could not use, and why)."""
    lang = state.lang
    st.html(theme.PAGE_STYLE if state.present else theme.PAGE_STYLE + keys.NO_ROOM)
    keys.mount(state, keys.screen_height() or present.SCREEN)  # a clicker's keys, the screen's height
    if state.present:
        present.setup()
    elif not S.hidden(state, "title"):
        st.title(t("app.title", lang))
        st.caption(t("app.subtitle", lang) + " " + t("app.indexing", lang))  # the one statement of the convention
    for name, value, reason in [] if S.hidden(state, "notices") else st.session_state.notices:
        key, values = reason
        st.warning(t("msg.bad_param", lang, name=name, value=escape.md(value, escape.QUOTE_LIMIT),
                     reason=escape.md(t(f"reason.{key}", lang, form="text", **values), 300)))  # escaped: plain


main()

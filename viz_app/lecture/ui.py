"""The lecture deck on the page (viz_app/lecture/codec.py): the sidebar's deck settings (load a file, type entries, add
the page on screen, download the deck and its handout) and the deck bar above the view (Previous / Next, a
clicker's PageUp / PageDown, the entry's note and the QR code of its link). The deck is the state's ``deck`` field:
it is in the page's link."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from engine import EngineError

from viz_app.export import render
from viz_app.lecture import links
from viz_app.lecture import handout as handouts
from viz_app.export import captions
from viz_app.lecture import codec
from viz_app.compute import runs
from viz_app.text import escape
from viz_app.text.errors import error_message
from viz_app.text.i18n import t
from viz_app.state import url
from viz_app.web import present


def deck_of(state) -> tuple[str, tuple] | None:
    """(title, entries) of the state's deck; None without one (a bad one was refused when the link was read)."""
    if not state.deck:
        return None
    try:
        return codec.decode(state.deck)
    except codec.DeckError:
        return None


def sidebar(state, lang: str) -> dict:
    """The deck's settings, in an expander of the sidebar; returns the state's new deck fields."""
    deck = deck_of(state)
    out = {}
    with st.expander(t("deck.settings", lang), expanded=False):
        upload = st.file_uploader(t("deck.file", lang), type=["json"], key="w_deck_file")
        if upload is not None and st.session_state.get("_deck_file") != upload.file_id:
            st.session_state._deck_file = upload.file_id
            out = _load(upload.getvalue()[: codec.MAX_FILE + 1].decode("utf-8", "replace"), lang)
        text = st.text_area(t("deck.lines", lang), key="w_deck_text", height=90,
                            placeholder="Vanishing | ?view=eigen&rho=0.5 | ρ < 1")
        st.caption(t("deck.milestones", lang))
        if st.button(t("deck.load", lang), key="w_deck_load"):
            out = _load(text, lang)
        title = st.text_input(t("deck.entry_title", lang), key=f"w_deck_entry_{state.view}",
                              max_chars=codec.MAX_TITLE, value=t(f"view.{state.view}", lang, form="text"))
        if st.button(t("deck.add", lang), key="w_deck_add"):
            name, entries = deck or ("", ())
            if len(entries) < codec.MAX_ENTRIES:
                out = _fields(name, [*entries, links.entry_of(state, title or state.view)], lang,
                              at=len(entries))
        if deck and not out:
            name, entries = deck
            st.caption(t("deck.loaded", lang, n=len(entries)))
            st.download_button(t("deck.download", lang), codec.to_json(name, list(entries)),
                               file_name="lecture.json", mime="application/json", key="w_deck_download",
                               on_click="ignore")
            fmt = st.radio(t("deck.handout_format", lang), ("html", "pdf"), horizontal=True, key="w_deck_fmt",
                           format_func=str.upper)
            if st.button(t("deck.handout", lang), key="w_deck_handout"):
                st.session_state._handout = (fmt, _handout(name, list(entries), fmt, state.lang))
            made = st.session_state.get("_handout")
            if made is not None and made[1] is not None:
                st.download_button(t("deck.handout_save", lang, fmt=made[0].upper()), made[1],
                                   file_name=f"handout.{made[0]}", mime=render.MIME[made[0]], key="w_deck_save",
                                   on_click="ignore")
            if st.button(t("deck.clear", lang), key="w_deck_clear"):
                st.session_state.pop("_handout", None)
                out = {"deck": "", "deck_at": -1}
    return out


def _fields(title: str, entries: list, lang: str, at: int = -1) -> dict:
    try:
        return {"deck": codec.encode(title, entries), "deck_at": at}
    except codec.DeckError as e:
        st.error(t(f"deck.err_{e.reason}", lang, **e.values))
        return {}


def _load(text: str, lang: str) -> dict:
    try:
        title, entries = codec.parse(text)
    except codec.DeckError as e:
        st.error(t(f"deck.err_{e.reason}", lang, **e.values))
        return {}
    st.session_state.pop("_handout", None)
    return _fields(title, entries, lang)


def _handout_section(entry_json: str, lang: str, base: str) -> tuple:
    """In a worker (the entry's run is trained there): what the handout shows of one entry."""
    _, entries = codec.parse(entry_json)
    return handouts.sections(entries, lang=lang, base_url=base)[0]


def _handout(title: str, entries: list, fmt: str, lang: str) -> bytes | None:
    """The handout's bytes, or None with one sentence on the page. Each entry's figure is made in a worker job of its
    own (queued like any page's: a deck of 40 heavy entries holds the heavy slot one entry at a time, and the
    lecturer's pages take their turn between them; an entry already made for another handout is not made again);
    the PDF is printed here, by the render service's Chromium, which cannot start under a worker's address-space
    limit."""
    if fmt == "pdf" and render.chrome_path() is None:
        st.caption(t("msg.no_chrome", lang, cmd=render.INSTALL_HINT))
        return None
    base = captions.public_base(getattr(st.context, "url", None) or "")
    try:
        parts = []
        for entry in entries:
            one = codec.to_json("", [entry])
            parts.append(runs.computed("handout entry", (one, lang, base), _handout_section, one, lang, base,
                                       seconds=60.0, mb=1500.0, lang=lang))
        with tempfile.TemporaryDirectory() as tmp:
            return handouts.write(title, parts, Path(tmp), fmt, lang=lang, base_url=base,
                                  client=runs.client()).read_bytes()
    except EngineError as e:
        st.error(error_message(e, lang))
    except render.ExportError as e:
        st.error(t("msg.export_failed", lang, fmt=fmt.upper(), reason=escape.md(e, 300)))
    return None


def _go(entries, index: int) -> None:
    """Previous / Next (a button's callback): the entry's link becomes the page's state, and the whole page (its
    sidebar too, and the address bar) follows. A callback's st.rerun reruns the app even from a fragment; a rerun
    from the fragment's body would leave the address bar behind."""
    state = url.current()
    index = max(0, min(len(entries) - 1, index))
    new, notices = links.state_of(entries[index], keep=state.with_(deck_at=index))
    url.keep(new, notices)
    st.rerun()


def bar(state, where):
    """The deck bar above the view (nothing without a deck); Previous / Next open their entry's link."""
    deck = deck_of(state)
    if not deck:
        return state
    lang = state.lang
    _, entries = deck
    index = state.deck_at if state.deck_at < len(entries) else -1
    with where:
        left, mid, right, code = st.columns([1, 6, 1, 2.2], vertical_alignment="center")  # room for the QR code
        left.button("◀", key="deck_prev", disabled=index <= 0, help=t("deck.prev", lang), on_click=_go,
                    args=(entries, index - 1))
        right.button("▶", key="deck_next", disabled=index >= len(entries) - 1, help=t("deck.next", lang),
                     on_click=_go, args=(entries, index + 1))
        if index >= 0:
            entry = entries[index]
            mid.markdown(f"{index + 1} / {len(entries)} · {escape.md(entry.title)}")
            base = captions.public_base(getattr(st.context, "url", None) or "")
            if entry.note:  # its milestones link to the app's pages
                mid.caption(codec.note_md(entry.note, base.rstrip("?")))
            link = links.shared_link(entry, lang, base)  # the entry's own link, for the students' phones
            code.html(f"<img alt='QR' title='{escape.plot(link)}' width='{present.qr_size(state)}' "
                      f"style='max-width:100%' src='{handouts.qr_data_uri(link)}'>")
        else:
            mid.caption(t("deck.ready", lang, n=len(entries)))
    return state

"""A deck entry's link and the page's state: the state an entry opens (with the presenter's own way of showing it
kept), and the page on screen as an entry."""
from __future__ import annotations

from urllib.parse import urlencode

from viz_app.lecture.codec import MAX_NOTE, MAX_TITLE, Entry
from viz_app.state import fields as S

LINK_ONLY = S.LINK_FIELDS  # fields of the page's link that are not part of what an entry or figure shows
KEPT = S.PRESENTER_FIELDS  # the presenter's own way of showing the page


def entry_of(state, title: str, note: str = "") -> Entry:
    """The page on screen as an entry: what it shows (its scenario, with what differs from it), not the presenter's
    way of showing it (language, presentation mode, ...: those of whoever opens the deck) or the deck."""
    params = {k: v for k, v in S.to_params(state).items() if k not in LINK_ONLY and k not in KEPT}
    return Entry(title[:MAX_TITLE], urlencode(params), note[:MAX_NOTE])


def shared_link(entry: Entry, lang: str, base: str) -> str:
    """The address a student opens for an entry (its QR code): the entry's own link in the lecture's language (unless
    the entry names one), without the presenter's way of showing it (presentation mode, theme, ...) or the deck."""
    params = {k: v for k, v in entry.params().items() if k not in LINK_ONLY and (k not in KEPT or k == "lang")}
    return f"{base}?{urlencode({'lang': lang, **params})}"


def state_of(entry: Entry, keep=None):
    """The entry's state as its link opens it (notices: the link's fields that could not be used), with the
    presenter's own way of showing the page kept from ``keep`` (language, presentation and lecture modes, theme,
    what is hidden) and the deck itself."""
    params = {k: v for k, v in entry.params().items() if k not in LINK_ONLY}
    state, notices = S.from_params(params)
    if keep is not None:
        state = state.with_(**{k: getattr(keep, k) for k in KEPT if k not in params},
                            deck=keep.deck, deck_at=keep.deck_at)
    return state, notices

"""User-controlled text shown as text: never as Markdown (headings, links, images, colour directives, math) on the
page, never as HTML in Plotly's titles, annotations and exported captions.

Link values, texts to learn, CSV headers, state_dict keys and the engine's error messages (which quote them) pass
through here before they reach ``st.*`` or a figure. Our own strings (i18n, scenarios) do not need it.
"""
from __future__ import annotations

import html
import re
import string

QUOTE_LIMIT = 60  # a bad value is quoted this long at most
_PUNCT = frozenset(string.punctuation)
JOINER = "\u2060"  # word joiner: invisible, but breaks what GFM would turn into a link by itself
# GFM's autolink literals (http://, https://, ftp://, www., e-mail addresses, mailto:, xmpp:) ignore backslash
# escapes, so their triggers get a word joiner inside: "h\u2060ttps://", "w\u2060ww.", "a@\u2060b"
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp|www|mailto|xmpp)|@")


def shorten(text: object, limit: int | None = QUOTE_LIMIT) -> str:
    """``text`` as a one-line string of at most ``limit`` characters (newlines and tabs become spaces)."""
    s = re.sub(r"\s", " ", str(text))
    return s[:limit] + "…" if limit is not None and len(s) > limit else s


def md(text: object, limit: int | None = None) -> str:
    """Text that Streamlit's Markdown shows literally: every ASCII punctuation character backslash-escaped
    (CommonMark allows it for all of them), autolink triggers broken by an invisible word joiner, on one line,
    optionally shortened."""
    plain = _AUTOLINK.sub(lambda m: m.group(0)[0] + JOINER + m.group(0)[1:] if m.group(0) != "@" else "@" + JOINER,
                          shorten(text, limit))
    return "".join("\\" + c if c in _PUNCT else c for c in plain)


def plot(text: object) -> str:
    """Text that Plotly shows literally: its HTML subset (<a href>, <b>, <br>, ...) neutralised as entities."""
    return html.escape(str(text), quote=False)

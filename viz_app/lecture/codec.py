"""A lecture deck's format: an ordered list of the app's links, each with a title and a short note, read from a file
or typed lines, checked, and written back (the deck itself is presented by ui.py and printed by handout.py).

A deck file is JSON: ``{"title": "...", "entries": [{"title": "...", "link": "?view=bptt&cell=lstm", "note": "..."}]}``
(a link may be a whole URL; only its query counts). In the app a deck can also be typed one entry per line,
``title | link | note``, or built from the views on screen ("Add this page").

The deck travels in the page's own link (field ``deck``: the JSON compressed, base64url; ``deck_at``: the entry on
screen), so presentation mode (a link), a reload and a student's copy of the address all keep it: one link holds the
whole lecture. Figures' permalinks and QR codes leave it out.
"""
from __future__ import annotations

import base64
import binascii
import html
import json
import zlib
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit

import re


from viz_app.text import escape

MAX_ENTRIES = 40
MAX_TITLE, MAX_NOTE, MAX_LINK = 120, 600, 4000
MAX_FILE = 256 * 1024  # bytes of a deck file (and of a link's deck, uncompressed)
MAX_URL = 12_000  # characters of the link's deck field (browsers and servers take 16k+)


class DeckError(ValueError):
    """A deck file or text that cannot be read; ``reason`` names what is wrong (i18n: deck.err_<reason>)."""

    def __init__(self, reason: str, **values):
        self.reason, self.values = reason, values
        super().__init__(f"{reason}: {values}")


@dataclass(frozen=True)
class Entry:
    title: str
    link: str  # the query, without "?": "view=bptt&cell=lstm"
    note: str = ""

    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.link, keep_blank_values=True))


def _query(link: str) -> str:
    link = link.strip()
    return urlsplit(link).query if "://" in link else link.lstrip("?")


def _entry(title, link, note, at: int) -> Entry:
    if not isinstance(title, str) or not isinstance(link, str) or not isinstance(note, str):
        raise DeckError("field", entry=at)
    title, note, query = title.strip(), note.strip(), _query(link)
    if not title or len(title) > MAX_TITLE:
        raise DeckError("title", entry=at, max=MAX_TITLE)
    if len(note) > MAX_NOTE:
        raise DeckError("note", entry=at, max=MAX_NOTE)
    if not query or len(query) > MAX_LINK:
        raise DeckError("link", entry=at, max=MAX_LINK)
    return Entry(title, query, note)


def parse(text: str) -> tuple[str, list[Entry]]:
    """(deck title, entries) from a deck file's JSON or from lines ``title | link | note``."""
    if len(text.encode()) > MAX_FILE:
        raise DeckError("size", max=MAX_FILE // 1024)
    text = text.strip()
    if not text:
        raise DeckError("empty")
    if text[0] in "{[":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise DeckError("json", line=e.lineno) from None
        except RecursionError:  # "[[[[...": nested deeper than Python's parser goes (a 70-character deck= link)
            raise DeckError("shape") from None
        title, items = ("", data) if isinstance(data, list) else (data.get("title", ""), data.get("entries"))
        if not isinstance(items, list) or not isinstance(title, str):
            raise DeckError("shape")
        entries = []
        for i, item in enumerate(items, 1):
            if not isinstance(item, dict):
                raise DeckError("field", entry=i)
            entries.append(_entry(item.get("title", ""), item.get("link", ""), item.get("note", ""), i))
    else:
        title, entries = "", []
        for i, line in enumerate((ln for ln in text.splitlines() if ln.strip()), 1):
            parts = [p.strip() for p in line.split("|", 2)]
            if len(parts) < 2:
                raise DeckError("line", entry=i)
            entries.append(_entry(parts[0], parts[1], parts[2] if len(parts) > 2 else "", i))
    if not entries:
        raise DeckError("empty")
    if len(entries) > MAX_ENTRIES:
        raise DeckError("count", max=MAX_ENTRIES)
    return title.strip()[:MAX_TITLE], entries


def to_json(title: str, entries: list[Entry]) -> str:
    return json.dumps({"title": title, "entries": [{"title": e.title, "link": "?" + e.link, "note": e.note}
                                                   for e in entries]}, ensure_ascii=False, indent=2)


# a note's milestone: "[label](?view=bptt&step=5)", a link that opens that page of the app (Distill's milestones)
MILESTONE = re.compile(r"\[([^\[\]\n]{1,80})\]\((\?[^()\s]{1,2000})\)")


def _milestone_url(query: str, base: str) -> str:
    """The app's own address with the query re-encoded (nothing but our parameters' text gets into the URL)."""
    return f"{base}?{urlencode(parse_qsl(query.lstrip('?'), keep_blank_values=True))}"


def note_md(note: str, base: str) -> str:
    """A note for Streamlit's Markdown: its text shown literally, its milestones as links to the app's pages."""
    out, at = [], 0
    for m in MILESTONE.finditer(note):
        out.append(escape.md(note[at:m.start()], None))
        out.append(f"[{escape.md(m[1], None)}]({_milestone_url(m[2], base)})")
        at = m.end()
    out.append(escape.md(note[at:], None))
    return "".join(out)


def note_html(note: str, base: str) -> str:
    """The same for the HTML handout."""
    out, at = [], 0
    for m in MILESTONE.finditer(note):
        out.append(html.escape(note[at:m.start()]))
        out.append(f"<a href='{html.escape(_milestone_url(m[2], base), quote=True)}'>{html.escape(m[1])}</a>")
        at = m.end()
    out.append(html.escape(note[at:]))
    return "".join(out)


def note_text(note: str) -> str:
    """The note as plain text (a PDF page's caption): a milestone keeps its label."""
    return MILESTONE.sub(lambda m: m[1], note)


def encode(title: str, entries: list[Entry]) -> str:
    """The deck as the link's ``deck`` field: its JSON, compressed, base64url without padding."""
    raw = zlib.compress(to_json(title, entries).encode(), 9)
    text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    if len(text) > MAX_URL:
        raise DeckError("url", max=MAX_URL)
    return text


@lru_cache(maxsize=64)
def decode(text: str) -> tuple[str, tuple[Entry, ...]]:
    """The link's ``deck`` field read back; DeckError if it is not a deck (at most MAX_FILE bytes unpacked)."""
    if len(text) > MAX_URL:
        raise DeckError("url", max=MAX_URL)
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        unpack = zlib.decompressobj()
        data = unpack.decompress(raw, MAX_FILE + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise DeckError("encoding") from None
    if len(data) > MAX_FILE or unpack.unconsumed_tail:
        raise DeckError("size", max=MAX_FILE // 1024)
    title, entries = parse(data.decode("utf-8", "replace"))
    return title, tuple(entries)


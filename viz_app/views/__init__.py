"""The registry of views: each view module declares everything it has in one ``VIEW = View(...)`` record, and
viz_app/views/catalog.py registers them in lecture order. The page's view bar, the URL's choices (the field table),
the deck, the exporter, presentation mode and the tests read this registry and nothing else.

A new view is one module here (its figures, its render, its record), its line in the catalog, and its strings
(``view.NAME``, ``view_short.NAME``, ``exp.NAME``: in viz_app/text/strings.py, or in the record's ``strings``)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from viz_app.state.choices import Live
from viz_app.text.strings import STRINGS


def _no_equations(parts) -> list[str]:
    return []


@dataclass(frozen=True)
class View:
    """Everything the app knows of a view."""

    name: str  # in links (?view=NAME), file names and string keys
    figures: Callable  # (state, src, **options) -> list[Chart]: its figures, declared once (the page and the exporter)
    render: Callable  # (state, run, trace, areas) -> state: its controls and the same figures laid out on the page
    equations: Callable = _no_equations  # (text.equations.Parts) -> TeX lines shown with its explanation
    own_models: bool = False  # it trains and draws its own models, not the page's (no training line, no watching)
    question: object = None  # teach.predict.Question the class answers before the reveal, or None
    caption: Callable | None = None  # (state, figure, trained_rho) -> what a slide says is drawn; None: the page's run
    strings: Mapping = field(default_factory=dict)  # {key: (ko, en)} it brings to the string table


_VIEWS: dict[str, View] = {}


def register(view: View) -> View:
    """Add ``view`` after the views registered so far (its strings join the table); returns it."""
    if view.name in _VIEWS:
        raise ValueError(f"a view named {view.name!r} is registered already")
    clash = [k for k in view.strings if k in STRINGS]
    if clash:
        raise ValueError(f"the view {view.name!r} brings strings the table has already: {clash}")
    STRINGS.update(view.strings)
    _VIEWS[view.name] = view
    return view


def unregister(name: str) -> None:
    """Remove a view and the strings it brought (a test's own view)."""
    view = _VIEWS.pop(name)
    for key in view.strings:
        STRINGS.pop(key, None)


def _views() -> dict[str, View]:
    if not _VIEWS:
        raise RuntimeError("no view is registered: import viz_app.views.catalog before reading a link")
    return _VIEWS


def get(name: str) -> View:
    return _views()[name]


def all_views() -> tuple[View, ...]:
    """Every view, in lecture order."""
    return tuple(_views().values())


def names() -> tuple[str, ...]:
    return tuple(_views())


NAMES = Live(names)  # the field table's choices for ``view``: a view registered later is a valid link at once

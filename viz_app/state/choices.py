"""Choices that follow a registry: a field's valid values read from the registry each time they are asked for, so
a view or a cell kind registered after the field table was built is a valid link at once."""
from __future__ import annotations

from collections.abc import Callable, Sequence


class Live(Sequence):
    """The tuple ``names()`` returns, read again at every use (``in``, iteration, ``index``, ``len``)."""

    def __init__(self, names: Callable[[], tuple]):
        self.names = names

    def __getitem__(self, i):
        return tuple(self.names())[i]

    def __len__(self) -> int:
        return len(tuple(self.names()))

    def __contains__(self, value) -> bool:
        return value in tuple(self.names())

    def __repr__(self) -> str:
        return f"Live{tuple(self.names())}"

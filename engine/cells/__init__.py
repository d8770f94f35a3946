"""The cell kinds, one module each (engine/cells/rnn.py, lstm.py, gru.py), registered by name.

``get(kind)`` returns the object owning a kind's equations (engine/cells/base.py describes the interface);
``register(cell)`` adds a kind: record, train, the Jacobian maps, the spectra and the views then take it.
"""
from __future__ import annotations

from engine.errors import ConfigError
from engine.cells import gru, lstm, rnn
from engine.cells.base import DIRECTIONS, WEIGHTS, Cell, LayerForward

BUILT_IN = (rnn.CELL, lstm.CELL, gru.CELL)
_KINDS: dict[str, Cell] = {c.kind: c for c in BUILT_IN}


def kinds() -> tuple[str, ...]:
    """The registered cell kinds, in registration order."""
    return tuple(_KINDS)


def get(kind: str) -> Cell:
    try:
        return _KINDS[kind]
    except (KeyError, TypeError):
        raise ConfigError(f"cell must be one of {kinds()}, got {kind!r}") from None


def register(cell: Cell) -> Cell:
    """Add a cell kind (its ``kind`` must be new); returns it."""
    if not cell.kind or cell.kind in _KINDS:
        raise ConfigError(f"a cell kind needs a new name, got {cell.kind!r}")
    _KINDS[cell.kind] = cell
    return cell


def added() -> tuple[Cell, ...]:
    """The kinds ``register`` added to the built-in ones (a worker process registers them too: they pickle by their
    class's module and name)."""
    return tuple(c for c in _KINDS.values() if c not in BUILT_IN)


def unregister(kind: str) -> None:
    """Remove a kind added by ``register`` (the built-in three stay)."""
    if kind in {c.kind for c in BUILT_IN}:
        raise ConfigError(f"{kind!r} is built in")
    _KINDS.pop(kind, None)


def of_torch_module(blocks: int) -> Cell | None:
    """The cell kind whose torch module stacks ``blocks`` gate blocks in weight_hh (1 RNN, 3 GRU, 4 LSTM)."""
    return next((c for c in _KINDS.values() if c.torch_module is not None and c.blocks == blocks), None)


__all__ = ["Cell", "LayerForward", "WEIGHTS", "DIRECTIONS", "get", "register", "unregister", "kinds", "added",
           "of_torch_module"]

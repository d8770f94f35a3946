"""The lecture's runs and recordings kept on disk between server starts, so the first student after a restart does not
wait for training (`python -m viz_app.compute.warmup` fills it before the class).

Entries are keyed by the cache key of viz_app/compute/runs.py (a frozen RunConfig and what was recorded) and by the code
version: a hash of the engine's source, torch's, numpy's and Python's versions. Same key and version, same bits (the
training is deterministic on CPU: tests/test_determinism.py); another version never matches. Only what the server
computed itself goes in (never an upload): the lecture's configurations (runs.py decides which) and whatever the
warm-up command computes. Files are pickles written by this process into a directory only its user can read or
write (like Streamlit's own `persist="disk"` cache); one that does not load is deleted and recomputed.

``RNN_VIZ_CACHE_DIR``: the directory (default ``.cache/runs`` in the project); ``off`` turns the disk cache off."""
from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

PROJECT = Path(__file__).resolve().parents[2]


def directory() -> Path | None:
    """Where entries live, or None when the disk cache is off."""
    value = os.environ.get("RNN_VIZ_CACHE_DIR", "")
    if value.lower() == "off":
        return None
    return Path(value) if value else PROJECT / ".cache" / "runs"


@functools.lru_cache(maxsize=1)
def version() -> str:
    """The code version entries are valid for: the engine's source (every module, its subfolders' too) and the numeric
    libraries' versions."""
    h = hashlib.sha256()
    for path in sorted((PROJECT / "engine").rglob("*.py")):
        h.update(path.relative_to(PROJECT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(f"{torch.__version__} {np.__version__} {sys.version_info[:2]}".encode())
    return h.hexdigest()[:16]


def _path(root: Path, key) -> Path:
    return root / f"{version()}-{hashlib.sha256(repr(key).encode()).hexdigest()[:32]}.pkl"


def get(key) -> tuple[object, int] | None:
    """(the stored value of ``key`` for this code version, its size in bytes), or None."""
    root = directory()
    if root is None:
        return None
    path = _path(root, key)
    try:
        with open(path, "rb") as f:
            stored_key, value = pickle.load(f)
            size = f.tell()
    except FileNotFoundError:
        return None
    except Exception:  # a partial or foreign file: gone, and computed again
        path.unlink(missing_ok=True)
        return None
    return (value, size) if stored_key == repr(key) else None


def put(key, value) -> None:
    """Store ``value`` under ``key`` (atomically: a reader sees the old file, the new one or none). A full or
    read-only disk only means the entry is not kept: the app works without it."""
    root = directory()
    if root is None:
        return
    tmp = None
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=root, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump((repr(key), value), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, _path(root, key))
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def prune() -> int:
    """Delete entries of other code versions (and stray temporary files); returns how many."""
    root = directory()
    if root is None or not root.is_dir():
        return 0
    gone = 0
    for path in root.iterdir():
        if path.suffix == ".tmp" or (path.suffix == ".pkl" and not path.name.startswith(version() + "-")):
            path.unlink(missing_ok=True)
            gone += 1
    return gone

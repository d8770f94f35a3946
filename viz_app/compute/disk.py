"""The lecture's runs and recordings kept on disk between server starts, so the first student after a restart does not
wait for training (`python -m viz_app.compute.warmup` fills it before the class).

Entries are keyed by the cache key of viz_app/compute/runs.py (a frozen RunConfig and what was recorded) and by the code
version: a hash of the engine's source, torch's, numpy's and Python's versions. Same key and version, same bits (the
training is deterministic on CPU: tests/test_determinism.py); another version never matches. Only what the server
computed itself goes in (never an upload): the lecture's configurations (runs.py decides which) and whatever the
warm-up command computes. Files are pickles written by this process into a directory only its user can read or
write (like Streamlit's own `persist="disk"` cache); one that does not load is deleted and recomputed.

The disk is the lecturer's: the entries of this code version together stay under ``RNN_VIZ_CACHE_MB`` (default
MAX_MB). Past it the least recently used entries go first, never a pinned one: the lecture's own runs and their
default recordings, and everything the warm-up prepared (students' links that only move a view's own position, a
window or rho, make new recordings: those are the ones that go).

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
MAX_MB = 2048  # default cap of the disk cache (a full warm-up of every scenario and view takes about a tenth of it)


def cap_bytes() -> int:
    """The cap of this code version's entries together, in bytes (RNN_VIZ_CACHE_MB, else MAX_MB)."""
    try:
        return max(1, int(os.environ.get("RNN_VIZ_CACHE_MB", MAX_MB))) * 2 ** 20
    except ValueError:
        return MAX_MB * 2 ** 20


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


PINNED = "pin"  # the name's mark of a pinned entry: {version}-pin-{hash}.pkl


def _path(root: Path, key, pinned: bool) -> Path:
    mark = f"{PINNED}-" if pinned else ""
    return root / f"{version()}-{mark}{hashlib.sha256(repr(key).encode()).hexdigest()[:32]}.pkl"


def get(key) -> tuple[object, int] | None:
    """(the stored value of ``key`` for this code version, its size in bytes), or None. A hit counts as a use (the
    file's modification time: the least recently used go first)."""
    root = directory()
    if root is None:
        return None
    for pinned in (True, False):
        path = _path(root, key, pinned)
        try:
            with open(path, "rb") as f:
                stored_key, value = pickle.load(f)
                size = f.tell()
        except FileNotFoundError:
            continue
        except Exception:  # a partial or foreign file: gone, and computed again
            path.unlink(missing_ok=True)
            return None
        if stored_key != repr(key):
            return None
        try:
            os.utime(path)
        except OSError:
            pass
        return value, size
    return None


def put(key, value, *, pinned: bool = False) -> None:
    """Store ``value`` under ``key`` (atomically: a reader sees the old file, the new one or none), then keep the
    cache under its cap. ``pinned``: never evicted (the lecture's runs). A full or read-only disk only means the
    entry is not kept: the app works without it."""
    root = directory()
    if root is None:
        return
    tmp = None
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=root, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump((repr(key), value), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, _path(root, key, pinned))
        tmp = None
        _path(root, key, not pinned).unlink(missing_ok=True)  # one file per key
        evict(root)
    except OSError:
        pass
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def evict(root: Path) -> int:
    """Delete this version's least recently used unpinned entries until all of its entries fit the cap; returns how
    many went."""
    entries = []
    for path in root.glob(f"{version()}-*.pkl"):
        try:
            stat = path.stat()
        except OSError:
            continue
        entries.append((stat.st_mtime, stat.st_size, path))
    total, gone = sum(size for _, size, _ in entries), 0
    for _, size, path in sorted(e for e in entries if not e[2].name.startswith(f"{version()}-{PINNED}-")):
        if total <= cap_bytes():
            break
        path.unlink(missing_ok=True)
        total -= size
        gone += 1
    return gone


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

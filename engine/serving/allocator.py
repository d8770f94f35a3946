"""Hand freed memory back to the operating system after a run.

glibc keeps what a run freed (activations, temporaries) in its heap for reuse: after training an LSTM H=128 x 3
layers on batch 256, 3.8 GB stayed resident in a process that held nothing of it any more, 356 MB after
``malloc_trim(0)``. Called by engine.experiment after a training and after a recording (record() and train()
themselves hold no memory policy); a no-op where the C library is not glibc.

A trim has a price: the next run's temporaries fault their pages in again (recording an LSTM H=64, T=100, B=32 took
26 ms after a trim, 17 ms on a warm heap). So the heap is trimmed only when it holds more than ``KEEP`` bytes free
(``mallinfo2``, every arena): a small run's few tens of MB stay for the next one, a large run's are handed back.
"""
from __future__ import annotations

import ctypes

KEEP = 64 * 2 ** 20  # free heap bytes a process may keep between runs


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                     "fsmblks", "uordblks", "fordblks", "keepcost")]


try:
    _LIBC = ctypes.CDLL("libc.so.6")
    _TRIM = _LIBC.malloc_trim
    _INFO = _LIBC.mallinfo2
    _INFO.restype = _MallInfo2
except (OSError, AttributeError):  # not glibc (or older than 2.33): nothing to trim
    _TRIM = _INFO = None


def free_bytes() -> int:
    """Bytes free in the heap's chunks, over every arena (0 where unknown)."""
    return int(_INFO().fordblks) if _INFO is not None else 0


def release() -> None:
    """Return the free parts of the heap (and of the threads' arenas) to the operating system, when they are more
    than KEEP bytes."""
    if _TRIM is not None and free_bytes() > KEEP:
        _TRIM(0)

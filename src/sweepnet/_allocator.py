"""Keep the C heap from shrinking and regrowing on every training step.

A training step allocates and frees temporaries of a few hundred kilobytes
(activations, gradients). glibc returns freed memory at the top of the heap to
the operating system and faults it back in on the next step; in the mini-batch
benchmark (``benchmarks/``) that page-faulting doubled the time per epoch.
Asking glibc to keep 64 MiB of padding (``mallopt(M_TOP_PAD)``, the knob behind
the ``MALLOC_TOP_PAD_`` environment variable) removes it. It is process-wide,
costs at most that much resident memory, and is skipped on other C libraries
or when ``SWEEPNET_MALLOC_TOP_PAD=0``.

It is an explicit opt-in: the library (``Trainer.fit``, the engine) never calls
it, since a library must not change process-wide settings. The ``sweepnet``
command and the benchmarks (``benchmarks/engine.py``) apply it at start-up; a
script of your own can call :func:`keep_heap_padding` once before training.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TOP_PAD = -2  # from glibc's malloc.h
DEFAULT_PAD = 64 << 20

_applied = False


def keep_heap_padding() -> bool:
    """Apply the padding once per process; return whether glibc accepted it."""
    global _applied
    if _applied:
        return True
    try:
        pad = int(os.environ.get("SWEEPNET_MALLOC_TOP_PAD", DEFAULT_PAD))
    except ValueError:  # a tuning knob must never stop training
        pad = DEFAULT_PAD
    if pad <= 0 or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    _applied = bool(mallopt(M_TOP_PAD, pad))
    return _applied

"""Ctrl-C and SIGTERM while jobs train: stop at the end of the epoch, keep everything.

The first SIGINT or SIGTERM (what a terminal, ``timeout`` or a cluster
scheduler sends) asks the training to stop where every run's state is whole:
:class:`~sweepnet.runner.observers.StopAtEpochEnd` raises it at the end of the
epoch, or before the next stack starts, and the pipeline then writes each run's
epochs, weights and checkpoint. A second one stops at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .observers import StopAtEpochEnd


class Terminated(KeyboardInterrupt):
    """SIGTERM (what a cluster scheduler sends before it kills a job), handled like Ctrl-C."""


@contextmanager
def stop_at_epoch_end(stop: StopAtEpochEnd) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM set ``stop.requested`` (a second one raises)."""

    def request(signum, frame):
        error = Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
        if stop.requested is not None:
            raise error
        stop.requested = error

    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only (sweepnet.sweep() from another thread)
        return
    previous = {s: signal.signal(s, request) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

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


class Preempted(Terminated):
    """The scheduler's warning before a preemption or a time limit (submitit's signal,
    SIGUSR2 by default): handled like SIGTERM, then the task is requeued
    (:mod:`sweepnet.runner.distributed`)."""


@contextmanager
def stop_at_epoch_end(stop: StopAtEpochEnd, preempt: int | None = None) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM (and ``preempt``, a signal that warns of a
    preemption) set ``stop.requested`` (a second one raises)."""

    def request(signum, frame):
        error = Preempted() if signum == preempt else Terminated() \
            if signum == signal.SIGTERM else KeyboardInterrupt()
        if stop.requested is not None:
            raise error
        stop.requested = error

    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only (sweepnet.sweep() from another thread)
        return
    signals = (signal.SIGINT, signal.SIGTERM) + (() if preempt is None else (preempt,))
    previous = {s: signal.signal(s, request) for s in signals}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

"""Ctrl-C and SIGTERM while jobs train: stop at the end of the epoch, keep everything.

The first SIGINT or SIGTERM (what a terminal, ``timeout`` or a cluster
scheduler sends) asks the training to stop where every run's state is whole:
:class:`~sweepnet.runner.observers.StopAtEpochEnd` raises it at the end of the
epoch, or before the next stack starts, and the pipeline then writes each run's
epochs, weights and checkpoint. A second one stops at once.

Before training (composing and checking a sweep's jobs) nothing is written, so
an interrupt stops at once too, but only where sweepnet's own code runs:
raised inside Hydra or OmegaConf, it could leave their objects half-changed
and surface as an unrelated error (:class:`between_library_calls`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .observers import StopAtEpochEnd

PACKAGE = os.path.join(str(Path(__file__).resolve().parents[1]), "")  # sweepnet's own files
RECHECK_S = 0.05  # how often a held interrupt looks for sweepnet's code again


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



def _depth(frame) -> int:
    depth = 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


class between_library_calls:  # noqa: N801 - a context manager, named like contextlib's
    """While inside, SIGINT and SIGTERM raise (``KeyboardInterrupt``, :class:`Terminated`)
    as soon as the code running is sweepnet's own: every frame entered since the
    ``with`` is in sweepnet's package. Otherwise (inside Hydra, OmegaConf, pandas,
    a file read) the interrupt is held, looked for again every ``RECHECK_S``
    seconds (SIGALRM), and raised at the latest when the ``with`` ends."""

    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)

    def __enter__(self) -> None:
        self.held: list[KeyboardInterrupt] = []
        self.previous: dict = {}
        self.switching = True  # while handlers change hands, an interrupt is only held
        if threading.current_thread() is threading.main_thread():
            self.base = _depth(sys._getframe(1))  # the frame of the ``with``
            self.timer = signal.setitimer(signal.ITIMER_REAL, 0)  # a caller's alarm, paused
            for signum in self.signals:
                self.previous[signum] = signal.signal(signum, self._request)
        self.switching = False

    def _ours(self, frame) -> bool:
        for _ in range(_depth(frame) - self.base):
            if not os.path.realpath(frame.f_code.co_filename).startswith(PACKAGE):
                return False
            frame = frame.f_back
        return True

    def _request(self, signum, frame) -> None:
        if signum != signal.SIGALRM:
            self.held[:] = [Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()]
        if self.switching:
            return
        if self.held and self._ours(frame):
            raise self.held.pop()
        if self.held:
            signal.setitimer(signal.ITIMER_REAL, RECHECK_S)

    def __exit__(self, *exc) -> None:
        self.switching = True
        if self.previous:
            signal.setitimer(signal.ITIMER_REAL, 0)
            for signum, handler in self.previous.items():
                signal.signal(signum, handler)
            if self.timer[0] > 0:  # the caller's alarm goes on
                signal.setitimer(signal.ITIMER_REAL, *self.timer)
        if self.held:
            raise self.held.pop()

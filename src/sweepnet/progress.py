"""One progress line on stderr for long work the user waits on (checking a sweep's jobs),
and durations as people read them.

Quiet when the work is short: nothing is printed before ``delay`` seconds have
passed. On a terminal the line is rewritten in place; in a log file (a batch
job's output) a new line is written at most every ``every`` seconds, so logs
stay short.
"""

from __future__ import annotations

import sys
import time

#: the units a duration is shown in, with how many seconds each holds
UNITS = (("days", 86_400.0), ("hours", 3_600.0), ("minutes", 60.0))


def duration(seconds: float) -> str:
    """``seconds`` in the unit that reads best: ``0.4 s``, ``45 s``, ``3.5 minutes``,
    ``2.1 hours``, ``3.2 days`` (a unit once there are two of it; two significant
    digits below ten)."""
    for unit, size in UNITS:
        if seconds >= 2 * size:
            value = seconds / size
            return f"{value:.1f} {unit}" if value < 10 else f"{value:,.0f} {unit}"
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"


class Progress:
    """``Progress("checking", total)``: :meth:`update` with the count done, then :meth:`close`."""

    def __init__(self, what: str, total: int, delay: float = 2.0, every: float = 10.0,
                 stream=None) -> None:
        self.what, self.total, self.delay, self.every = what, total, delay, every
        self.stream = sys.stderr if stream is None else stream
        self.start = time.perf_counter()
        self.last: float | None = None  # when a line was last shown
        self.done = 0  # for callers that count as they go
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def line(self, done: int, elapsed: float, detail: str = "") -> str:
        left = ""
        if 0 < done < self.total:
            left = f", about {duration(elapsed / done * (self.total - done))} left"
        detail = f"{detail}, " if detail else ""
        text = f"sweepnet: {self.what} {done}/{self.total} ({detail}{duration(elapsed)}{left})"
        return text.ljust(72) if self.tty else text  # covers a longer line shown before

    def update(self, done: int, detail: str = "") -> None:
        now = time.perf_counter()
        elapsed = now - self.start
        if elapsed < self.delay:
            return
        if self.last is not None and now - self.last < (0.2 if self.tty else self.every):
            return
        self.last = now
        end = "\r" if self.tty else "\n"
        print(self.line(done, elapsed, detail), end=end, file=self.stream, flush=True)

    def close(self, done: int | None = None) -> None:
        """End the line (only if one was shown) with the count done (all, by default:
        less when the work was stopped) and the time."""
        if self.last is not None:
            print(self.line(self.total if done is None else done,
                            time.perf_counter() - self.start), file=self.stream, flush=True)

"""Snapshots: a network's weights kept at chosen epochs while it trains.

A plateau is known only after a run has left it (or ended on it), so by
default (``"log"``) a trainer keeps its weights at a cheap log-spaced set of
epochs, :data:`PER_DECADE` per decade (1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25,
32, 40, 50, 63, 79, 100, 126, ...: 28 up to epoch 1000), and a figure draws the
one nearest the middle of a plateau. A snapshot at epoch ``e`` holds the weights
after that epoch's last update: the network a run trained for ``e`` epochs ends
with. In a stack every model keeps its own.

The middle of a plateau from epoch ``s`` to ``e`` is taken on the learning-rate
time axis (``τ ∝ epoch - ½``, :mod:`sweepnet.analysis.curves`), where plateaus
are measured: the geometric mean ``½ + sqrt((s - ½)(e - ½))``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

#: snapshots per decade of epochs with ``"log"``
PER_DECADE = 10
#: the log-spaced epochs, up to ten million
LOG_EPOCHS = frozenset(round(10 ** (k / PER_DECADE)) for k in range(7 * PER_DECADE + 1))


class Snapshots:
    """Which epochs a trainer keeps its weights at.

    Parameters
    ----------
    epochs : "log" or iterable of int
        ``"log"``: the log-spaced :data:`LOG_EPOCHS`; or the epochs themselves
        (positive integers).
    """

    def __init__(self, epochs: str | Iterable[int] = "log") -> None:
        if isinstance(epochs, str):
            if epochs != "log":
                raise ValueError(f"snapshots must be 'log' or a list of epochs, got {epochs!r}")
            self.epochs = LOG_EPOCHS
            self.name = "log"
            return
        chosen = list(epochs)
        if not chosen or any(isinstance(e, bool) or not isinstance(e, int) or e < 1
                             for e in chosen):
            raise ValueError(f"snapshots must be 'log' or a non-empty list of epochs "
                             f"(positive integers), got {chosen!r}")
        self.epochs = frozenset(chosen)
        self.name = sorted(self.epochs)

    def __contains__(self, epoch: int) -> bool:
        return epoch in self.epochs

    def count(self, epochs: int) -> int:
        """How many snapshots a fit of ``epochs`` epochs keeps."""
        return sum(1 for e in self.epochs if e <= epochs)

    def __repr__(self) -> str:
        return f"Snapshots({self.name!r})"


def plateau_middle(start: float, end: float) -> float:
    """The middle of the epochs ``start .. end`` on the time axis (module docstring)."""
    return 0.5 + math.sqrt((start - 0.5) * (end - 0.5))


def nearest(epochs: Iterable[int], target: float) -> int | None:
    """The epoch of ``epochs`` nearest ``target`` on a log scale (None when there is none)."""
    epochs = list(epochs)
    if not epochs:
        return None
    return min(epochs, key=lambda e: (abs(math.log((e - 0.5) / (target - 0.5))), e))


__all__ = ["LOG_EPOCHS", "PER_DECADE", "Snapshots", "nearest", "plateau_middle"]

"""Learning-rate schedules, as scikit-learn's ``MLPClassifier(learning_rate=...)``.

The rate an optimizer uses changes only between epochs, after the epoch's row
is recorded and early stopping has counted it, with ``lr0`` the optimizer's
rate when training started and ``t`` the samples trained on so far (every
epoch adds the number of training samples):

- ``constant``: ``lr0`` throughout.
- ``invscaling``: ``lr = lr0 / (t + 1) ** power_t`` after every epoch.
- ``adaptive``: ``lr0`` until the stopping rule fires (:mod:`sweepnet.stopping`,
  which it needs); then, unless ``lr <= 1e-6`` already (training stops),
  ``lr /= 5`` and the stopping count starts again.

A stack of models (:mod:`sweepnet.stacking`) applies each model's schedule to
its own rate.
"""

from __future__ import annotations

import math

SCHEDULES = ("constant", "invscaling", "adaptive")


class Schedule:
    """One of :data:`SCHEDULES` (see the module docstring).

    Parameters
    ----------
    name : {"constant", "invscaling", "adaptive"}, default="constant"
    power_t : float, default=0.5
        The exponent of ``invscaling``.
    """

    #: ``adaptive``: the divisor of the rate, and the rate at or below which it stops
    factor, min_lr = 5.0, 1e-6

    def __init__(self, name: str = "constant", power_t: float = 0.5) -> None:
        if name not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {name!r}")
        try:
            power_t = float(power_t)
        except (TypeError, ValueError):
            raise ValueError(f"power_t must be a number, got {power_t!r}") from None
        if not math.isfinite(power_t) or power_t < 0:
            raise ValueError(f"power_t must be a finite number >= 0, got {power_t}")
        self.name, self.power_t = name, power_t

    @property
    def constant(self) -> bool:
        return self.name == "constant"

    def after_epoch(self, lr0: float, lr: float, seen: int) -> float:
        """The rate of the next epoch, ``seen`` samples trained on so far."""
        if self.name == "invscaling":
            return float(lr0) / (seen + 1) ** self.power_t
        return lr

    def on_stop(self, lr: float) -> float | None:
        """When the stopping rule fires: the smaller rate to go on with (``adaptive``), or
        None: stop."""
        if self.name != "adaptive" or lr <= self.min_lr:
            return None
        return lr / self.factor

    def key(self) -> tuple:
        """What stacked models must share (the code path and ``power_t``)."""
        return (self.name, self.power_t if self.name == "invscaling" else None)

    def __repr__(self) -> str:
        extra = f", power_t={self.power_t:g}" if self.name == "invscaling" else ""
        return f"Schedule({self.name!r}{extra})"


__all__ = ["SCHEDULES", "Schedule"]

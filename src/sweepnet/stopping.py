"""Early stopping by scikit-learn's rule (``tol``, ``n_iter_no_change``).

After every epoch, an epoch that does not improve the best value so far by
more than ``tol`` counts as "no change"; an improving one resets the count.
Training stops when the count exceeds ``n_iter_no_change``. On the training
loss (``monitor="loss"``): no change when ``loss > best_loss - tol``. On the
validation accuracy (``monitor="val_accuracy"``, scikit-learn's
``early_stopping=True``): no change when ``score < best_score + tol``, and
the weights of the best epoch are put back when it stops; on the validation
loss (``monitor="val_loss"``, a regressor's held-out data) likewise, lower
being better. The same epoch as
``MLPClassifier(tol=..., n_iter_no_change=...)`` (``tests/test_estimator.py``).
"""

from __future__ import annotations

import math

MONITORS = ("loss", "val_accuracy", "val_loss")
#: the monitors whose value is better lower
LOWER_IS_BETTER = ("loss", "val_loss")


class EarlyStopping:
    """scikit-learn's stopping rule, for :class:`~sweepnet.training.Trainer`.

    Parameters
    ----------
    tol : float, default=1e-4
    n_iter_no_change : int, default=10
    monitor : {"loss", "val_accuracy", "val_loss"}, default="loss"
        ``val_accuracy`` and ``val_loss`` need validation data in ``Trainer.fit``.
    """

    def __init__(self, tol: float = 1e-4, n_iter_no_change: int = 10,
                 monitor: str = "loss") -> None:
        if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol >= 0:
            raise ValueError(f"tol must be a number >= 0, got {tol!r}")
        if isinstance(n_iter_no_change, bool) or not isinstance(n_iter_no_change, int) \
                or n_iter_no_change < 1:
            raise ValueError(f"n_iter_no_change must be a positive integer, got "
                             f"{n_iter_no_change!r}")
        if monitor not in MONITORS:
            raise ValueError(f"monitor must be one of {MONITORS}, got {monitor!r}")
        self.tol, self.n_iter_no_change, self.monitor = float(tol), n_iter_no_change, monitor
        self.reset()

    @property
    def keeps_best(self) -> bool:
        """Whether the best epoch's weights are put back on stopping (a validation monitor:
        scikit-learn's ``early_stopping=True``); the training loop keeps them."""
        return self.monitor != "loss"

    def reset(self) -> None:
        """Forget the best value and the count (at the start of a fresh ``fit``; a
        continued one goes on counting, as scikit-learn's ``warm_start``)."""
        self.best = math.inf if self.monitor in LOWER_IS_BETTER else -math.inf
        self.count = 0
        self.improved = False  # whether the last epoch was the best so far
        #: the best epoch's weights, layer by layer, when they are kept (the training
        #: loop stores them: :attr:`keeps_best`)
        self.best_params: list[dict] | None = None

    def update(self, row: dict) -> str | None:
        """Take an epoch's row; return why training stops now, or None."""
        if self.monitor not in row:
            raise ValueError(f"early stopping on {self.monitor} needs validation data"
                             + (" with class labels" if self.monitor == "val_accuracy" else ""))
        value = float(row[self.monitor])
        if self.monitor in LOWER_IS_BETTER:
            self.count = self.count + 1 if value > self.best - self.tol else 0
            self.improved = value < self.best
            self.best = min(self.best, value)
        else:
            self.count = self.count + 1 if value < self.best + self.tol else 0
            self.improved = value > self.best
            if self.improved:
                self.best = value
        if self.count <= self.n_iter_no_change:
            return None
        what = {"loss": "training loss", "val_loss": "validation loss"}.get(
            self.monitor, "validation accuracy")
        return (f"the {what} did not improve by more than tol={self.tol:g} for "
                f"{self.n_iter_no_change + 1} epochs")

    def __repr__(self) -> str:
        return (f"EarlyStopping(tol={self.tol:g}, n_iter_no_change={self.n_iter_no_change}, "
                f"monitor={self.monitor!r})")

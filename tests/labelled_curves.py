"""A labelled set of loss curves: where their plateaus are, and how they end.

Synthetic curves are built on the log-time axis ``u = ln τ`` from smooth drops
``d · S((u_i - u) / w)`` (``S`` the logistic function), so their plateaus are
known: between two drops the loss is flat at ``end level + later drops``; it
is labelled from ``3 w`` after one drop to ``3 w`` before the next (where less
than 5% of a drop is left to fall). Mini-batch noise, period-2 oscillation and
several learning rates (slicing the same ``τ`` curve) are added on top.

Real curves (``data/real_curves.csv.gz``) are histories of sweepnet runs whose
truth was read off their ``lr × epoch`` plot (loss against ``τ``, both log):

* ``lr_sweep_lr*`` (``sweepnet experiment=lr_sweep``): every learning rate
  passes through the shoulder at 0.27-0.29 that spans ``τ`` 20-80 and leaves it
  near 100, then converges to about 0.084;
* ``default_start_lr*`` (``sweepnet experiment=lr_sweep seed=0
  dataset.split.test_size=0.2 baseline=null``): lr <= 1 flatten from ``τ`` about
  15 and end on the 0.25 plateau; lr 2 leaves it by a catapult (``τ`` 120-200)
  and converges near 0.09;
* ``tutorial_003_deep`` (``sweepnet experiment=tutorial_003_deep``): constant
  output, flat at ln 2 from its first epoch;
* ``lr_sweep_batch32_lr*`` (``experiment=lr_sweep trainer.batch_size=32
  baseline=null``, 32 updates per epoch): at lr 0.1 the same shoulder at ``τ``
  20-80; at lr 0.5 an epoch spans ``τ`` 16, so the shoulder lies inside its first
  five epochs and no curve of epochs can show it: labelled without plateau.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).parent / "data"
LN2 = math.log(2)


@dataclass(frozen=True)
class Plateau:
    """A labelled plateau: τ from ``start`` to ``end`` (``None``: the run's end) at ``level``."""

    start: float
    end: float | None
    level: float
    escaped: bool


@dataclass
class Curve:
    name: str
    loss: np.ndarray
    updates_per_epoch: int = 1
    effective_lr: float = 1.0
    plateaus: list[Plateau] = field(default_factory=list)
    ending: str = "converged"
    oscillating: bool = False
    levels: dict = field(default_factory=dict)  # trivial levels the run records
    start: str | None = None  # curves with one start judge each other
    stuck: bool = False

    def tau(self, epoch) -> np.ndarray:
        return self.effective_lr * self.updates_per_epoch * (np.asarray(epoch) - 0.5)


def _drops(tau: np.ndarray, end: float, drops: list[tuple[float, float, float]],
           onset: tuple[float, float] | None = None) -> np.ndarray:
    """``end + Σ d · S((ln t_i - ln τ) / w)`` for drops ``(d, t_i, w)``, plus an onset
    ``d₀ exp(-τ / t₀)`` for ``onset = (d₀, t₀)``: gradient descent moves at once."""
    u = np.log(tau)
    loss = np.full_like(u, end)
    for d, t, w in drops:
        loss += d / (1 + np.exp(-(math.log(t) - u) / w))
    if onset is not None:
        loss += onset[0] * np.exp(-tau / onset[1])
    return loss


def _tau(epochs: int, lr: float, k: int = 1) -> np.ndarray:
    return lr * k * (np.arange(1, epochs + 1) - 0.5)


def _between(first: tuple, second: tuple, level: float) -> Plateau:
    """The labelled plateau between two drops ``(d, t, w)``, or an onset ``(d₀, t₀)`` and a
    drop (from ``3 t₀``, where 5% of the onset is left)."""
    start = first[1] * (math.exp(3 * first[2]) if len(first) == 3 else 3)
    return Plateau(start, second[1] * math.exp(-3 * second[2]), level, True)


ONSET, TWO = (0.45, 1.5), [(0.3, 300.0, 0.3)]  # a plateau at 0.35 from τ 4.5 to 122
THREE_ONSET, THREE = (0.3, 1.0), [(0.2, 60.0, 0.3), (0.15, 3000.0, 0.3)]


def synthetic() -> list[Curve]:
    """The synthetic curves, each with its label."""
    rng = np.random.default_rng(0)
    curves = []
    two_plateau = _between(ONSET, TWO[0], level=0.05 + 0.3)
    for lr in (0.001, 0.05, 0.2, 1.0, 2.0):  # the same τ curve sliced by five learning rates
        epochs = int(3000 / lr)
        curves.append(Curve(f"two_drops_lr{lr}", _drops(_tau(epochs, lr), 0.05, TWO, ONSET), 1,
                            lr, [two_plateau]))
    three = _drops(_tau(100_000, 0.2), 0.02, THREE, THREE_ONSET)
    curves.append(Curve("three_drops", three, 1, 0.2,
                        [_between(THREE_ONSET, THREE[0], 0.02 + 0.35),
                         _between(THREE[0], THREE[1], 0.02 + 0.15)]))
    noisy = _drops(_tau(2000, 0.1, 20), 0.05, TWO, ONSET)
    noisy = noisy * (1 + 0.02 * rng.standard_normal(noisy.size))
    curves.append(Curve("two_drops_minibatch_noise", noisy, 20, 0.1, [two_plateau]))
    wobbly = _drops(_tau(6000, 0.5), 0.05, TWO, ONSET)
    sign = (-1.0) ** np.arange(wobbly.size)
    wobbly = wobbly * (1 + np.where(np.arange(wobbly.size) > 1500, 0.02 * sign, 0.0))
    curves.append(Curve("two_drops_period_2", wobbly, 1, 0.5, [two_plateau],
                        oscillating=True))
    saddle = [(0.6, 50.0, 0.2)]  # small initial weights: flat at ln 2, then escape
    start = _drops(_tau(2000, 0.5), LN2 - 0.6, saddle)
    curves.append(Curve("flat_from_start_then_escape", start, 1, 0.5,
                        [Plateau(0.25, 50 * math.exp(-0.6), LN2, True)],
                        levels={"constant": LN2}))
    flat = LN2 - 1e-6 * np.log1p(np.arange(1000))
    curves.append(Curve("constant_output", flat, 1, 1.0, [Plateau(0.5, None, LN2, False)],
                        ending="plateau", levels={"constant": LN2}, stuck=True))
    # one start, two budgets of lr: the small lr ends on the plateau the large one leaves
    stuck = _drops(_tau(200, 0.5), 0.05, TWO, ONSET)  # ends at τ 100, before the second drop
    curves.append(Curve("ends_on_plateau", stuck, 1, 0.5,
                        [Plateau(two_plateau.start, None, 0.35, False)], ending="plateau",
                        start="two", stuck=True))
    curves.append(Curve("escapes_from_the_same_start", _drops(_tau(3000, 1.0), 0.05, TWO, ONSET),
                        1, 1.0, [two_plateau], start="two"))
    curves.append(Curve("ends_on_plateau_alone", stuck, 1, 0.5, []))  # no reference: converged
    for name, loss in pure_convergence(rng).items():
        curves.append(Curve(name, loss, 1, 0.5))
    return curves


def pure_convergence(rng) -> dict[str, np.ndarray]:
    """Curves with no plateau: an approach to a minimum and nothing else."""
    tau = _tau(4000, 0.5)
    exponential = 0.1 + 0.6 * np.exp(-tau / 20)
    return {
        "exponential_approach": exponential,
        "power_law": 0.6 * (1 + tau) ** -0.5,
        "one_drop": _drops(tau, 0.08, [], (0.6, 5.0)),
        "exponential_minibatch_noise": exponential * (1 + 0.03 * rng.standard_normal(tau.size)),
        "to_zero": 0.7 * np.exp(-tau / 5),  # separable data: the loss goes to 0
    }


REAL_LABELS = {  # name: (updates per epoch, effective lr, plateaus, ending, start, stuck)
    **{f"lr_sweep_lr{lr}": (1, lr, [Plateau(20, 80, 0.28, True)], "converged", "lr_sweep",
                            False) for lr in ("2", "1", "0.5", "0.3", "0.2", "0.1")},
    "default_start_lr2": (1, 2, [Plateau(15, 150, 0.27, True)], "converged", "default", False),
    **{f"default_start_lr{lr}": (1, lr, [Plateau(15, None, 0.25, False)], "plateau", "default",
                                 True) for lr in ("1", "0.5", "0.3", "0.2", "0.1")},
    "tutorial_003_deep": (1, 1, [Plateau(0.5, None, LN2, False)], "plateau", None, True),
    "lr_sweep_batch32_lr0.1": (32, 0.1, [Plateau(20, 80, 0.28, True)], "converged", "batch32",
                               False),
    "lr_sweep_batch32_lr0.5": (32, 0.5, [], "converged", "batch32", False),
}
OSCILLATING = {"lr_sweep_lr2"}


def real() -> list[Curve]:
    """The real curves, each with its label."""
    frame = pd.read_csv(DATA / "real_curves.csv.gz")
    curves = []
    for name, run in frame.groupby("curve", sort=False):
        k, lr, plateaus, ending, start, stuck = REAL_LABELS[name]
        levels = {"constant": LN2} if name == "tutorial_003_deep" else {}
        curves.append(Curve(name, run.sort_values("epoch")["loss"].to_numpy(), k, float(lr),
                            plateaus, ending, name in OSCILLATING, levels, start, stuck))
    return curves

"""Reading loss curves: plateaus, convergence, oscillation, divergence; and the stuck verdict.

Functions take a run's per-epoch training loss (epoch 1 first) and speak in
1-based epochs, like ``history.csv``. :class:`Rule` holds the parameters; the
"Reading a sweep" page of the docs (``docs/reading.md``) gives the reasons.

Time
    Gradient descent with step ``η`` for ``k`` updates moves about as far as
    gradient flow ``dθ/dτ = -∇L`` in time ``τ = η k``: curves from one start at
    different learning rates fall on one another against ``τ`` (``lr × epoch``
    for full-batch descent; ``η = lr / (1 - momentum)`` with momentum, see
    :attr:`sweepnet.Optimizer.effective_lr`). Epoch ``e`` is placed at the
    middle of its updates, ``τ_e = η k (e - ½)``. Everything below is measured
    on ``ln τ``, where a constant factor (the learning rate, the updates per
    epoch) is a shift: how a curve is read does not depend on how finely a
    learning rate slices it. Under a learning-rate schedule (``trainer.schedule``,
    the rate of each epoch in the history's ``lr`` column) time runs at each
    epoch's rate: ``τ_e = η k (r_1 + ... + r_{e-1} + r_e / 2)``, ``r = lr_e / lr_1``.
Level
    The losses are averaged in bins of equal width on ``ln τ``
    (:attr:`Rule.bins_per_decade`) and the running minimum of the bin means is
    the curve's *level*: mini-batch noise averages out, a period-2 oscillation
    counts as its mean, and a transient spike (a catapult at a large learning
    rate) is not progress undone.
Speed
    ``v = -dL / d ln τ``, the loss given up per e-fold of training time.
Flat
    A bin is flat when ``v < flat × (the fastest v before or after it)`` or
    ``v < still × level`` (nothing moves at all). Flat stretches separated by
    less than a clear drop (a fall of ``escape`` of the level) are one stretch.
    A flat stretch from the first epoch is the curve's onset, not a plateau,
    unless it is flat in ``τ`` too (:func:`_onset`).
Plateau and convergence
    A flat stretch over at least ``min_span`` (a factor of time) that the run
    leaves by a clear drop is an *escaped plateau*: the loss is flat compared
    with how it moves before and after. The flat stretch a run ends on is its
    end state: a plateau when the run is judged *stuck* there (:func:`judge`),
    otherwise *convergence*, which starts at the convergence epoch. The final
    approach to a minimum is never a plateau.
Stuck
    A run ending on a flat stretch is stuck when (a) its level sits at a
    trivial level of its own: at the loss of the best constant output (the
    labels' entropy, the targets' variance; within ``trivial_margin``), or
    above the loss of a linear model on the same data (for a network with a
    hidden layer, which can do at least as well; at that loss it may simply
    have converged, where a linear boundary is the best there is); or (b) a
    run from the same start (same data, architecture, loss and initial
    weights: only optimizer settings and budget differ) went below it by
    ``stuck_margin`` while still moving, not during its own final convergence.
    Runs from other starts never enter.
Oscillation
    A run oscillates when, over its last ``max(10, 20%)`` epochs, successive
    changes of the loss alternate in sign (their lag-1 correlation is below
    ``oscillation_correlation``; mini-batch noise gives about -0.5) and are
    larger than ``oscillation_amplitude`` of the loss.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Rule:
    """The parameters of the curve reading (module docstring), with their defaults."""

    bins_per_decade: int = 20
    flat: float = 0.25
    still: float = 0.01
    min_span: float = 2.0
    escape: float = 0.10
    trivial_margin: float = 0.02
    stuck_margin: float = 0.10
    oscillation_correlation: float = -0.75
    oscillation_amplitude: float = 1e-3
    explode: float = 10.0


RULE = Rule()

PLATEAU_COLUMNS = ["job", "start", "end", "length", "level", "escaped", "start_lr_time",
                   "end_lr_time"]
ANALYSIS_COLUMNS = ["ending", "convergence_epoch", "n_plateaus", "longest_plateau", "stuck",
                    "stuck_reference", "stuck_reason", "oscillating", "diverged",
                    "diverged_epoch", "final_level", "escaped_epoch", "escaped_lr_time"]
#: the trivial levels a run records (``levels`` in result.json) and how verdicts name them
TRIVIAL_LEVELS = {"constant": "constant-output loss", "linear": "linear model's loss"}

ENDINGS = ("converged", "plateau", "descending", "unstable", "diverged")


@dataclass(frozen=True)
class Stretch:
    """A flat stretch of a curve: epochs ``start`` to ``end`` (inclusive) at ``level``."""

    start: int
    end: int
    level: float  # the median level over its bins
    end_level: float  # the level at its last bin
    escaped: bool = False

    @property
    def length(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class Bins:
    """A curve binned on ``ln τ`` (:func:`level_bins`), one array entry per bin."""

    first: np.ndarray  # its first and last epoch (1-based)
    last: np.ndarray
    time: np.ndarray  # its centre in updates (τ / η): the geometric mean of its epochs' times
    mean: np.ndarray  # the mean loss of its epochs
    level: np.ndarray  # the running minimum of the means
    speed: np.ndarray  # -d level / d ln τ

    def __len__(self) -> int:
        return self.level.size


@dataclass(frozen=True)
class Reading:
    """What one curve says on its own (:func:`read_curve`)."""

    epochs: int  # epochs with a finite loss
    bins: Bins
    plateaus: tuple[Stretch, ...] = ()  # left behind (escaped) or being left at the end
    final: Stretch | None = None  # the flat stretch the run ends on, if it ends flat
    unstable: bool = False  # ends clearly above the best level it reached
    oscillating: bool = False
    diverged_epoch: int | None = None

    @property
    def level(self) -> float:
        """The smoothed loss at the end (``nan`` without a finite loss)."""
        return float(self.bins.level[-1]) if len(self.bins) else math.nan

    def moving_below(self, level: float) -> int | None:
        """The first epoch whose level is below ``level`` outside the final flat stretch.

        A run that went below ``level`` while still moving (before its own
        convergence) shows that ``level`` can be left; ``None`` otherwise.
        """
        bins = self.bins
        moving = bins.last < self.final.start if self.final is not None else True
        below = np.flatnonzero(moving & (bins.level < level))
        return int(bins.first[below[0]]) if below.size else None


@dataclass(frozen=True)
class Verdict:
    """A run's verdicts (:func:`judge`): how it ends, whether it is stuck, and why."""

    ending: str  # one of ENDINGS
    stuck: bool
    reference: str  # what the stuck verdict compared with
    reason: str  # one sentence
    convergence_epoch: int | None
    plateaus: tuple[Stretch, ...] = field(default=())  # every plateau, the final one included
    oscillating: bool = False
    diverged_epoch: int | None = None
    level: float = math.nan

    def as_record(self) -> dict:
        """The verdict as ``result.json`` stores it."""
        return {"ending": self.ending, "stuck": self.stuck, "reference": self.reference,
                "reason": self.reason, "convergence_epoch": self.convergence_epoch,
                "oscillating": self.oscillating, "diverged_epoch": self.diverged_epoch,
                "plateaus": [{"start": p.start, "end": p.end, "level": p.level,
                              "escaped": p.escaped} for p in self.plateaus]}


# --------------------------------------------------------------------------- one curve


def divergence_epoch(loss, factor: float = RULE.explode) -> int | None:
    """The first epoch whose loss is not finite or exceeds ``factor`` times the first loss."""
    loss = np.asarray(loss, dtype=float)
    if loss.size == 0:
        return None
    limit = factor * abs(loss[0]) if np.isfinite(loss[0]) else np.inf
    bad = np.flatnonzero(~np.isfinite(loss) | (loss > limit))
    return int(bad[0] + 1) if bad.size else None


def epoch_times(epochs: int, updates_per_epoch: int = 1, lr=None) -> np.ndarray:
    """``τ_e / η`` for ``e = 1 .. epochs``, each epoch at the middle of its updates: ``k (e - ½)``,
    or under a schedule (``lr``, the rate of each epoch) the module docstring's sum."""
    if lr is None:
        return updates_per_epoch * (np.arange(1, epochs + 1) - 0.5)
    rate = np.asarray(lr, dtype=float)[:epochs] / float(lr[0])
    return updates_per_epoch * (np.cumsum(rate) - rate / 2)


def scheduled_lr(run: pd.DataFrame) -> np.ndarray | None:
    """The learning rate of each epoch of one run's history (in epoch order) when a schedule
    changed it (the ``lr`` column), else None (a constant rate)."""
    if "lr" not in run:
        return None
    lr = pd.to_numeric(run["lr"], errors="coerce").to_numpy(float)
    return lr if lr.size and np.isfinite(lr).all() and lr[0] > 0 else None


def level_bins(loss: np.ndarray, updates_per_epoch: int = 1, rule: Rule = RULE,
               lr=None) -> Bins:
    """The curve binned on ``ln τ``, its level and its speed (module docstring)."""
    if loss.size == 0:
        empty = np.array([])
        return Bins(empty.astype(int), empty.astype(int), empty, empty, empty, empty)
    log_time = np.log(epoch_times(loss.size, updates_per_epoch, lr))
    index = np.floor(rule.bins_per_decade * (log_time - log_time[0]) / np.log(10) + 1e-9)
    starts = np.flatnonzero(np.r_[True, np.diff(index) > 0])  # times ascend: bins are runs
    counts = np.diff(np.r_[starts, loss.size])
    centre = np.add.reduceat(log_time, starts) / counts
    mean = np.add.reduceat(loss, starts) / counts
    level = np.minimum.accumulate(mean)
    speed = -np.gradient(level, centre) if level.size > 1 else np.zeros(1)
    return Bins(starts + 1, starts + counts, np.exp(centre), mean, level, speed)


def _flat_runs(bins: Bins, rule: Rule) -> list[tuple[int, int]]:
    """Runs of flat bins ``(first, last)`` (bin positions, inclusive), merged across small drops."""
    speed, level = bins.speed, bins.level
    before = np.maximum.accumulate(speed)
    after = np.append(np.maximum.accumulate(speed[:0:-1])[::-1], 0.0)  # fastest strictly later
    flat = (speed < rule.flat * np.maximum(before, after)) | (speed < rule.still * np.abs(level))
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flat.astype(int), [0]])))
    runs: list[tuple[int, int]] = []
    for first, stop in zip(edges[::2], edges[1::2]):
        if runs and level[first] > level[runs[-1][1]] * (1 - rule.escape):
            runs[-1] = (runs[-1][0], stop - 1)  # no clear drop between: one stretch
        else:
            runs.append((first, stop - 1))
    return runs


def _onset(bins: Bins, last: int, rule: Rule) -> bool:
    """Whether a flat stretch from the first bin to ``last`` is only the curve's onset.

    On ``ln τ`` every curve starts flat (``v = τ |∇L|²`` vanishes with ``τ``), the
    more of it the smaller the learning rate. A plateau at the start is flat in
    ``τ`` itself: its slope ``-dL/dτ = |∇L|²`` is small compared with the descent
    that follows; an onset descends as steeply as anything after it.
    """
    times, level = bins.time, bins.level
    slope = (level[0] - level[last]) / (times[last] - times[0])
    later = -np.diff(level[last:]) / np.diff(times[last:])
    return bool(later.size and slope >= rule.flat * later.max())


def _stretch(bins: Bins, first: int, last: int, escaped: bool = False) -> Stretch:
    levels = bins.level[first:last + 1]
    return Stretch(int(bins.first[first]), int(bins.last[last]),
                   float(np.median(levels)), float(levels[-1]), escaped)


def _oscillating(loss: np.ndarray, rule: Rule) -> bool:
    tail = loss[-max(10, loss.size // 5):]
    steps = np.diff(tail)
    if steps.size < 3 or not np.all(np.isfinite(tail)):
        return False
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # huge finite losses
        correlation = np.corrcoef(steps[1:], steps[:-1])[0, 1]
        amplitude = np.median(np.abs(steps) / np.abs(tail[:-1]))
    return bool(correlation < rule.oscillation_correlation
                and amplitude > rule.oscillation_amplitude)


def read_curve(loss, updates_per_epoch: int = 1, rule: Rule = RULE, lr=None) -> Reading:
    """Read one training-loss curve on its own (module docstring); ``lr``: the rate of each
    epoch when a schedule changed it (:func:`scheduled_lr`)."""
    loss = np.asarray(loss, dtype=float)
    diverged = divergence_epoch(loss, rule.explode)
    finite = np.isfinite(loss)
    n = loss.size if finite.all() else int(np.argmin(finite))  # up to the first non-finite
    loss = loss[:n]
    bins = level_bins(loss, updates_per_epoch, rule, lr)
    if n == 0:
        return Reading(0, bins, diverged_epoch=diverged)
    times = bins.time
    runs = _flat_runs(bins, rule)
    final = None
    if runs and runs[-1][1] == len(bins) - 1:
        final = runs.pop()
    if final is not None and final[0] > 0 and times[-1] / times[final[0]] < rule.min_span:
        final = None  # flat for too short a time to tell: still descending
    level = bins.level
    plateaus = []
    for first, last in runs:
        if times[last] / times[first] < rule.min_span or (first == 0 and _onset(bins, last, rule)):
            continue
        later = level[last + 1:]
        escaped = bool(later.size and later.min() < level[last] * (1 - rule.escape))
        plateaus.append(_stretch(bins, first, last, escaped))
    if final is not None:  # a run stays where it ends: its end level is the stretch's level
        final = _stretch(bins, *final)
        final = Stretch(final.start, final.end, final.end_level, final.end_level)
    unstable = bool(bins.mean[-1] > bins.level[-1] * (1 + rule.escape))
    return Reading(n, bins, tuple(plateaus), final, unstable, _oscillating(loss, rule),
                   diverged)


# --------------------------------------------------------------------------- verdicts


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def judge(reading: Reading, levels: Mapping[str, float | None] | None = None,
          references: Sequence[tuple[str, Reading]] = (), rule: Rule = RULE) -> Verdict:
    """The verdicts of a run from its :class:`Reading` (module docstring, "Stuck").

    ``levels`` are the run's trivial levels by name (:data:`TRIVIAL_LEVELS`);
    ``references`` the readings of the other runs from the same start, by name.
    """
    common = {"oscillating": reading.oscillating, "diverged_epoch": reading.diverged_epoch,
              "level": reading.level}
    escaped = tuple(reading.plateaus)
    if reading.diverged_epoch is not None:
        return Verdict("diverged", False, "none",
                       f"diverged at epoch {reading.diverged_epoch}", None, escaped, **common)
    if reading.epochs == 0:
        return Verdict("diverged", False, "none", "no finite loss", None, (), **common)
    if reading.unstable:
        return Verdict("unstable", False, "none",
                       f"ends above the lowest loss it reached ({_fmt(reading.level)})", None,
                       escaped, **common)
    final = reading.final
    if final is None:
        return Verdict("descending", False, "none", "still descending at the last epoch",
                       None, escaped, **common)
    end, levels = reading.level, {k: v for k, v in (levels or {}).items()
                                  if v is not None and math.isfinite(v)}
    reason = None
    if "constant" in levels and end >= levels["constant"] * (1 - rule.trivial_margin):
        reason, name = (f"stuck at the {TRIVIAL_LEVELS['constant']} "
                        f"{_fmt(levels['constant'])} from epoch {final.start}"), "constant"
    elif "linear" in levels and end > levels["linear"] * (1 + rule.trivial_margin):
        reason, name = (f"stuck at {_fmt(end)}, above the {TRIVIAL_LEVELS['linear']} "
                        f"{_fmt(levels['linear'])}, from epoch {final.start}"), "linear"
    if reason is not None:
        return Verdict("plateau", True, name, reason, None, escaped + (final,), **common)
    threshold = end * (1 - rule.stuck_margin)
    beaten = [(name, other.moving_below(threshold)) for name, other in references]
    beaten = [(name, epoch) for name, epoch in beaten if epoch is not None]
    if beaten:
        name, epoch = min(beaten, key=lambda pair: pair[1])
        reason = (f"stuck at {_fmt(end)} from epoch {final.start}: {name}, from the same "
                  f"start, went below {_fmt(threshold)} at its epoch {epoch}")
        return Verdict("plateau", True, name, reason, None, escaped + (final,), **common)
    compared = ("no run from the same start went on below it" if references
                else "no other run from the same start")
    reason = f"converged to {_fmt(end)} from epoch {final.start} ({compared})"
    return Verdict("converged", False, "same start" if references else "none", reason,
                   final.start, escaped, **common)


# --------------------------------------------------------------------------- a sweep


def lr_times(run: pd.DataFrame, row: Mapping) -> np.ndarray | None:
    """``τ`` of each epoch of one run's history (in epoch order) from its summary ``row``
    (``effective_lr``, ``updates_per_epoch``) and its schedule; None when not recorded."""
    lr, k = row.get("effective_lr"), row.get("updates_per_epoch")
    if not (_present(lr) and _present(k)):
        return None
    return float(lr) * epoch_times(len(run), int(k), scheduled_lr(run))


def _lr_time(epoch: int, times: np.ndarray | None) -> float:
    return float(times[epoch - 1]) if times is not None else math.nan


#: the verdict columns of a run without a history (failed before its first epoch)
NO_HISTORY = {"ending": None, "convergence_epoch": None, "n_plateaus": 0, "longest_plateau": 0,
              "stuck": False, "stuck_reference": "none", "stuck_reason": "no history",
              "oscillating": False, "diverged_epoch": None, "final_level": math.nan,
              "escaped_epoch": None, "escaped_lr_time": math.nan}


def _columns(verdict: Verdict) -> dict:
    """A verdict as the summary's columns."""
    return {"ending": verdict.ending, "convergence_epoch": verdict.convergence_epoch,
            "n_plateaus": len(verdict.plateaus),
            "longest_plateau": max((p.length for p in verdict.plateaus), default=0),
            "stuck": verdict.stuck, "stuck_reference": verdict.reference,
            "stuck_reason": verdict.reason, "oscillating": verdict.oscillating,
            "diverged_epoch": verdict.diverged_epoch, "final_level": verdict.level}


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) \
        and value is not pd.NA


def _readings(history: pd.DataFrame, rows: dict, rule: Rule) -> tuple[dict, dict]:
    """Each job's :class:`Reading`, on its own time scale (one update per epoch if unknown),
    and the ``τ`` of its epochs (:func:`lr_times`)."""
    readings, times = {}, {}
    for job, run in history.groupby("job", sort=False):
        row = rows.get(job, {})
        k = row.get("updates_per_epoch")
        run = run.sort_values("epoch")
        readings[job] = read_curve(run["loss"].to_numpy(float), int(k) if _present(k) else 1,
                                   rule, scheduled_lr(run))
        times[job] = lr_times(run, row)
    return readings, times


def analyze(history: pd.DataFrame, summary: pd.DataFrame, rule: Rule = RULE
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add the verdicts to a sweep summary; return it and every plateau.

    Each run is read on its own (:func:`read_curve`) and judged (:func:`judge`)
    against its own trivial levels (summary columns ``constant_loss``,
    ``linear_loss``) and the runs with its ``start`` (the same data,
    architecture, loss and initial weights). New summary columns:
    :data:`ANALYSIS_COLUMNS`. The plateaus frame has :data:`PLATEAU_COLUMNS`;
    ``start_lr_time`` and ``end_lr_time`` place them on the ``τ`` axis.
    """
    rows = {row["job"]: row for row in summary.to_dict("records")}
    readings, times = _readings(history, rows, rule)
    starts: dict = {}
    for job, row in rows.items():
        if isinstance(row.get("start"), str) and job in readings:
            starts.setdefault(row["start"], []).append(job)
    columns, plateau_rows = [], []
    for job, row in rows.items():
        if job not in readings:
            columns.append(NO_HISTORY)
            continue
        others = [(f"job {j}", readings[j]) for j in starts.get(row.get("start"), []) if j != job]
        levels = {name: float(row[f"{name}_loss"]) for name in TRIVIAL_LEVELS
                  if _present(row.get(f"{name}_loss"))}
        verdict = judge(readings[job], levels, others, rule)
        left = max((p.end for p in verdict.plateaus if p.escaped), default=None)
        columns.append({**_columns(verdict), "escaped_epoch": left,
                        "escaped_lr_time": math.nan if left is None
                        else _lr_time(left, times[job])})
        plateau_rows += [{"job": job, "start": p.start, "end": p.end, "length": p.length,
                          "level": p.level, "escaped": p.escaped,
                          "start_lr_time": _lr_time(p.start, times[job]),
                          "end_lr_time": _lr_time(p.end, times[job])} for p in verdict.plateaus]
    found = pd.DataFrame(columns, index=summary.index)
    summary = summary.drop(columns=ANALYSIS_COLUMNS, errors="ignore").copy()
    summary["ending"] = found["ending"]
    for name in ("convergence_epoch", "diverged_epoch", "escaped_epoch"):
        summary[name] = pd.array(found[name].tolist(), dtype="Int64")
    for name, kind in (("n_plateaus", int), ("longest_plateau", int), ("stuck", bool),
                       ("oscillating", bool), ("final_level", float),
                       ("escaped_lr_time", float)):
        summary[name] = found[name].astype(kind)
    summary["stuck_reference"] = found["stuck_reference"]
    summary["stuck_reason"] = found["stuck_reason"]
    summary["diverged"] = ((summary["status"] == "diverged")
                           | summary["diverged_epoch"].notna()).astype(bool)
    return summary, pd.DataFrame(plateau_rows, columns=PLATEAU_COLUMNS)

"""Replicates, groups and plot roles of a sweep.

A sweep's *replicate* parameters (``seed`` and ``dataset.seed`` by default,
``report.replicates`` to change) repeat an experiment; every other swept
parameter defines it. Runs that differ only in their replicates form a
*group*: the unit the plots draw (one line with a band) and that
``sweep_groups.csv`` summarises.

*Roles* say where each non-replicate parameter goes in the plots: ``x`` (the
x axis of the summary plots; the colour of the loss curves), ``hue`` (one line
per value in the summary plots; one facet column per value in the curve
plots) and ``col`` (facets). Defaults do not depend on the order of the
command line: ``x`` is the swept learning rate, else the numeric parameter
with the most values (categorical ones after numeric ones, ties by name);
``hue`` is the remaining parameter with the fewest values (ties by name), so
the curve plots get few panels; every other one is a ``col`` facet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

DEFAULT_REPLICATES = ("seed", "dataset.seed")
#: parameters that make the best x axis when swept, in order of preference
PREFERRED_X = ("optimizer.lr",)
#: summary metrics aggregated per group in ``sweep_groups.csv``
GROUP_METRICS = ("final_loss", "final_val_loss", "final_val_accuracy", "convergence_epoch")
GROUP_STATS = ("mean", "std", "min", "max")


@dataclass(frozen=True)
class Roles:
    """Where the swept parameters of a sweep go in its plots.

    ``keys`` are the group-defining (non-replicate) swept parameters; every
    one of them has a role: ``x``, ``hue`` or one of ``col`` (facets, one
    panel per combination of their values). ``replicates`` are the swept
    replicate parameters, aggregated over.
    """

    x: str | None = None
    hue: str | None = None
    col: tuple[str, ...] = ()
    replicates: tuple[str, ...] = ()
    keys: tuple[str, ...] = field(default=())

    @property
    def aggregated(self) -> bool:
        """Whether groups hold several runs (a replicate parameter was swept)."""
        return bool(self.replicates)


def is_numeric(values: pd.Series) -> bool:
    """Every non-missing value is a number (booleans are categories)."""
    present = values.dropna()
    if present.empty or pd.api.types.is_bool_dtype(values):
        return False
    if any(isinstance(v, (bool, np.bool_)) for v in present):
        return False
    return bool(pd.to_numeric(present, errors="coerce").notna().all())


def _natural_key(value) -> tuple:
    """Sort key: numbers by value; strings by the numbers in them (``[4] < [16]``)."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, (bool, np.bool_)):
        return (0, (float(value),), "")
    text = str(value)
    numbers = tuple(float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text))
    return (1, numbers, text)


def ordered_values(values: Sequence | pd.Series) -> list:
    """The distinct non-missing values, in natural order (see :func:`_natural_key`)."""
    seen = [v for v in dict.fromkeys(values) if not _is_missing(v)]
    return sorted(seen, key=_natural_key)


def _is_missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def choose_roles(summary: pd.DataFrame, parameters: Sequence[str], x: str | None = None,
                 hue: str | None = None, col: str | Sequence[str] | None = None,
                 replicates: Sequence[str] = DEFAULT_REPLICATES) -> Roles:
    """The roles of a sweep's swept ``parameters`` (see the module docstring).

    Raises ``ValueError`` when a chosen role names a parameter that was not
    swept or is a replicate, or when one parameter gets two roles.
    """
    parameters = list(parameters)
    reps = tuple(p for p in parameters if p in set(replicates))
    keys = [p for p in parameters if p not in reps]
    cols = [col] if isinstance(col, str) else list(col or [])
    chosen = [r for r in (x, hue, *cols) if r is not None]
    for role in chosen:
        if role not in keys:
            allowed = ", ".join(keys) or "none: nothing but replicates was swept"
            why = "is a replicate (aggregated)" if role in reps else "was not swept"
            raise ValueError(f"report role {role!r} {why}; the swept parameters that can "
                             f"take a role: {allowed}")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"a parameter can take one report role only, got x={x!r}, "
                         f"hue={hue!r}, col={cols!r}")

    def n_values(p: str) -> int:
        return len(ordered_values(summary[p])) if p in summary else 0

    def x_preference(p: str) -> tuple:
        numeric = p in summary and is_numeric(summary[p])
        rank = PREFERRED_X.index(p) if p in PREFERRED_X else len(PREFERRED_X)
        return (rank, not numeric, -n_values(p), p)

    free = [p for p in keys if p not in chosen]
    if x is None and free:
        x = min(free, key=x_preference)
        free.remove(x)
    if hue is None and free:
        hue = min(free, key=lambda p: (n_values(p), p))
        free.remove(hue)
    cols += sorted(free)
    return Roles(x=x, hue=hue, col=tuple(cols), replicates=reps, keys=tuple(keys))


def add_groups(summary: pd.DataFrame, roles: Roles) -> pd.DataFrame:
    """``summary`` with a ``group`` column: runs with equal non-replicate values share it.

    Groups are numbered from 0 in the natural order of their values (so the
    numbers do not depend on the order in which jobs ran).
    """
    summary = summary.copy()
    keys = [k for k in roles.keys if k in summary]
    if not keys or summary.empty:
        summary["group"] = 0
        return summary
    # a missing value (a key one job did not set) is one value, not a group per job
    labels = summary[keys].astype(object).where(summary[keys].notna(), "<unset>").apply(
        tuple, axis=1)
    order = sorted(dict.fromkeys(labels), key=lambda t: tuple(_natural_key(v) for v in t))
    number = {label: i for i, label in enumerate(order)}
    summary["group"] = [number[label] for label in labels]
    return summary


def group_table(summary: pd.DataFrame, roles: Roles) -> pd.DataFrame:
    """One row per group: its parameters, ``n`` and the statistics of its runs.

    Columns: ``group``, the group's parameters, ``n`` (runs), ``n_ok``, then
    ``<metric>_<stat>`` for each metric of :data:`GROUP_METRICS` and each stat
    of :data:`GROUP_STATS` (over the runs that did not diverge and have a
    finite value, as the plots draw them; ``std`` is the sample standard
    deviation, ddof=1, empty for one run), then ``stuck_fraction`` and
    ``diverged_fraction`` (over all ``n`` runs).
    """
    if "group" not in summary:
        summary = add_groups(summary, roles)
    keys = [k for k in roles.keys if k in summary]
    rows = []
    for group, runs in summary.groupby("group", sort=True):
        row = {"group": group, **{k: runs[k].iloc[0] for k in keys}, "n": len(runs),
               "n_ok": int((runs.get("status") == "ok").sum()) if "status" in runs else 0}
        diverged = runs["diverged"].astype(bool) if "diverged" in runs else False
        for metric in GROUP_METRICS:
            values = pd.to_numeric(runs.get(metric, pd.Series(dtype=float)), errors="coerce")
            values = values[np.isfinite(values) & ~diverged]
            for stat in GROUP_STATS:
                row[f"{metric}_{stat}"] = getattr(values, stat)() if len(values) else np.nan
        for flag in ("stuck", "diverged"):
            values = runs[flag].astype(bool) if flag in runs else pd.Series(False, runs.index)
            row[f"{flag}_fraction"] = float(values.mean())
        rows.append(row)
    return pd.DataFrame(rows)


def group_curves(history: pd.DataFrame, summary: pd.DataFrame, roles: Roles,
                 column: str = "loss") -> pd.DataFrame:
    """Per group and epoch, the statistics of ``column`` over the group's runs.

    Returns a long frame: ``group``, the group's parameters, ``epoch``, ``n``
    (runs with a finite value at that epoch), ``mean``, ``std`` (ddof=1),
    ``min``, ``max``. Non-finite values (a diverged run's last epochs) are
    left out, so a band never stretches to infinity.
    """
    if "group" not in summary:
        summary = add_groups(summary, roles)
    keys = [k for k in roles.keys if k in summary]
    if column not in history or history.empty:
        return pd.DataFrame(columns=["group", *keys, "epoch", "n", *GROUP_STATS])
    values = pd.to_numeric(history[column], errors="coerce")
    frame = pd.DataFrame({"job": history["job"], "epoch": history["epoch"], "value": values})
    frame = frame[np.isfinite(frame["value"])]
    frame = frame.merge(summary[["job", "group"]], on="job", how="inner")
    stats = (frame.groupby(["group", "epoch"])["value"]
             .agg(n="count", mean="mean", std="std", min="min", max="max").reset_index())
    params = summary.drop_duplicates("group")[["group", *keys]]
    stats = stats.merge(params, on="group", how="left")
    return stats[["group", *keys, "epoch", "n", *GROUP_STATS]]


__all__ = ["DEFAULT_REPLICATES", "Roles", "add_groups", "choose_roles", "group_curves",
           "group_table", "is_numeric", "ordered_values"]

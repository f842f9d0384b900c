"""A run or sweep directory read for the trackers: its jobs, each one's hyperparameters
(its overrides), history, summary row, status and times (:class:`Export`)."""

from __future__ import annotations

import importlib.util
import math
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ... import rundir
from ..sweep import load

#: the figures of a run or sweep directory logged as MLflow artifacts (and its report page)
FIGURES = ("png", "svg", "pdf")
#: summary columns that name a run rather than measure it (tags, not metrics)
NAMING = ("job", "group", "trial")


@dataclass
class Job:
    """One run as the trackers receive it.

    ``history`` holds the run's ``history.csv`` (one row per epoch), ``row``
    its row of the analysed summary, ``start`` and ``end`` are Unix times.
    """

    name: str
    path: Path
    status: str
    hparams: dict[str, Any]
    history: pd.DataFrame
    row: dict[str, Any]
    start: float
    end: float

    def epochs(self, columns: list[str]) -> list[tuple[int, float, dict[str, float]]]:
        """``(epoch, when it ended (Unix time), {column: value})`` for each epoch with a
        value; missing and non-finite values are left out."""
        rows = []
        for row in self.history.to_dict("records"):
            values = {c: float(row[c]) for c in columns if finite(row.get(c))}
            if values:
                elapsed = row.get("time")
                rows.append((int(row["epoch"]),
                             self.start + (float(elapsed) if finite(elapsed) else 0.0), values))
        return rows


@dataclass
class Export:
    """A sweep read for export: its jobs, what was swept, what was left out."""

    path: Path
    is_sweep: bool
    jobs: list[Job]
    parameters: list[str]
    metrics: list[str]  # the history columns exported per epoch, in history.csv's order
    missing: list[str]
    problems: dict[str, str]
    fixed: dict[str, Any]  # the overrides every job shares (sweepnet.results.shared_overrides)


def finite(value: Any) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))


def read_export(path: str | Path) -> Export:
    """Read the runs of a run or sweep directory that ended; ``ValueError`` when none did."""
    path = Path(path).resolve()
    sweep = load(path, allow_empty=True)  # raises for a directory neither a run's nor a sweep's
    if sweep.summary.empty:
        raise ValueError(f"{path} has no run that ended yet: nothing to export"
                         + (f" ({len(sweep.missing)} unfinished)" if sweep.missing else ""))
    jobs = []
    for row in sweep.summary.to_dict("records"):
        job_dir = path / str(row["job"]) if sweep.is_sweep else path
        record = rundir.read_result(job_dir) or {}
        history = sweep.history
        if not history.empty:
            history = history[history["job"] == row["job"]].drop(
                columns=["job", *sweep.parameters]).reset_index(drop=True)
        end = (job_dir / rundir.RESULT).stat().st_mtime
        jobs.append(Job(str(row["job"]) if sweep.is_sweep else path.name, job_dir,
                        row["status"], rundir.override_values(record.get("overrides") or []),
                        history, row, end - float(record.get("wall_time") or 0.0), end))
    metrics = [c for c in dict.fromkeys(c for job in jobs for c in job.history.columns)
               if c != "epoch" and any(pd.api.types.is_numeric_dtype(job.history[c])
                                       and not pd.api.types.is_bool_dtype(job.history[c])
                                       for job in jobs if c in job.history)]
    return Export(path, sweep.is_sweep, jobs, list(sweep.parameters), metrics,
                  list(sweep.missing), dict(sweep.problems), rundir.override_values(sweep.fixed))



def require(extra: str, *modules: str) -> None:
    """``ImportError`` naming ``sweepnet[extra]`` when one of ``modules`` is not installed."""
    absent = [m for m in modules if importlib.util.find_spec(m) is None]
    if absent:
        raise ImportError(f"{' and '.join(absent)} {'is' if len(absent) == 1 else 'are'} "
                          f'not installed: pip install "sweepnet[{extra}]"')

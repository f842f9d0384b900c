"""Runs and sweeps on disk, read back as pandas frames (reading only; no analysis).

:func:`load` reads a run or a sweep directory through :mod:`sweepnet.rundir`,
from disk only, so the frames are the same whichever launcher ran the jobs:

``history``
    long: one row per job and epoch; ``job``, one column per swept parameter,
    then ``epoch``, ``loss``, ``val_loss``, ``val_accuracy``, ``time``.
``summary``
    one row per job: ``job``, the swept parameters, ``status``,
    ``final_loss``, ``best_loss``, ``final_val_loss``, ``best_val_loss``,
    ``final_val_accuracy``, ``best_val_accuracy``, ``epochs``, ``wall_time``
    (and ``sklearn_*`` baseline columns, ``error`` when a run failed).

:func:`sweepnet.analysis.load` adds the curve analysis (convergence,
plateaus, ``stuck``), the groups of replicates and the plot roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import rundir

#: the summary's metric columns: (column, "final" or "best", metric in result.json)
METRICS = [("final_loss", "final", "loss"), ("best_loss", "best", "loss"),
           ("final_val_loss", "final", "val_loss"), ("best_val_loss", "best", "val_loss"),
           ("final_val_accuracy", "final", "val_accuracy"),
           ("best_val_accuracy", "best", "val_accuracy")]
TAKEN_COLUMNS = {"job", "group", "epoch", "loss", "val_loss", "val_accuracy", "time", "status",
                 "epochs", "wall_time", "error", *(c for c, _, _ in METRICS)}


@dataclass
class Results:
    """The frames of a run or sweep directory, and what could not be read."""

    history: pd.DataFrame
    summary: pd.DataFrame
    parameters: list[str]
    path: Path | None = None
    is_sweep: bool = False
    missing: list[str] = field(default_factory=list)  # job dirs without a result yet
    #: runs left out of the frames because their files do not check out, by job name:
    #: what is wrong (see :func:`sweepnet.rundir.check_run`); "no directory" for a gap
    problems: dict[str, str] = field(default_factory=dict)


def swept_parameters(overrides: list[list[str]]) -> tuple[list[str], list[dict]]:
    """The swept keys (those whose values vary across jobs) and each job's values.

    ``overrides`` holds each job's overrides; a key named like a summary column
    (``loss=mse``) is renamed ``"loss (config)"``, as in the tables.
    """
    values = [rundir.override_values(job) for job in overrides]
    keys = list(dict.fromkeys(k for v in values for k in v))
    if len(values) > 1:
        keys = [k for k in keys if len({repr(v.get(k)) for v in values}) > 1]
    # a config group named like a metric column (loss=mse) gets its own column name
    renamed = {k: f"{k} (config)" if k in TAKEN_COLUMNS else k for k in keys}
    values = [{renamed.get(k, k): v for k, v in job.items()} for job in values]
    return [renamed[k] for k in keys], values


def _baseline_columns(record: dict) -> dict[str, float]:
    """``sklearn_<model>_<metric>`` columns from a run's ``baseline=sklearn`` results."""
    columns = {}
    for model, metrics in (record.get("baselines") or {}).items():
        if isinstance(metrics, dict):
            columns.update({f"sklearn_{model}_{k}": v for k, v in metrics.items()
                            if isinstance(v, (int, float))})
    return columns


def _summary_row(job, swept: dict, record: dict) -> dict:
    row = {"job": job, **swept, "status": record["status"]}
    for column, kind, metric in METRICS:
        row[column] = (record.get(kind) or {}).get(metric)
    row.update(epochs=record.get("epochs", 0), wall_time=record.get("wall_time"),
               error=record.get("error"), **_baseline_columns(record))
    return row


def load(path: str | Path) -> Results:
    """Read a run or sweep directory into :class:`Results` (finished or partial)."""
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"no run or sweep directory at {path.resolve()}")
    is_sweep = not rundir.is_run_dir(path)
    candidates = rundir.job_dirs(path) if is_sweep else [path]
    runs, missing, problems = [], [], _gaps(candidates) if is_sweep else {}
    for run_dir in candidates:
        record, history, problem = rundir.check_run(run_dir)
        if problem is not None:
            problems[run_dir.name] = problem
        elif record is None:
            missing.append(run_dir.name)
        else:
            runs.append((run_dir, record, history))
    keys, values = swept_parameters([record.get("overrides", []) for _, record, _ in runs])
    rows, histories = [], []
    for (run_dir, record, history), job_values in zip(runs, values):
        job = int(run_dir.name) if run_dir.name.isdigit() else run_dir.name
        swept = {k: job_values.get(k) for k in keys}
        rows.append(_summary_row(job, swept, record))
        if history is not None:
            histories.append(history.assign(job=job, **swept)[
                ["job", *keys, *history.columns]])
    summary = pd.DataFrame(rows)
    if not summary.empty and summary["error"].isna().all():
        summary = summary.drop(columns="error")
    history = pd.concat(histories, ignore_index=True) if histories else pd.DataFrame()
    return Results(history, summary, keys, path, is_sweep, missing, problems)


def _gaps(job_dirs: list[Path]) -> dict[str, str]:
    """Job numbers below the highest one that have no directory (deleted, or never made)."""
    numbers = {int(d.name) for d in job_dirs if d.name.isdigit()}
    return {str(n): "no directory" for n in range(max(numbers, default=-1))
            if n not in numbers}

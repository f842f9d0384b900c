"""Runs and sweeps on disk, as pandas frames.

A run directory holds ``result.json`` and ``history.csv``; a sweep directory
holds one run directory per job. :func:`load` reads either into the same two
frames, from disk only, so the tables are the same whichever launcher ran the
jobs:

``history``
    long: one row per job and epoch; ``job``, one column per swept parameter,
    then ``epoch``, ``loss``, ``val_loss``, ``val_accuracy``, ``time``.
``summary``
    one row per job: ``job``, the swept parameters, ``status``,
    ``final_loss``, ``best_loss``, ``final_val_loss``, ``best_val_accuracy``,
    ``epochs``, ``wall_time``, then the curve analysis of
    :func:`sweepnet.analysis.analyze` (``convergence_epoch``, ``n_plateaus``,
    ``longest_plateau``, ``stuck``, ``diverged``, ``diverged_epoch``).
``plateaus``
    one row per plateau: ``job``, ``start``, ``end``, ``length``, ``level``,
    ``escaped``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .runner.job import HISTORY, RESULT, clean_value, read_result

SWEEP_HISTORY, SWEEP_SUMMARY = "sweep_history.csv", "sweep_summary.csv"
TAKEN_COLUMNS = {"job", "epoch", "loss", "val_loss", "val_accuracy", "time", "status",
                 "final_loss", "best_loss", "final_val_loss", "best_val_accuracy", "epochs",
                 "wall_time", "error"}


@dataclass
class Results:
    """The frames of a run or sweep directory, and what could not be read."""

    history: pd.DataFrame
    summary: pd.DataFrame
    parameters: list[str]
    plateaus: pd.DataFrame = field(default_factory=pd.DataFrame)
    missing: list[str] = field(default_factory=list)  # job dirs without a result yet


def _job_sort_key(path: Path):
    return (0, int(path.name), "") if path.name.isdigit() else (1, 0, path.name)


def _run_dirs(path: Path) -> tuple[list[Path], list[Path]]:
    """Finished run directories under ``path``, and started ones with no result yet."""
    if (path / RESULT).exists():
        return [path], []
    done, missing = [], []
    for child in sorted((p for p in path.iterdir() if p.is_dir()), key=_job_sort_key):
        if (child / RESULT).exists():
            done.append(child)
        elif (child / ".hydra").is_dir():
            missing.append(child)
    return done, missing


def _parameters(records: list[dict]) -> dict[str, dict[str, object]]:
    """Per job, its override values; keys that vary across jobs are the swept ones."""
    values = []
    for record in records:
        pairs = (item.partition("=") for item in record.get("overrides", []))
        values.append({k.lstrip("+~"): clean_value(v) for k, _, v in pairs})
    keys = list(dict.fromkeys(k for v in values for k in v))
    if len(values) > 1:
        keys = [k for k in keys if len({repr(v.get(k)) for v in values}) > 1]
    # a config group named like a metric column (loss=mse) gets its own column name
    renamed = {k: f"{k} (config)" if k in TAKEN_COLUMNS else k for k in keys}
    values = [{renamed.get(k, k): v for k, v in job.items()} for job in values]
    return {"keys": [renamed[k] for k in keys], "values": values}


def _baseline_columns(record: dict) -> dict[str, float]:
    """``sklearn_<model>_<metric>`` columns from a run's ``baseline=sklearn`` results."""
    columns = {}
    for model, metrics in (record.get("baselines") or {}).items():
        if isinstance(metrics, dict):
            columns.update({f"sklearn_{model}_{k}": v for k, v in metrics.items()
                            if isinstance(v, (int, float))})
    return columns


def load(path: str | Path) -> Results:
    """Read a run or sweep directory into :class:`Results` (finished or partial)."""
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"no run or sweep directory at {path.resolve()}")
    run_dirs, missing = _run_dirs(path)
    records = [read_result(d) or {} for d in run_dirs]
    params = _parameters(records)
    keys = params["keys"]
    rows, histories = [], []
    for run_dir, record, values in zip(run_dirs, records, params["values"]):
        job = int(run_dir.name) if run_dir.name.isdigit() else run_dir.name
        swept = {k: values.get(k) for k in keys}
        final, best = record.get("final", {}), record.get("best", {})
        rows.append({"job": job, **swept, "status": record.get("status", "unknown"),
                     "final_loss": final.get("loss"), "best_loss": best.get("loss"),
                     "final_val_loss": final.get("val_loss"),
                     "best_val_accuracy": best.get("val_accuracy"),
                     "epochs": record.get("epochs", 0), "wall_time": record.get("wall_time"),
                     "error": record.get("error"), **_baseline_columns(record)})
        if (run_dir / HISTORY).exists():
            history = pd.read_csv(run_dir / HISTORY)
            for position, (k, v) in enumerate(swept.items()):
                history.insert(position, k, v)
            history.insert(0, "job", job)
            histories.append(history)
    summary = pd.DataFrame(rows)
    if not summary.empty and summary["error"].isna().all():
        summary = summary.drop(columns="error")
    history = pd.concat(histories, ignore_index=True) if histories else pd.DataFrame()
    plateaus = pd.DataFrame()
    if not history.empty:
        from .analysis.curves import analyze

        summary, plateaus = analyze(history, summary)
    return Results(history, summary, keys, plateaus, [d.name for d in missing])

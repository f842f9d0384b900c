"""Runs and sweeps on disk, read back as pandas frames (reading only; no analysis).

:func:`load` reads a run or a sweep directory through :mod:`sweepnet.rundir`,
from disk only, so the frames are the same whichever launcher ran the jobs:

``history``
    long: one row per job and epoch; ``job``, one column per swept parameter,
    then ``epoch``, ``loss``, ``val_loss``, ``val_accuracy``, ``time``.
``summary``
    one row per job: ``job``, the swept parameters, ``status``, ``overrides``
    (what defines the run, as typed; ``(defaults)`` for none),
    ``final_loss``, ``best_loss``, ``final_val_loss``, ``best_val_loss``,
    ``final_val_accuracy``, ``best_val_accuracy``, ``epochs``, ``wall_time``,
    what the run's verdicts are judged against (``start``, ``constant_loss``,
    ``linear_loss``, ``updates_per_epoch``, ``effective_lr``: see
    :mod:`sweepnet.runner.references`; empty for runs written before them), and
    ``sklearn_*`` baseline columns, ``error`` when a run failed.

:func:`sweepnet.analysis.load` adds the curve analysis (convergence,
plateaus, ``stuck``), the groups of replicates and the plot roles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import rundir

#: the summary's metric columns (see :data:`sweepnet.rundir.METRICS`)
METRICS = rundir.METRICS
#: what a run's verdicts are judged against: (column, key in result.json)
REFERENCES = [("start", "start"), ("updates_per_epoch", "updates_per_epoch"),
              ("effective_lr", "effective_lr"), ("initial_lr", "initial_lr")]
LEVELS = [("constant_loss", "constant"), ("linear_loss", "linear")]
#: a search run's ``state`` column by its status
SEARCH_STATES = {rundir.OK: "complete", rundir.PRUNED: "pruned"}
TAKEN_COLUMNS = {"job", "group", "epoch", "loss", "val_loss", "val_accuracy", "time", "status",
                 "overrides", "trial", "state",
                 "epochs", "wall_time", "error", *(c for c, _, _ in METRICS),
                 *(c for c, _ in REFERENCES + LEVELS)}


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
    command: str = ""  # the command that writes it again (see command())
    fixed: list[str] = field(default_factory=list)  # the overrides every run shares


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
    row = {"job": job, **swept, "status": record["status"],
           "overrides": " ".join(record.get("overrides") or []) or "(defaults)"}
    for column, kind, metric in METRICS:
        row[column] = (record.get(kind) or {}).get(metric)
    row.update(epochs=record.get("epochs", 0), wall_time=record.get("wall_time"),
               error=record.get("error"))
    row.update({column: record.get(key) for column, key in REFERENCES})
    row.update({column: (record.get("levels") or {}).get(key) for column, key in LEVELS})
    row.update(_baseline_columns(record))
    if "trial" in record:  # a search's run (sweepnet.runner.search)
        row.update(trial=record["trial"], state=SEARCH_STATES.get(record["status"], "failed"))
    return row


def shared_overrides(overrides: list[list[str]]) -> list[str]:
    """The overrides (as typed) that every job has: what a sweep kept fixed."""
    if not overrides:
        return []
    first, *others = overrides
    return [o for o in first if all(o in job for job in others)]


def hydra_value(text: str) -> str:
    """``text`` as an override's value Hydra reads back whole: bare when it is plain
    letters, digits and ``_ . / -``; else single-quoted (a space, ``,``, ``#``, ``é``)."""
    if re.fullmatch(r"[A-Za-z0-9_./-]+", text):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def command(path: Path, overrides: list[list[str]], is_sweep: bool) -> str:
    """The ``sweepnet`` command that writes this run or sweep again.

    A sweep's is read from its ``multirun.yaml`` (the overrides as typed, as
    Hydra records them; a preset's sweep is in the preset; ``--config-dir`` and
    ``--config-name`` from Hydra's record of them); for a sweep written before
    sweepnet recorded its overrides there (swept keys missing), the grid is
    rebuilt from the jobs' ``overrides``: those every job shares, then each swept
    key with its values in the order the jobs ran. A run's is its overrides.
    """
    import shlex

    if not is_sweep:
        return shlex.join(["sweepnet", *(overrides[0] if overrides else []),
                           f"hydra.run.dir={hydra_value(str(path))}"])
    config = rundir.sweep_config(path).get("hydra") or {}
    recorded = config.get("overrides") or {}
    hydra = [o for o in recorded.get("hydra") or [] if not o.startswith("hydra.sweep.dir=")]
    task = list(recorded.get("task") or [])
    fixed = {o.partition("=")[0].lstrip("+~") for o in shared_overrides(overrides)}
    swept = {o.partition("=")[0].lstrip("+~") for job in overrides for o in job} - fixed
    typed = {o.partition("=")[0].lstrip("+~") for o in task}
    typed |= set((config.get("sweeper") or {}).get("params") or {})  # a preset's sweep
    if not swept <= typed:
        task = _grid(overrides)
    options = []
    for source in (config.get("runtime") or {}).get("config_sources") or []:
        if isinstance(source, dict) and source.get("provider") == "command-line":
            options += ["--config-dir", str(source.get("path"))]
    name = (config.get("job") or {}).get("config_name")
    if name not in (None, "config"):
        options += ["--config-name", str(name)]
    return shlex.join(["sweepnet", *options, "-m", *hydra, *task,
                       f"hydra.sweep.dir={hydra_value(str(path))}"])


def _grid(overrides: list[list[str]]) -> list[str]:
    """The overrides of a grid that gives these jobs: shared ones, then swept ones."""
    shared = shared_overrides(overrides)
    values: dict[str, list[str]] = {}
    for job in overrides:
        for override in job:
            if override not in shared:
                key, _, value = override.partition("=")
                values.setdefault(key, [])
                if value not in values[key]:
                    values[key].append(value)
    return shared + [f"{key}={','.join(seen)}" for key, seen in values.items()]


def _neither(path: Path) -> str:
    """Why ``path`` is neither a run nor a sweep, and what to run instead."""
    inside = sorted(p for p in path.iterdir() if p.is_dir())
    runs = [p for p in inside if rundir.kind_of(p) == rundir.RUN]
    sweeps = [p for p in inside if rundir.kind_of(p) == rundir.SWEEP]
    found = []
    for name, dirs in (("run", runs), ("sweep", sweeps)):
        if dirs:
            shown = ", ".join(p.name for p in dirs[:4]) + (", ..." if len(dirs) > 4 else "")
            found.append(f"{len(dirs)} {name} director{'y' if len(dirs) == 1 else 'ies'} "
                         f"({shown})")
    if not found:
        return (f"{path} is neither a run nor a sweep directory: nothing sweepnet wrote is "
                f"in it")
    example = (runs or sweeps)[0]
    return (f"{path} is neither a run nor a sweep directory: it holds {' and '.join(found)}, "
            f"which are not one sweep's jobs; read each on its own, e.g. "
            f"sweepnet-report {example}")


def load(path: str | Path, allow_empty: bool = False) -> Results:
    """Read a run or sweep directory into :class:`Results` (finished or partial).

    Raises ``FileNotFoundError`` when ``path`` is not a directory and
    ``ValueError`` when it is neither a run's nor a sweep's (a folder of
    unrelated runs, say), saying what it holds and what to read instead, or
    when it holds no run that ended yet (empty frames, unless ``allow_empty``).
    """
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"no run or sweep directory at {path.resolve()}")
    kind = rundir.kind_of(path)
    if kind is None:
        raise ValueError(_neither(path))
    is_sweep = kind == rundir.SWEEP
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
    if not runs and not allow_empty:
        raise ValueError(_empty(path, is_sweep, missing, problems))
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
    typed = [record.get("overrides") or [] for _, record, _ in runs]
    return Results(history, summary, keys, path, is_sweep, missing, problems,
                   command(path, typed, is_sweep), shared_overrides(typed))


def _empty(path: Path, is_sweep: bool, missing: list[str], problems: dict[str, str]) -> str:
    """Why a run or sweep directory gives no rows."""
    what = "sweep" if is_sweep else "run"
    found = [f"job {name}: {problem}" for name, problem in problems.items()]
    if missing:
        found.append(f"{len(missing)} job(s) still training or never started")
    return (f"{path} is a {what} directory with no run that ended yet"
            + (f" ({'; '.join(found)})" if found else "")
            + ": it is being written, or was stopped before any run ended (running its "
            "command again continues it)")


def _gaps(job_dirs: list[Path]) -> dict[str, str]:
    """Job numbers below the highest one that have no directory (deleted, or never made)."""
    numbers = {int(d.name) for d in job_dirs if d.name.isdigit()}
    return {str(n): "no directory" for n in range(max(numbers, default=-1))
            if n not in numbers}

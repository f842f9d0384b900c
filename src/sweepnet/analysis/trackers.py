"""Export a run or sweep directory to TensorBoard (HParams) or MLflow, read from disk.

    sweepnet-export tensorboard SWEEP LOGDIR
    sweepnet-export mlflow SWEEP TRACKING_URI [--experiment NAME]

A sweep is read through :func:`sweepnet.analysis.load` (a run directory is a
sweep of one job); only runs that ended are exported. In both trackers a job's
hyperparameters are its overrides (:func:`sweepnet.rundir.override_values`),
its per-epoch values are the numeric columns of its ``history.csv`` with
step = ``epoch``, named as there (``loss``, ``val_loss``, ``val_accuracy``,
``time``), and its status maps to the tracker's (:data:`TB_STATUS`,
:data:`MLFLOW_STATUS`). Missing and non-finite values (a diverged run's last
epochs) are left out: MLflow's SQL store cannot keep an infinity, and the
run's status and ``diverged_epoch`` say where it diverged (TensorBoard keeps
float32: a value beyond 3.4e38 shows as infinite there). A run started
``wall_time`` seconds before its ``result.json`` was written, and each epoch
``time`` seconds after its start: the trackers show those times.

The writers are optional packages, imported only when an export runs:
``pip install "sweepnet[tensorboard]"`` (tensorboardX) and
``pip install "sweepnet[mlflow]"`` (mlflow-skinny, sqlalchemy, alembic).
Bad input (not a run or sweep, nothing finished, a missing package, a bad
target) raises ``ValueError``, ``FileNotFoundError`` or ``ImportError`` before
anything is written.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import math
import numbers
import os
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd

from .. import rundir
from ..progress import Progress
from ..registry import close_name
from .sweep import load

TRACKERS = ("tensorboard", "mlflow")
#: a job's status as a TensorBoard HParams session status (it has no "aborted")
TB_STATUS = {rundir.OK: "STATUS_SUCCESS", rundir.DIVERGED: "STATUS_FAILURE",
             rundir.FAILED: "STATUS_FAILURE", rundir.INTERRUPTED: "STATUS_UNKNOWN",
             rundir.PRUNED: "STATUS_UNKNOWN"}
#: a job's status as an MLflow run status
MLFLOW_STATUS = {rundir.OK: "FINISHED", rundir.DIVERGED: "FAILED", rundir.FAILED: "FAILED",
                 rundir.INTERRUPTED: "KILLED", rundir.PRUNED: "KILLED"}
#: the figures of a run or sweep directory logged as MLflow artifacts (and its report page)
FIGURES = ("png", "svg", "pdf")
#: what a TensorBoard event file's name starts with
EVENTS = "events.out.tfevents."
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
            values = {c: float(row[c]) for c in columns if _finite(row.get(c))}
            if values:
                elapsed = row.get("time")
                rows.append((int(row["epoch"]),
                             self.start + (float(elapsed) if _finite(elapsed) else 0.0), values))
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


def _finite(value: Any) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))


def _read_sweep(path: str | Path) -> Export:
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


# --------------------------------------------------------------------------- TensorBoard


def _tensorboardx() -> SimpleNamespace:
    """tensorboardX's event writer and protos (it imports torch when torch is installed)."""
    try:
        from tensorboardX.event_file_writer import EventsWriter
        from tensorboardX.proto import api_pb2, event_pb2, plugin_hparams_pb2, summary_pb2
    except ImportError as error:
        raise ImportError(f"exporting to TensorBoard needs tensorboardX ({error}): "
                          f'pip install "sweepnet[tensorboard]"') from error
    return SimpleNamespace(EventsWriter=EventsWriter, api=api_pb2, event=event_pb2,
                           hparams=plugin_hparams_pb2, summary=summary_pb2)


def _hparam_types(jobs: list[Job]) -> dict[str, str]:
    """Each hyperparameter's HParams data type, the same for every job: a key that is a
    number in one job and text in another is text everywhere."""
    types = {}
    for name in sorted({k for job in jobs for k in job.hparams}):
        values = [job.hparams[name] for job in jobs if name in job.hparams]
        if all(isinstance(v, bool) for v in values):
            types[name] = "DATA_TYPE_BOOL"
        elif all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
            types[name] = "DATA_TYPE_FLOAT64"
        else:
            types[name] = "DATA_TYPE_STRING"
    return types


def _check_logdir(logdir: Path, names: list[str]) -> None:
    """Refuse a LOGDIR that is a file or sweepnet's, or a job directory ``logdir/<name>``
    holding anything but event files: an export replaces those directories' files."""
    if logdir.exists() and not logdir.is_dir():
        raise ValueError(f"{logdir} is a file; LOGDIR is a directory (created if needed)")
    kind = rundir.kind_of(logdir)
    if kind is not None:
        raise ValueError(f"{logdir} is a sweepnet {kind} directory; export into a directory "
                         f"of its own, e.g. {logdir / 'tensorboard'}")
    for name in names:
        target = logdir / name
        if target.exists() and not target.is_dir():
            raise ValueError(f"{target} is a file, not a TensorBoard run's directory; nothing "
                             f"is replaced: choose another LOGDIR")
        stranger = next((p for p in sorted(target.iterdir())
                         if not (p.is_file() and p.name.startswith(EVENTS))), None) \
            if target.is_dir() else None
        if stranger is not None:
            raise ValueError(f"{target} holds {stranger.name}, which is not a TensorBoard "
                             f"event file; nothing is replaced: choose another LOGDIR, or "
                             f"empty this one")


def export_tensorboard(path: str | Path, logdir: str | Path) -> Path:
    """Write a sweep's runs as TensorBoard runs with HParams; return the logdir.

    ``logdir/<job>`` (``logdir/<run directory name>`` for a single run) holds
    one run per job: its HParams session start (the job's overrides), one
    scalar series per history column (step = epoch) and its session end
    (:data:`TB_STATUS`); ``logdir`` itself holds the ``_hparams_/experiment``
    record (every hyperparameter and the metric tags). Re-exporting replaces
    those event files (appending would duplicate every step), so ``logdir``
    holds one sweep's export: a job directory holding other files is refused.
    """
    return _write_tensorboard(_read_sweep(path), Path(logdir))


def _hparams_event(tb: SimpleNamespace, wall_time: float, tag: str, **data) -> Any:
    """An event holding HParams plugin data (``experiment=``, ``session_start_info=``, ...)."""
    content = tb.hparams.HParamsPluginData(version=0, **data).SerializeToString()
    metadata = tb.summary.SummaryMetadata(plugin_data=tb.summary.SummaryMetadata.PluginData(
        plugin_name="hparams", content=content))
    return tb.event.Event(wall_time=wall_time, summary=tb.summary.Summary(
        value=[tb.summary.Summary.Value(tag=tag, metadata=metadata)]))


def _experiment_event(tb: SimpleNamespace, sweep: Export, types: dict[str, str]) -> Any:
    """The sweep's HParams experiment: every hyperparameter and the history columns."""
    experiment = tb.api.Experiment(
        time_created_secs=min(job.start for job in sweep.jobs),
        hparam_infos=[tb.api.HParamInfo(name=name, type=tb.api.DataType.Value(kind))
                      for name, kind in types.items()],
        metric_infos=[tb.api.MetricInfo(name=tb.api.MetricName(tag=tag))
                      for tag in sweep.metrics])
    return _hparams_event(tb, experiment.time_created_secs, "_hparams_/experiment",
                          experiment=experiment)


def _session_events(tb: SimpleNamespace, job: Job, types: dict[str, str],
                    metrics: list[str]) -> list:
    """A job's HParams session start, one event per epoch with its values, session end."""
    start = tb.hparams.SessionStartInfo(group_name=job.name, start_time_secs=job.start)
    for name, value in job.hparams.items():
        if types[name] == "DATA_TYPE_STRING":
            start.hparams[name].string_value = str(value)
        elif types[name] == "DATA_TYPE_BOOL":
            start.hparams[name].bool_value = value
        else:
            start.hparams[name].number_value = float(value)
    events = [_hparams_event(tb, job.start, "_hparams_/session_start_info",
                             session_start_info=start)]
    for epoch, time, values in job.epochs(metrics):
        events.append(tb.event.Event(wall_time=time, step=epoch, summary=tb.summary.Summary(
            value=[tb.summary.Summary.Value(tag=tag, simple_value=value)
                   for tag, value in values.items()])))
    end = tb.hparams.SessionEndInfo(status=tb.api.Status.Value(TB_STATUS[job.status]),
                                    end_time_secs=job.end)
    return events + [_hparams_event(tb, job.end, "_hparams_/session_end_info",
                                    session_end_info=end)]


def _write_events(tb: SimpleNamespace, directory: Path, events: list) -> None:
    """Write ``events`` as the one event file of ``directory``: an earlier export's files
    go (appended, every step would be there twice; and TensorBoard reads the first
    experiment record it finds)."""
    for old in directory.glob(f"{EVENTS}*") if directory.is_dir() else []:
        old.unlink()
    directory.mkdir(parents=True, exist_ok=True)
    writer = tb.EventsWriter(str(directory / "events"))
    for event in events:
        writer.write_event(event)
    writer.close()


def _write_tensorboard(sweep: Export, logdir: Path) -> Path:
    tb = _tensorboardx()
    logdir = logdir.resolve()
    _check_logdir(logdir, [job.name for job in sweep.jobs])
    types = _hparam_types(sweep.jobs)
    _write_events(tb, logdir, [_experiment_event(tb, sweep, types)])
    for job in sweep.jobs:
        _write_events(tb, logdir / job.name, _session_events(tb, job, types, sweep.metrics))
    return logdir


# --------------------------------------------------------------------------- MLflow


@dataclass
class Store:
    """Where an MLflow export goes: the tracking URI, as MLflow is given it, and where a new
    experiment keeps its artifacts (``None``: the store's own choice)."""

    uri: str
    kind: str  # "sqlite", "file" or "http"
    artifacts: str | None = None

    @property
    def view(self) -> str:
        """The command that shows the export."""
        if self.kind == "http":
            return f"open {self.uri}"
        # MLflow 3 reads a directory store only when told to (maintenance mode)
        flag = "MLFLOW_ALLOW_FILE_STORE=true " if self.kind == "file" else ""
        return f"{flag}mlflow ui --backend-store-uri {shlex.quote(self.uri)}"


ALLOWED_URIS = ("sqlite:///PATH.db, a directory (or file:///PATH), or the http(s):// address "
                "of a tracking server")


def _tracking_store(uri: str) -> Store:
    """Check a tracking URI and make its paths absolute; ``ValueError`` saying what is allowed.

    ``sqlite:///PATH.db`` (a relative PATH is taken from the current directory; new
    experiments keep their artifacts in ``mlartifacts/`` beside the file), a directory
    or ``file:`` URI (MLflow's file store: artifacts inside it), or ``http(s)://``.
    """
    parsed = urlparse(uri)
    scheme = parsed.scheme.lower()
    if scheme == "sqlite":
        name = unquote(uri.split(":", 1)[1])
        if not name.startswith("///") or name[3:] in ("", ":memory:"):
            raise ValueError(f"tracking URI {uri!r}: a sqlite store is a file, "
                             f"sqlite:///relative.db or sqlite:////absolute/path.db")
        database = Path(name[3:]).resolve()
        if database.is_dir():
            raise ValueError(f"tracking URI {uri!r}: {database} is a directory, not a "
                             f"database file; use a directory as the URI itself for a file "
                             f"store, or sqlite:///{database / 'mlflow.db'}")
        return Store(f"sqlite:///{database}", "sqlite", (database.parent / "mlartifacts").as_uri())
    if scheme in ("", "file"):
        if scheme == "file" and parsed.netloc not in ("", "localhost"):
            raise ValueError(f"tracking URI {uri!r}: a file: URI names a local directory "
                             f"(file:///PATH)")
        directory = Path(unquote(parsed.path) if scheme == "file" else uri).resolve()
        if directory.exists() and not directory.is_dir():
            raise ValueError(f"tracking URI {uri!r}: {directory} is a file; a file store is a "
                             f"directory (created if needed); a database is sqlite:///PATH.db")
        return Store(directory.as_uri(), "file")
    if scheme in ("http", "https") and parsed.netloc:
        return Store(uri.rstrip("/"), "http")
    raise ValueError(f"unsupported tracking URI {uri!r}: use {ALLOWED_URIS}")


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the block only, then restore them as they were."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _mlflow_client(store: Store):
    """An ``MlflowClient`` on ``store``, its first request made (``ValueError`` if it fails).

    MLflow 3 builds a file store only with ``MLFLOW_ALLOW_FILE_STORE=true``, read when
    the client builds its store (once: the client keeps it), so the flag is set around
    that first request only; a server is asked once, without MLflow's minutes of retries.
    """
    try:
        from mlflow.tracking import MlflowClient
    except ImportError as error:
        raise ImportError(f"exporting to MLflow needs mlflow-skinny ({error}): "
                          f'pip install "sweepnet[mlflow]"') from error
    if store.kind == "sqlite":
        _require("mlflow", "sqlalchemy", "alembic")
    settings = {"file": {"MLFLOW_ALLOW_FILE_STORE": "true"},
                "http": {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
                         "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}}.get(store.kind, {})
    try:
        with _environment(**settings):
            client = MlflowClient(tracking_uri=store.uri)
            client.search_experiments(max_results=1)
    except Exception as error:  # MlflowException, or the database's own (not a database...)
        reason = " ".join(f"{type(error).__name__}: {error}".split())
        raise ValueError(f"cannot use the MLflow tracking store {store.uri}: "
                         f"{reason[:300]}{'...' if len(reason) > 300 else ''}") from error
    return client


def _experiment_id(client, name: str, artifacts: str | None) -> str:
    """The id of the experiment ``name``, created (artifacts in ``artifacts``) if needed."""
    from mlflow.exceptions import MlflowException

    try:
        found = client.get_experiment_by_name(name)
        if found is None:
            return client.create_experiment(name, artifact_location=artifacts)
    except MlflowException as error:
        raise ValueError(f"MLflow experiment {name!r}: {' '.join(str(error).split())}") \
            from error
    if found.lifecycle_stage != "active":
        raise ValueError(f"MLflow experiment {name!r} was deleted: restore it (mlflow "
                         f"experiments restore --experiment-id {found.experiment_id}) or "
                         f"choose another --experiment")
    return found.experiment_id


def _tag_value(value: Any) -> str | None:
    """A summary value as an MLflow tag: text, or ``true``/``false``; ``None`` otherwise."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return value if isinstance(value, str) else None


def _summary_entries(job: Job, parameters: list[str]) -> tuple[dict[str, float], dict[str, str]]:
    """A job's summary row as MLflow metrics (its finite numbers: ``final_loss``,
    ``convergence_epoch``, ...) and tags (its names, text and verdicts: ``job``, ``status``,
    ``ending``, ``stuck``, ``stuck_reason``, ...); the swept parameters are params."""
    metrics, tags = {}, {}
    for key, value in job.row.items():
        if key in parameters:
            continue
        tag = _tag_value(value)
        if key in NAMING and not pd.isna(value):
            tags[key] = str(value)
        elif tag is not None:
            tags[key] = tag
        elif _finite(value):
            metrics[key] = float(value)
    return metrics, tags


def _log(client, run_id: str, metrics=(), params=(), tags=()) -> None:
    """``log_batch`` in chunks of at most MLflow's limits per request."""
    from mlflow.utils.validation import MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH

    params, tags, metrics = list(params), list(tags), list(metrics)
    for first in range(0, len(params), MAX_PARAMS_TAGS_PER_BATCH):
        client.log_batch(run_id, params=params[first:first + MAX_PARAMS_TAGS_PER_BATCH])
    for first in range(0, len(tags), MAX_PARAMS_TAGS_PER_BATCH):
        client.log_batch(run_id, tags=tags[first:first + MAX_PARAMS_TAGS_PER_BATCH])
    for first in range(0, len(metrics), MAX_METRICS_PER_BATCH):
        client.log_batch(run_id, metrics=metrics[first:first + MAX_METRICS_PER_BATCH])


def _tags(values: dict[str, str]) -> list:
    from mlflow.entities import RunTag
    from mlflow.utils.validation import MAX_TAG_VAL_LENGTH

    return [RunTag(key, value[:MAX_TAG_VAL_LENGTH]) for key, value in values.items()]


def _log_files(client, run_id: str, directory: Path) -> None:
    """The figures of a run or sweep directory (``figures/``) and its ``report.html``."""
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.suffix[1:] in FIGURES:
            client.log_artifact(run_id, str(path), "figures")
        elif path.is_file() and path.name == rundir.REPORT_PAGE:
            client.log_artifact(run_id, str(path))


def _ms(unix_time: float) -> int:
    return max(0, int(round(unix_time * 1000)))


def _log_job(client, experiment_id: str, parent_id: str, job: Job, sweep: Export) -> str:
    """One child run: the job's overrides, history, summary and files; its id."""
    from mlflow.entities import Metric, Param
    from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID

    summary, tags = _summary_entries(job, sweep.parameters)
    run_id = client.create_run(experiment_id, start_time=_ms(job.start), run_name=job.name,
                               tags={MLFLOW_PARENT_RUN_ID: parent_id}).info.run_id
    history = [Metric(column, value, _ms(time), epoch)
               for epoch, time, values in job.epochs(sweep.metrics)
               for column, value in values.items()]
    _log(client, run_id, params=[Param(k, str(v)) for k, v in job.hparams.items()],
         tags=_tags({**tags, "sweepnet.dir": str(job.path)}),
         metrics=history + [Metric(k, v, _ms(job.end), 0) for k, v in summary.items()])
    _log_files(client, run_id, job.path)
    client.set_terminated(run_id, MLFLOW_STATUS[job.status], end_time=_ms(job.end))
    return run_id


def export_mlflow(path: str | Path, tracking_uri: str, experiment: str | None = None) -> str:
    """Log a sweep to MLflow as a parent run with one child run per job; return the parent's id.

    ``tracking_uri`` is ``sqlite:///PATH.db`` (a new experiment keeps its
    artifacts in ``mlartifacts/`` beside the file), a directory or ``file:`` URI
    (MLflow's file store, artifacts inside it), or a tracking server's
    ``http(s)://`` address; relative paths are taken from the current directory.
    ``experiment`` (default: the sweep directory's name) is found or created.

    The parent run holds what every job shares (its common overrides as
    params), tags (``sweepnet.kind``, ``sweepnet.dir``, ``swept``, ``jobs``,
    ``statuses``) and the sweep's figures and ``report.html``. Each child (tag
    ``mlflow.parentRunId``, named after its job) holds the job's overrides as
    params, its history per epoch (step = epoch), its row of the summary (the
    finite numbers as metrics: ``final_loss``, ``convergence_epoch``, ...; text
    and verdicts as tags: ``status``, ``ending``, ``stuck``, ``stuck_reason``,
    ...), its own directory's figures and page, and ends ``FINISHED``,
    ``FAILED`` or ``KILLED`` (:data:`MLFLOW_STATUS`).

    Every export makes new runs: exporting a sweep again adds a second parent
    with its children (MLflow keeps runs as logged; a param cannot change), and
    the earlier ones stay until deleted (``sweepnet.dir`` finds them).
    """
    return _write_mlflow(_read_sweep(path), _tracking_store(tracking_uri), experiment)[1]


def _write_mlflow(sweep: Export, store: Store, experiment: str | None) -> tuple[str, str]:
    """Export ``sweep`` into ``store``: (experiment id, parent run id)."""
    name = sweep.path.name if experiment is None else experiment
    if not name.strip():
        raise ValueError("an MLflow experiment needs a name: --experiment NAME")
    client = _mlflow_client(store)  # first: it says which package is missing
    from mlflow.entities import Param

    experiment_id = _experiment_id(client, name, store.artifacts)
    statuses = pd.Series([job.status for job in sweep.jobs]).value_counts()
    parent_id = client.create_run(experiment_id, run_name=sweep.path.name,
                                  start_time=_ms(min(job.start for job in sweep.jobs))
                                  ).info.run_id
    try:
        _log(client, parent_id, params=[Param(k, str(v)) for k, v in sweep.fixed.items()],
             tags=_tags({"sweepnet.kind": rundir.SWEEP if sweep.is_sweep else rundir.RUN,
                         "sweepnet.dir": str(sweep.path), "swept": ", ".join(sweep.parameters),
                         "jobs": str(len(sweep.jobs)),
                         "statuses": ", ".join(f"{n} {s}" for s, n in statuses.items())}))
        if sweep.is_sweep:  # a single run's files are its own: on its child
            _log_files(client, parent_id, sweep.path)
        progress = Progress("MLflow: runs logged", len(sweep.jobs))
        for done, job in enumerate(sweep.jobs):
            progress.update(done)
            _log_job(client, experiment_id, parent_id, job, sweep)
        progress.close()
    except BaseException:
        client.set_terminated(parent_id, "KILLED")
        raise
    client.set_terminated(parent_id, "FINISHED", end_time=_ms(max(job.end for job in sweep.jobs)))
    return experiment_id, parent_id


# --------------------------------------------------------------------------- both


_EXPORTERS = {"tensorboard": export_tensorboard, "mlflow": export_mlflow}
#: the package each tracker's export imports, by the extra that installs it
_PACKAGES = {"tensorboard": "tensorboardX", "mlflow": "mlflow"}


def _require(extra: str, *modules: str) -> None:
    """``ImportError`` naming ``sweepnet[extra]`` when one of ``modules`` is not installed."""
    absent = [m for m in modules if importlib.util.find_spec(m) is None]
    if absent:
        raise ImportError(f"{' and '.join(absent)} {'is' if len(absent) == 1 else 'are'} "
                          f'not installed: pip install "sweepnet[{extra}]"')


def _known(tracker: str) -> str:
    if tracker not in _EXPORTERS:
        close = close_name(str(tracker), TRACKERS)
        hint = f" Did you mean {close!r}?" if close else ""
        raise ValueError(f"unknown tracker {tracker!r}: one of {', '.join(TRACKERS)}.{hint}")
    return tracker


def check_target(tracker: str, target: str | Path | None) -> None:
    """Check that :func:`export` could write to ``target`` before there is anything to export
    (before a sweep runs): the tracker's name, its package, the target's form (a LOGDIR
    that is neither a file nor sweepnet's; a tracking URI of a kind :func:`export_mlflow`
    writes to; ``None``: the default, :func:`default_target`).

    Raises ``ValueError`` or ``ImportError``; writes nothing and asks no server.
    """
    _require(_known(tracker), _PACKAGES[tracker])
    if target is None:
        _require(tracker, *(("sqlalchemy", "alembic") if tracker == "mlflow" else ()))
    elif tracker == "tensorboard":
        _check_logdir(Path(target).resolve(), [])
    elif _tracking_store(str(target)).kind == "sqlite":
        _require(tracker, "sqlalchemy", "alembic")


def default_target(path: str | Path, tracker: str) -> str:
    """Where ``report.export`` writes a run or sweep when no target is set: inside its own
    directory, ``tensorboard/`` (a logdir) or ``mlflow.db`` (a sqlite tracking store)."""
    path = Path(path).absolute()
    return str(path / "tensorboard") if _known(tracker) == "tensorboard" else \
        f"sqlite:///{path / 'mlflow.db'}"


def export(path: str | Path, tracker: str, target: str | Path) -> Path | str:
    """Export a run or sweep directory to ``tracker`` (one of :data:`TRACKERS`) at ``target``
    (a TensorBoard logdir, an MLflow tracking URI); what that exporter returns."""
    return _EXPORTERS[_known(tracker)](path, target)


def _left_out(sweep: Export) -> list[str]:
    lines = [f"left out: job {job}: {problem}" for job, problem in sweep.problems.items()]
    if sweep.missing:
        lines.append(f"left out: {len(sweep.missing)} unfinished job(s) (no result.json yet): "
                     f"{', '.join(sweep.missing)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sweepnet-export``."""
    parser = argparse.ArgumentParser(
        prog="sweepnet-export",
        description="Export a sweepnet run or sweep directory to TensorBoard (HParams) or "
                    "MLflow, from what is on disk.")
    trackers = parser.add_subparsers(dest="tracker", required=True, metavar="TRACKER")
    tensorboard = trackers.add_parser(
        "tensorboard", help="one TensorBoard run per job, with HParams, under LOGDIR",
        description="Write one TensorBoard run per job (HParams session, one scalar per "
                    "history column) into LOGDIR/<job>, replacing an earlier export.")
    tensorboard.add_argument("path", type=Path, metavar="SWEEP", help="a run or sweep directory")
    tensorboard.add_argument("logdir", type=Path, metavar="LOGDIR",
                             help="the TensorBoard log directory (created if needed)")
    mlflow = trackers.add_parser(
        "mlflow", help="a parent MLflow run with one child run per job",
        description="Log a parent MLflow run for the sweep with one child run per job.")
    mlflow.add_argument("path", type=Path, metavar="SWEEP", help="a run or sweep directory")
    mlflow.add_argument("tracking_uri", metavar="TRACKING_URI", help=ALLOWED_URIS)
    mlflow.add_argument("--experiment", metavar="NAME",
                        help="the MLflow experiment (default: the directory's name)")
    args = parser.parse_args(argv)
    try:
        sweep = _read_sweep(args.path)
        if args.tracker == "tensorboard":
            where = _write_tensorboard(sweep, args.logdir)
            wrote = f"{where} (one directory per job, the HParams experiment at the top)"
            view = f"tensorboard --logdir {shlex.quote(str(where))}"
        else:
            store = _tracking_store(args.tracking_uri)
            experiment_id, parent_id = _write_mlflow(sweep, store, args.experiment)
            name = sweep.path.name if args.experiment is None else args.experiment
            wrote = (f"MLflow experiment {name!r} (id {experiment_id}) at {store.uri}: "
                     f"parent run {parent_id} with one child run per job")
            view = store.view
    except (FileNotFoundError, ValueError, ImportError) as error:
        print(f"sweepnet-export: error: {error}", file=sys.stderr)
        return 2
    runs = len(sweep.jobs)
    print(f"wrote {runs} run{'s' * (runs != 1)} of {sweep.path} to {wrote}")
    for line in _left_out(sweep):
        print(line)
    print(f"view: {view}")
    return 0


__all__ = ["MLFLOW_STATUS", "TB_STATUS", "TRACKERS", "check_target", "default_target", "export",
           "export_mlflow", "export_tensorboard", "main"]


if __name__ == "__main__":
    sys.exit(main())

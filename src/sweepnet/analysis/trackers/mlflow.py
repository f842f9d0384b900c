"""Export to MLflow: a parent run per sweep with one child run per job
(:func:`export_mlflow`; MlflowClient of mlflow-skinny)."""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd

from ... import rundir
from ...progress import Progress
from .read import FIGURES, NAMING, Export, Job, finite, read_export, require

#: a job's status as an MLflow run status
MLFLOW_STATUS = {rundir.OK: "FINISHED", rundir.DIVERGED: "FAILED", rundir.FAILED: "FAILED",
                 rundir.INTERRUPTED: "KILLED", rundir.PRUNED: "KILLED"}


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


def tracking_store(uri: str) -> Store:
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
        require("mlflow", "sqlalchemy", "alembic")
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
        elif finite(value):
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
    return write_mlflow(read_export(path), tracking_store(tracking_uri), experiment)[1]


def write_mlflow(sweep: Export, store: Store, experiment: str | None) -> tuple[str, str]:
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

"""Export to TensorBoard: one run per job with its HParams session and one scalar per
history column (:func:`export_tensorboard`; the writer is tensorboardX)."""

from __future__ import annotations

import numbers
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ... import rundir
from .read import Export, Job, read_export

#: a job's status as a TensorBoard HParams session status (it has no "aborted")
TB_STATUS = {rundir.OK: "STATUS_SUCCESS", rundir.DIVERGED: "STATUS_FAILURE",
             rundir.FAILED: "STATUS_FAILURE", rundir.INTERRUPTED: "STATUS_UNKNOWN",
             rundir.PRUNED: "STATUS_UNKNOWN"}
#: what a TensorBoard event file's name starts with
EVENTS = "events.out.tfevents."


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


def check_logdir(logdir: Path, names: list[str]) -> None:
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
    return write_tensorboard(read_export(path), Path(logdir))


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


def write_tensorboard(sweep: Export, logdir: Path) -> Path:
    tb = _tensorboardx()
    logdir = logdir.resolve()
    check_logdir(logdir, [job.name for job in sweep.jobs])
    types = _hparam_types(sweep.jobs)
    _write_events(tb, logdir, [_experiment_event(tb, sweep, types)])
    for job in sweep.jobs:
        _write_events(tb, logdir / job.name, _session_events(tb, job, types, sweep.metrics))
    return logdir

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

The package: :mod:`.read` reads a directory for export, :mod:`.tensorboard` and
:mod:`.mlflow` write it, this module picks the tracker by name and is the command.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ...registry import close_name
from .mlflow import ALLOWED_URIS, MLFLOW_STATUS, export_mlflow, tracking_store, write_mlflow
from .read import Export, read_export, require
from .tensorboard import TB_STATUS, check_logdir, export_tensorboard, write_tensorboard

TRACKERS = ("tensorboard", "mlflow")


_EXPORTERS = {"tensorboard": export_tensorboard, "mlflow": export_mlflow}
#: the package each tracker's export imports, by the extra that installs it
_PACKAGES = {"tensorboard": "tensorboardX", "mlflow": "mlflow"}


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
    require(_known(tracker), _PACKAGES[tracker])
    if target is None:
        require(tracker, *(("sqlalchemy", "alembic") if tracker == "mlflow" else ()))
    elif tracker == "tensorboard":
        check_logdir(Path(target).resolve(), [])
    elif tracking_store(str(target)).kind == "sqlite":
        require(tracker, "sqlalchemy", "alembic")


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
        sweep = read_export(args.path)
        if args.tracker == "tensorboard":
            where = write_tensorboard(sweep, args.logdir)
            wrote = f"{where} (one directory per job, the HParams experiment at the top)"
            view = f"tensorboard --logdir {shlex.quote(str(where))}"
        else:
            store = tracking_store(args.tracking_uri)
            experiment_id, parent_id = write_mlflow(sweep, store, args.experiment)
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

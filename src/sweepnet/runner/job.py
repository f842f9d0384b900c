"""Train one run and write its directory through :mod:`sweepnet.rundir`.

``result.json`` is written last and atomically, so a directory whose
``result.json`` says ``ok`` holds a complete run; re-running a sweep skips
those jobs (resume after a crash or Ctrl-C).
"""

from __future__ import annotations

import logging
import platform
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__, rundir
from ..analysis.curves import judge, read_curve
from ..rundir import FAILED, OK, clean_overrides
from .build import ConfigError, build
from .references import time_scale, trivial_levels

log = logging.getLogger("sweepnet")


def _versions() -> dict[str, str]:
    import hydra
    import pandas as pd

    return {"sweepnet": __version__, "numpy": np.__version__, "pandas": pd.__version__,
            "hydra-core": hydra.__version__, "python": platform.python_version()}


def _metrics(history) -> dict[str, dict[str, float | None]]:
    final, best = {}, {}
    for column in ("loss", "val_loss", "val_accuracy"):
        if column in history and len(history):
            values = history[column]
            final[column] = float(values.iloc[-1])
            finite = values[np.isfinite(values)]
            pick = finite.max() if column == "val_accuracy" else finite.min()
            best[column] = None if finite.empty else float(pick)
    return {"final": final, "best": best}


def _progress(every: int, epochs: int, rows: list[dict]):
    """The per-epoch callback: keeps every row (for an interrupted run) and logs progress."""

    def report(row: dict) -> None:
        rows.append(row)
        if every <= 0:
            return
        epoch = row["epoch"]
        if epoch % every == 0 or epoch == epochs:
            extra = "".join(f"  {k} {row[k]:.4f}" for k in ("val_loss", "val_accuracy") if k in row)
            log.info(f"epoch {epoch:>{len(str(epochs))}}/{epochs}  loss {row['loss']:.6f}"
                     f"{extra}  ({row['time']:.1f} s)")

    return report


def _surface(experiment) -> dict | None:
    """The decision surface a two-feature, one-output run saves for its plots."""
    X = experiment.X_train
    model = experiment.model
    if X.ndim != 2 or X.shape[1] != 2 or model.forward(X[:1]).shape[-1] != 1:
        return None
    from ..analysis.surface import decision_surface

    def predict(points):
        return model.forward(np.asarray(points, dtype=model.dtype))

    return decision_surface(predict, X, experiment.y_train, names=experiment.feature_names,
                            standardized=experiment.standardized)


_BASELINE_NAMES = {"logreg": "LogisticRegression", "mlp": "MLPClassifier"}


def _baseline_scores(baselines: dict) -> str:
    """One line for the log: each baseline's validation (or training) accuracy."""
    parts = []
    for key, scores in baselines.items():
        name = _BASELINE_NAMES.get(key, key)
        if "skipped" in scores:
            parts.append(f"{name} skipped ({scores['skipped']})")
            continue
        column = "val_accuracy" if "val_accuracy" in scores else "train_accuracy"
        which = "validation" if column == "val_accuracy" else "training"
        text = f"{name} {which} accuracy {scores[column]:.4g}"
        if "n_iter" in scores:
            text += f" after {scores['n_iter']} iterations"
        parts.append(text)
    return "; ".join(parts)


def _keep_trained(run_dir: Path, record: dict, experiment, history, status: str) -> None:
    """Write what a run trained (its history and weights) and fill ``record`` with it:
    its metrics, what its verdicts are judged against (``runner/references.py``) and its
    verdicts on its own (a sweep's tables judge it against the runs of its start too)."""
    rundir.write_history(run_dir, history)
    rundir.write_model(run_dir, experiment.model.state_dict())
    record.update(status=status, epochs=len(history), epochs_requested=experiment.epochs,
                  **_metrics(history))
    if history.attrs.get("stopped"):  # early stopping: when and why
        record["stopped"] = history.attrs["stopped"]
    trainer = experiment.trainer
    levels = trivial_levels(trainer, experiment.X_train, experiment.y_train)
    scale = time_scale(trainer, len(experiment.X_train))
    record.update(start=experiment.start, levels=levels, **scale)
    if "loss" in history:
        reading = read_curve(history["loss"].to_numpy(float), scale["updates_per_epoch"])
        record["verdict"] = judge(reading, levels).as_record()


def keep_interrupted(run: Run, rows: list[dict]) -> None:
    """Write what an interrupted run trained (status ``interrupted``) and say where it is."""
    import pandas as pd

    _keep_trained(run.run_dir, run.record, run.experiment, pd.DataFrame(rows),
                  rundir.INTERRUPTED)
    run.record["wall_time"] = time.perf_counter() - run.start
    rundir.write_result(run.run_dir, run.record)
    log.warning(f"{run.label}: interrupted after {run.record.get('epochs', 0)} epochs; what "
                f"it trained is kept in {run.run_dir} (status {run.record['status']})")


@dataclass
class Run:
    """A run that is about to train: its config, directory, record and built experiment."""

    cfg: Any
    run_dir: Path
    record: dict
    label: str
    start: float
    experiment: Any = None


def start_run(cfg: Any, run_dir: Path, overrides: list[str], label: str = "run"
              ) -> Run | dict:
    """Claim ``run_dir`` for ``cfg`` and return the :class:`Run`.

    A run already finished there with the same overrides (and files that check
    out) is not trained again: its record is returned instead (resume).
    """
    run_dir = Path(run_dir)
    overrides = clean_overrides(list(overrides))
    previous, _, problem = rundir.check_run(run_dir)
    if previous is not None and problem is None and previous.get("status") == OK \
            and previous.get("overrides") == overrides:
        log.info(f"{label}: {' '.join(overrides) or '(defaults)'}: already done, skipped")
        return previous
    rundir.claim(run_dir, rundir.RUN)
    rundir.remove_run_files(run_dir)
    record: dict[str, Any] = {"status": FAILED, "overrides": overrides,
                              "seed": cfg.get("seed", 0),
                              "data_seed": cfg.dataset.get("seed", cfg.get("seed", 0)),
                              "versions": _versions()}
    return Run(cfg, run_dir, record, label, time.perf_counter())


def finish_run(run: Run, history=None, error: BaseException | None = None) -> dict:
    """Write a trained run's files (or its error) and its ``result.json``; log one line.

    ``history`` is what ``Trainer.fit`` returned for ``run.experiment``, whose
    model holds the trained weights.
    """
    record = run.record
    if error is None:
        try:
            _keep_trained(run.run_dir, record, run.experiment, history,
                          history.attrs["status"])
            surface = _surface(run.experiment)
            if surface is not None:
                rundir.write_surface(run.run_dir, surface)
            if run.cfg.get("baseline") is not None:
                from .baselines import sklearn_baselines

                record["baselines"] = sklearn_baselines(run.cfg, run.experiment)
        except Exception as exc:
            error = exc
    if error is not None:
        record["status"] = FAILED
        record["error"] = f"{type(error).__name__}: {error}"
        if not isinstance(error, ConfigError):
            record["traceback"] = "".join(traceback.format_exception(error))
    record["wall_time"] = time.perf_counter() - run.start
    rundir.write_result(run.run_dir, record)
    what = " ".join(record["overrides"]) or "(defaults)"
    if error is None:
        final = record["final"]
        accuracy = final.get("val_accuracy")
        log.info(f"{run.label}: {what}: {record['status']}, final loss "
                 f"{final.get('loss', float('nan')):.6g}"
                 + ("" if accuracy is None else f", validation accuracy {accuracy:.4g}")
                 + f" after {record['epochs']} epochs ({record['wall_time']:.1f} s)")
        if record.get("baselines"):
            log.info(f"{run.label}: scikit-learn on the same data: "
                     f"{_baseline_scores(record['baselines'])}")
    else:
        log.error(f"{run.label}: {what}: failed: {record['error']}")
    return record


def run_job(cfg: Any, run_dir: Path, overrides: list[str], label: str = "run",
            single: bool = True) -> dict:
    """Train the run ``cfg`` into ``run_dir`` and return its result record.

    A run that fails (an exception while building or training) is recorded with
    status ``failed`` and the error; with ``single=True`` the error is raised
    again after recording, in a sweep the next job goes on. Interrupted
    (Ctrl-C, or SIGTERM turned into :class:`KeyboardInterrupt` by the command),
    it keeps the epochs trained so far, records the status ``interrupted`` and
    lets the interrupt go on.
    """
    run = start_run(cfg, run_dir, overrides, label)
    if not isinstance(run, Run):
        return run
    rows: list[dict] = []
    history = error = None
    try:
        run.experiment = experiment = build(cfg)
        validation = None
        if experiment.X_val is not None:
            validation = (experiment.X_val, experiment.y_val)
        every = int(cfg.trainer.get("log_every", 0) or 0) if single else 0
        history = experiment.trainer.fit(experiment.X_train, experiment.y_train,
                                         experiment.epochs, validation_data=validation,
                                         on_epoch_end=_progress(every, experiment.epochs, rows))
    except KeyboardInterrupt:
        if run.experiment is not None:
            keep_interrupted(run, rows)
        raise
    except Exception as exc:  # recorded, then re-raised for single runs
        error = exc
    record = finish_run(run, history, error)
    if error is not None and single:
        raise error
    return record

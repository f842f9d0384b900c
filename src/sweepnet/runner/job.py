"""A run's directory, step by step: claim it (or resume it), write what trained, record it.

All through :mod:`sweepnet.rundir`. ``result.json`` is written last and
atomically, so a directory whose ``result.json`` says ``ok`` holds a complete
run; re-running a sweep skips those jobs, and continues interrupted ones from
their checkpoint (:mod:`sweepnet.runner.pipeline` trains them).
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
from ..analysis.curves import judge, read_curve, scheduled_lr
from ..progress import duration
from ..rundir import FAILED, OK, clean_overrides
from ..snapshots import nearest, plateau_middle
from .build import ConfigError
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


def _surface(experiment, reading=None) -> dict | None:
    """The decision surface a two-feature, one-output run saves for its plots: at the end,
    and at the snapshots its figures draw (:func:`_drawn_snapshots`)."""
    X = experiment.X_train
    model = experiment.model
    if X.ndim != 2 or X.shape[1] != 2 or model.forward(X[:1]).shape[-1] != 1:
        return None
    from ..analysis.surface import decision_surface

    def surface():
        return decision_surface(lambda points: model.forward(np.asarray(points, model.dtype)),
                                X, experiment.y_train, names=experiment.feature_names,
                                scaling=experiment.scaling)

    final = surface()
    epochs = _drawn_snapshots(experiment.trainer, reading)
    if epochs:
        trained = model.state_dict()
        grids = []
        for epoch in epochs:
            model.load_state_dict(experiment.trainer.snapshots_[epoch])
            grids.append(surface()["z"])
        model.load_state_dict(trained)
        final.update(snapshot_epochs=np.array(epochs), snapshot_z=np.stack(grids),
                     snapshot_mode=np.array(experiment.trainer.snapshots.name == "log"
                                            and "plateaus" or "epochs"))
    return final


def _drawn_snapshots(trainer, reading) -> list[int]:
    """The snapshot epochs whose decision boundaries a run saves: every chosen epoch, or
    with log-spaced snapshots (``report.snapshots=plateaus``) the one nearest the middle
    of each flat stretch of its curve (a plateau it left, or the stretch it ends on, which
    the sweep may judge a plateau)."""
    kept = sorted(trainer.snapshots_)
    if not kept or trainer.snapshots is None:
        return []
    if trainer.snapshots.name != "log":
        return kept
    stretches = [] if reading is None else [*reading.plateaus, *(
        [reading.final] if reading.final is not None else [])]
    return sorted({nearest(kept, plateau_middle(s.start, s.end)) for s in stretches})


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


def _keep_trained(run_dir: Path, record: dict, experiment, history, status: str):
    """Write what a run trained (its history, weights and snapshots) and fill ``record``
    with it: its metrics, what its verdicts are judged against (``runner/references.py``)
    and its verdicts on its own (a sweep's tables judge it against the runs of its start
    too). Returns its curve's reading (None without a loss column)."""
    rundir.write_history(run_dir, history)
    rundir.write_model(run_dir, experiment.model.state_dict())
    if experiment.trainer.snapshots_:
        rundir.write_snapshots(run_dir, experiment.trainer.snapshots_)
    record.update(status=status, epochs=len(history), epochs_requested=experiment.epochs,
                  **_metrics(history))
    if history.attrs.get("stopped"):  # early stopping (or a search's pruning): when and why
        record["stopped"] = history.attrs["stopped"]
    trainer = experiment.trainer
    levels = trivial_levels(trainer, experiment.X_train, experiment.y_train)
    scale = time_scale(trainer, len(experiment.X_train))
    record.update(start=experiment.start, levels=levels, **scale)
    if "loss" in history:
        reading = read_curve(history["loss"].to_numpy(float), scale["updates_per_epoch"],
                             lr=scheduled_lr(history))
        record["verdict"] = judge(reading, levels).as_record()
        return reading
    return None


def keep_interrupted(run: Run, checkpoint: bool = True) -> None:
    """Write what an interrupted run trained (status ``interrupted``) and say where it is.

    With ``checkpoint`` (it stopped at the end of an epoch, where its state is
    whole) the trainer's state is kept too, and a resume continues from it;
    otherwise a resume trains the run again from its first epoch.
    """
    import pandas as pd

    trainer = run.experiment.trainer
    history = getattr(trainer, "history_", None)
    history = pd.DataFrame() if history is None else history
    _keep_trained(run.run_dir, run.record, run.experiment, history, rundir.INTERRUPTED)
    if checkpoint and len(history):
        rundir.write_checkpoint(run.run_dir, trainer.get_state())
    run.record["wall_time"] = run.wall_time()
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
    resumed: dict | None = None  # the checkpoint it continues from
    before: float = 0.0  # wall time spent before an interruption

    def wall_time(self) -> float:
        return self.before + time.perf_counter() - self.start

    @property
    def epochs_left(self) -> int:
        """The epochs it still trains (all, unless it continues a checkpoint)."""
        done = len(self.resumed["history"].get("epoch", ())) if self.resumed else 0
        return max(self.experiment.epochs - done, 0)


#: config sections that do not change what a run computes: resume ignores them
NOT_COMPUTED = ("report", "resume", "objective")


def _computed(cfg: Any) -> dict:
    """A run's config as plain data, interpolations resolved, without :data:`NOT_COMPUTED`."""
    from omegaconf import OmegaConf

    container = OmegaConf.to_container(cfg, resolve=True) if OmegaConf.is_config(cfg) else cfg
    return {k: v for k, v in container.items() if k not in NOT_COMPUTED}


def config_digest(cfg: Any) -> str:
    """A digest of what a run's composed config makes it compute: what resume compares."""
    import hashlib
    import json

    text = json.dumps(_computed(cfg), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def config_changes(run_dir: Path, cfg: Any, limit: int = 5) -> list[str]:
    """``key: old -> new`` for what differs between the config a run was trained with
    (its ``.hydra/config.yaml``) and ``cfg`` (at most ``limit``, then how many more)."""
    from omegaconf import OmegaConf

    try:
        old = _computed(OmegaConf.create(rundir.saved_config(run_dir)))
    except Exception:  # unreadable: say the config changed, not how
        return ["(its saved config cannot be read)"]
    new = _computed(cfg)

    def flat(node, prefix=""):
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                out.update(flat(value, f"{prefix}{key}."))
            return out
        return {prefix[:-1]: node}

    before, after = flat(old), flat(new)
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    lines = [f"{k}: {before.get(k, '(absent)')!r} -> {after.get(k, '(absent)')!r}"
             for k in keys[:limit]]
    return lines + ([f"and {len(keys) - limit} more"] if len(keys) > limit else [])


def _previous(cfg: Any, run_dir: Path, overrides: list[str]) -> tuple[dict | None, bool]:
    """The record of an earlier run in ``run_dir`` (None without one), and whether it ran
    these overrides with this config, its files checking out (so it can be kept or
    continued) unless ``resume=restart``."""
    previous, _, problem = rundir.check_run(run_dir)
    same = previous is not None and problem is None and cfg.get("resume") != "restart" and \
        previous.get("overrides") == overrides and \
        previous.get("config") in (None, config_digest(cfg))
    return previous, same


def already_done(cfg: Any, run_dir: Path, overrides: list[str]) -> bool:
    """Whether :func:`start_run` would skip this run: it finished in ``run_dir`` (ok or
    pruned) with these overrides and this config."""
    previous, same = _previous(cfg, Path(run_dir), clean_overrides(list(overrides)))
    return same and previous.get("status") in (OK, rundir.PRUNED)


def start_run(cfg: Any, run_dir: Path, overrides: list[str], label: str = "run"
              ) -> Run | dict:
    """Claim ``run_dir`` for ``cfg`` and return the :class:`Run` (its ``.hydra/`` record
    written).

    A run already finished there with the same overrides and config (and files
    that check out) is not trained again: its record is returned instead. A run
    interrupted there with a checkpoint continues from it.
    """
    run_dir = Path(run_dir)
    overrides = clean_overrides(list(overrides))
    digest = config_digest(cfg)
    previous, same = _previous(cfg, run_dir, overrides)
    if same and previous.get("status") in (OK, rundir.PRUNED):
        log.info(f"{label}: {' '.join(overrides) or '(defaults)'}: already done, skipped")
        return previous
    checkpoint = rundir.read_checkpoint(run_dir) \
        if same and previous.get("status") == rundir.INTERRUPTED else None
    rundir.claim(run_dir, rundir.RUN)
    rundir.remove_run_files(run_dir)
    _write_hydra_record(run_dir, cfg, overrides)
    record: dict[str, Any] = {"status": FAILED, "overrides": overrides, "config": digest,
                              "seed": cfg.get("seed", 0),
                              "data_seed": cfg.dataset.get("seed", cfg.get("seed", 0)),
                              "versions": _versions()}
    before = float(previous.get("wall_time") or 0.0) if checkpoint is not None else 0.0
    return Run(cfg, run_dir, record, label, time.perf_counter(), resumed=checkpoint,
               before=before)


def _write_hydra_record(run_dir: Path, cfg: Any, overrides: list[str]) -> None:
    """Hydra's record of the job: its composed config and its overrides (``.hydra/``)."""
    from omegaconf import OmegaConf

    from .hydra_api import to_yaml

    config = OmegaConf.to_container(cfg, resolve=False, enum_to_str=True)
    rundir.write_hydra_record(run_dir, {"config.yaml": to_yaml(config),
                                        "overrides.yaml": to_yaml(list(overrides))})


def finish_run(run: Run, history=None, error: BaseException | None = None) -> dict:
    """Write a trained run's files (or its error) and its ``result.json``; log one line.

    ``history`` is what the training loop returned for ``run.experiment``,
    whose model holds the trained weights.
    """
    record = run.record
    if error is None:
        try:
            stopped = history.attrs.get("stopped") or {}
            status = rundir.PRUNED if stopped.get("reason") == "pruned" \
                else history.attrs["status"]
            reading = _keep_trained(run.run_dir, record, run.experiment, history, status)
            with np.errstate(all="ignore"):  # a diverged run's huge weights overflow
                surface = _surface(run.experiment, reading)
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
    record["wall_time"] = run.wall_time()
    rundir.write_result(run.run_dir, record)
    (run.run_dir / rundir.CHECKPOINT).unlink(missing_ok=True)
    what = " ".join(record["overrides"]) or "(defaults)"
    if error is None:
        final = record["final"]
        accuracy = final.get("val_accuracy")
        log.info(f"{run.label}: {what}: {record['status']}, final loss "
                 f"{final.get('loss', float('nan')):.6g}"
                 + ("" if accuracy is None else f", validation accuracy {accuracy:.4g}")
                 + f" after {record['epochs']} epochs ({duration(record['wall_time'])})")
        if record.get("baselines"):
            log.info(f"{run.label}: scikit-learn on the same data: "
                     f"{_baseline_scores(record['baselines'])}")
    else:
        log.error(f"{run.label}: {what}: failed: {record['error']}")
    return record

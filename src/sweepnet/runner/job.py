"""Train one run and write its directory: history.csv, model.npz, result.json.

``result.json`` is written last and atomically, so a directory whose
``result.json`` says ``ok`` holds a complete run; re-running a sweep skips
those jobs (resume after a crash or Ctrl-C).
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from .build import ConfigError, build

log = logging.getLogger("sweepnet")

RESULT, HISTORY, MODEL = "result.json", "history.csv", "model.npz"
OK, DIVERGED, FAILED = "ok", "diverged", "failed"


def clean_value(value: str) -> Any:
    """An override's value as a number when it is one, with float noise removed.

    ``"0.30000000000000004"`` (what Hydra's ``range`` sweeps produce) becomes
    ``0.3``: 15 significant digits are kept, the precision of a float64 decimal.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    if number.is_integer() and "." not in value and "e" not in value.lower():
        return int(number)
    return float(f"{number:.15g}")


def clean_overrides(overrides: list[str]) -> list[str]:
    """Overrides with their numeric values written cleanly (``optimizer.lr=0.3``)."""
    cleaned = []
    for item in overrides:
        key, sep, value = item.partition("=")
        cleaned.append(f"{key}{sep}{clean_value(value)}" if sep else item)
    return cleaned


def _finite_or_null(value: Any) -> Any:
    """``value`` with NaN and infinities (a diverged run's metrics) as ``None``: strict JSON."""
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_null(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_result(run_dir: Path) -> dict | None:
    try:
        return json.loads((run_dir / RESULT).read_text())
    except (OSError, ValueError):
        return None


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def _save_npz(path: Path, arrays: dict) -> None:
    with open(path, "wb") as f:  # a file object: np.savez would append ".npz" to a path
        np.savez(f, **arrays)


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


def _progress(every: int, epochs: int):
    if every <= 0:
        return None

    def report(row: dict) -> None:
        epoch = row["epoch"]
        if epoch % every == 0 or epoch == epochs:
            extra = "".join(f"  {k} {row[k]:.4f}" for k in ("val_loss", "val_accuracy") if k in row)
            log.info(f"epoch {epoch:>{len(str(epochs))}}/{epochs}  loss {row['loss']:.6f}"
                     f"{extra}  ({row['time']:.1f} s)")

    return report


def run_job(cfg: Any, run_dir: Path, overrides: list[str], label: str = "run",
            single: bool = True) -> dict:
    """Train the run ``cfg`` into ``run_dir`` and return its result record.

    A run that fails (an exception while building or training) is recorded with
    status ``failed`` and the error; with ``single=True`` the error is raised
    again after recording, in a sweep the next job goes on.
    """
    run_dir = Path(run_dir)
    overrides = clean_overrides(list(overrides))
    previous = read_result(run_dir)
    if previous is not None and previous.get("status") == OK \
            and previous.get("overrides") == overrides:
        log.info(f"{label}: {' '.join(overrides) or '(defaults)'}: already done, skipped")
        return previous

    for stale in (HISTORY, MODEL):  # a re-run must not leave an earlier run's files behind
        (run_dir / stale).unlink(missing_ok=True)
    seed = cfg.get("seed", 0)
    record: dict[str, Any] = {"status": FAILED, "overrides": overrides, "seed": seed,
                              "versions": _versions()}
    start = time.perf_counter()
    try:
        experiment = build(cfg)
        validation = None
        if experiment.X_val is not None:
            validation = (experiment.X_val, experiment.y_val)
        every = int(cfg.trainer.get("log_every", 0) or 0) if single else 0
        history = experiment.trainer.fit(experiment.X_train, experiment.y_train,
                                         experiment.epochs, validation_data=validation,
                                         on_epoch_end=_progress(every, experiment.epochs))
        _write_atomic(run_dir / HISTORY, lambda p: history.to_csv(p, index=False))
        _write_atomic(run_dir / MODEL, lambda p: _save_npz(p, experiment.model.state_dict()))
        record.update(status=history.attrs["status"], epochs=len(history),
                      epochs_requested=experiment.epochs, **_metrics(history))
        if cfg.get("baseline") == "sklearn":
            from .baselines import sklearn_baselines

            record["baselines"] = sklearn_baselines(cfg, experiment)
        error = None
    except Exception as exc:  # recorded, then re-raised for single runs
        error = exc
        record["error"] = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, ConfigError):
            record["traceback"] = traceback.format_exc()
    record["wall_time"] = time.perf_counter() - start
    text = json.dumps(_finite_or_null(record), indent=2, allow_nan=False)
    _write_atomic(run_dir / RESULT, lambda p: p.write_text(text))

    what = " ".join(overrides) or "(defaults)"
    if error is None:
        loss = record["final"].get("loss", float("nan"))
        log.info(f"{label}: {what}: {record['status']}, final loss {loss:.6g} after "
                 f"{record['epochs']} epochs ({record['wall_time']:.1f} s)")
    else:
        log.error(f"{label}: {what}: failed: {record['error']}")
        if single:
            raise error
    return record

"""The run and sweep directory format: the one module that writes and parses it.

A *run directory* holds::

    result.json           status, final and best metrics, epochs, timings, the overrides
                          and seed that define the run, package versions, error
    history.csv           one row per epoch: epoch, loss, val_loss, val_accuracy, time
    model.npz             the trained weights (np.load(..., allow_pickle=False))
    snapshots.npz         the weights at the snapshot epochs (report.snapshots): ``epochs``
                          and each parameter at them, stacked (:func:`read_snapshots`)
    decision_surface.npz  two-feature data: the network output over a grid, and the
                          training data (what a decision-boundary plot draws); with
                          ``snapshot_epochs`` and ``snapshot_z``, the output at the
                          snapshots the figures draw
    checkpoint.npz        an interrupted run only: its trainer's state (weights,
                          optimizer state, generators, history), to resume from
    .hydra/               Hydra's record of the composed config

A *sweep directory* holds one run directory per job (``0/``, ``1/``, ...) and
the gathered tables (:data:`SWEEP_TABLES`) and plots.

Every file is written atomically (a temporary file in the same directory,
then ``os.replace``): a killed process leaves the previous version or the new
one, never a partial file. ``result.json`` is written last, so a run whose
``result.json`` says ``ok`` is complete.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .training import DIVERGED, OK

RESULT, HISTORY, MODEL, SURFACE = "result.json", "history.csv", "model.npz", \
    "decision_surface.npz"
SNAPSHOTS = "snapshots.npz"
#: an interrupted run's trainer state, from which a resume continues (removed when it ends)
CHECKPOINT = "checkpoint.npz"
SWEEP_HISTORY, SWEEP_SUMMARY = "sweep_history.csv", "sweep_summary.csv"
SWEEP_GROUPS, SWEEP_PLATEAUS = "sweep_groups.csv", "sweep_plateaus.csv"
SWEEP_TABLES = (SWEEP_HISTORY, SWEEP_SUMMARY, SWEEP_GROUPS, SWEEP_PLATEAUS)
HYDRA_DIR = ".hydra"
#: the first file of a directory sweepnet writes: "run" or "sweep"; and a sweep's lock
MARKER, LOCK = ".sweepnet", ".sweepnet.lock"
#: a run's or sweep's web page (sweepnet.analysis.html), and the page listing a folder's
REPORT_PAGE, INDEX_PAGE = "report.html", "index.html"
RUN, SWEEP = "run", "sweep"
KINDS = (RUN, SWEEP)

#: run statuses: trained to the end (OK) or stopped by a non-finite loss (DIVERGED),
#: both the engine's; raised an exception; stopped by a signal; stopped by a search's
#: pruner (finished: a resume does not train it again)
FAILED, INTERRUPTED, PRUNED = "failed", "interrupted", "pruned"
STATUSES = (OK, DIVERGED, FAILED, INTERRUPTED, PRUNED)
#: the summary's metric columns: (column, "final" or "best", metric in result.json)
METRICS = [("final_loss", "final", "loss"), ("best_loss", "best", "loss"),
           ("final_val_loss", "final", "val_loss"), ("best_val_loss", "best", "val_loss"),
           ("final_val_accuracy", "final", "val_accuracy"),
           ("best_val_accuracy", "best", "val_accuracy")]
#: a search's study (Optuna's journal file) in its sweep directory, and its trials' table
SEARCH_STUDY, SEARCH_TRIALS = "search_study.log", "search_trials.csv"
#: the root config a sweep was started with
MULTIRUN = "multirun.yaml"


# --------------------------------------------------------------------------- values


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


def override_values(overrides: list[str]) -> dict[str, Any]:
    """``{"optimizer.lr": 0.3, ...}`` from a run's overrides (``+``/``~`` prefixes dropped)."""
    pairs = (item.partition("=") for item in overrides)
    return {key.lstrip("+~"): clean_value(value) for key, _, value in pairs}


def _finite_or_null(value: Any) -> Any:
    """``value`` with NaN and infinities (a diverged run's metrics) as ``None``: strict JSON."""
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_null(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --------------------------------------------------------------------------- writing


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then move it into place."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_result(run_dir: Path, record: dict) -> None:
    """Write ``result.json`` (strict JSON: non-finite metrics become ``null``)."""
    if record.get("status") not in STATUSES:
        raise ValueError(f"a run's status is one of {STATUSES}, got {record.get('status')!r}")
    text = json.dumps(_finite_or_null(record), indent=2, allow_nan=False)
    write_atomic(Path(run_dir) / RESULT, lambda p: p.write_text(text))


def write_history(run_dir: Path, history) -> None:
    write_atomic(Path(run_dir) / HISTORY, lambda p: history.to_csv(p, index=False))


def _save_npz(arrays: dict) -> Callable[[Path], None]:
    def save(path: Path) -> None:
        with open(path, "wb") as f:  # a file object: np.savez would append ".npz" to a path
            np.savez(f, **arrays)

    return save


def write_model(run_dir: Path, state: dict[str, np.ndarray]) -> None:
    write_atomic(Path(run_dir) / MODEL, _save_npz(state))


def write_snapshots(run_dir: Path, snapshots: dict[int, dict[str, np.ndarray]]) -> None:
    """Save a trainer's ``snapshots_`` (epoch: state dict) as ``snapshots.npz``: ``epochs``
    and, per parameter, its values at those epochs stacked (``(n_epochs, *shape)``)."""
    epochs = sorted(snapshots)
    keys = snapshots[epochs[0]] if epochs else {}
    write_atomic(Path(run_dir) / SNAPSHOTS, _save_npz(
        {"epochs": np.array(epochs, dtype=np.int64),
         **{key: np.stack([snapshots[e][key] for e in epochs]) for key in keys}}))


def write_surface(run_dir: Path, surface: dict[str, np.ndarray]) -> None:
    """Save a decision surface (see :func:`sweepnet.analysis.surface.decision_surface`).

    The output grids are stored as float32 (plenty for a picture, half the space).
    """
    arrays = dict(surface)
    with np.errstate(over="ignore"):  # a diverged network's huge outputs become inf
        for key in ("z", "snapshot_z"):
            if key in arrays:
                arrays[key] = np.asarray(arrays[key], dtype=np.float32)
    write_atomic(Path(run_dir) / SURFACE, _save_npz(arrays))


def write_table(path: Path, frame) -> None:
    """Write a gathered sweep table (a pandas frame) as CSV, atomically."""
    write_atomic(Path(path), lambda p: frame.to_csv(p, index=False))


def write_hydra_record(run_dir: Path, files: dict[str, str]) -> None:
    """Write Hydra's record of a job's config (``.hydra/config.yaml``, ``overrides.yaml``)."""
    record = Path(run_dir) / HYDRA_DIR
    record.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        write_atomic(record / name, lambda path, text=text: path.write_text(text))


def write_checkpoint(run_dir: Path, state: dict) -> None:
    """Save a trainer's state (:meth:`sweepnet.Trainer.get_state`) as ``checkpoint.npz``.

    Arrays are stored as they are; everything else (numbers, strings, the
    nesting) as one JSON text beside them, arrays named by their path.
    """
    arrays: dict[str, np.ndarray] = {}

    def encode(value, path: str):
        if isinstance(value, np.ndarray):
            arrays[path] = value
            return {"@array": path}
        if isinstance(value, dict):
            return {str(k): encode(v, f"{path}/{k}") for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [encode(v, f"{path}/{i}") for i, v in enumerate(value)]
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            return {"@float": repr(value)}  # early stopping's best starts at inf
        return value

    meta = json.dumps(encode(state, ""), allow_nan=False)
    arrays["@meta"] = np.array(meta)
    write_atomic(Path(run_dir) / CHECKPOINT, _save_npz(arrays))


def read_checkpoint(run_dir: Path) -> dict | None:
    """The state :func:`write_checkpoint` saved, or ``None`` when there is none or it is
    unreadable (a resume then trains the run from its first epoch)."""
    try:
        with np.load(Path(run_dir) / CHECKPOINT, allow_pickle=False) as saved:
            arrays = {k: saved[k] for k in saved.files}
        meta = json.loads(str(arrays.pop("@meta")))
    except (OSError, ValueError, KeyError):
        return None

    def decode(value):
        if isinstance(value, dict):
            if set(value) == {"@array"}:
                return arrays[value["@array"]]
            if set(value) == {"@float"}:
                return float(value["@float"])
            return {k: decode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [decode(v) for v in value]
        return value

    return decode(meta)


def remove_run_files(run_dir: Path) -> None:
    """Delete a run's output files before it runs again, so none is left from an earlier run."""
    for name in (HISTORY, MODEL, SNAPSHOTS, SURFACE, CHECKPOINT):
        (Path(run_dir) / name).unlink(missing_ok=True)


# --------------------------------------------------------------------------- reading


def _load_result(run_dir: Path) -> tuple[dict | None, str | None]:
    """The run's record and ``None``; or ``None`` and what is wrong with ``result.json``."""
    path = Path(run_dir) / RESULT
    if not path.exists():
        return None, None
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return None, f"{RESULT} is unreadable ({type(error).__name__}: {error})"
    if not isinstance(record, dict) or record.get("status") not in STATUSES:
        status = record.get("status") if isinstance(record, dict) else None
        return None, f"{RESULT} is not a run record (status {status!r}, not one of {STATUSES})"
    return record, None


def read_result(run_dir: Path) -> dict | None:
    """The run's record, or ``None`` when there is none or it is not a valid record."""
    return _load_result(run_dir)[0]


def check_run(run_dir: Path):
    """Read a run and check that its files agree: ``(record, history, problem)``.

    ``problem`` is ``None`` for a consistent run (or one with no record yet:
    then ``record`` is ``None`` too), else a sentence naming the file and what
    is wrong: an unreadable or invalid ``result.json``; a run that trained
    (``ok`` or ``diverged``) whose ``history.csv`` is missing, unreadable, or
    has another number of epochs than its record says.
    """
    record, problem = _load_result(run_dir)
    if record is None:
        return None, None, problem
    history = read_history(run_dir)
    if record["status"] in (OK, DIVERGED, PRUNED):
        if history is None:
            return record, None, f"{HISTORY} is missing, empty or unreadable"
        if len(history) != record.get("epochs"):
            return record, history, (f"{HISTORY} has {len(history)} epochs but {RESULT} "
                                     f"says {record.get('epochs')}")
    return record, history, None


def read_history(run_dir: Path):
    """The run's ``history.csv`` as a DataFrame, or ``None`` when it is missing or unreadable."""
    import pandas as pd

    try:
        history = pd.read_csv(Path(run_dir) / HISTORY)
    except (OSError, ValueError):  # missing, empty (EmptyDataError) or garbled
        return None
    return history if {"epoch", "loss"} <= set(history.columns) else None


def read_snapshots(run_dir: Path) -> dict[int, dict[str, np.ndarray]]:
    """The weights a run kept at its snapshot epochs (:func:`write_snapshots`), by epoch,
    each as a :meth:`~sweepnet.layers.Sequential.load_state_dict` state; empty when none."""
    try:
        with np.load(Path(run_dir) / SNAPSHOTS, allow_pickle=False) as saved:
            arrays = {k: saved[k] for k in saved.files}
        epochs = [int(e) for e in arrays.pop("epochs")]
        if any(a.shape[:1] != (len(epochs),) for a in arrays.values()):
            return {}
    except (OSError, ValueError, KeyError):
        return {}
    return {epoch: {key: array[n] for key, array in arrays.items()}
            for n, epoch in enumerate(epochs)}


def read_surface(run_dir: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(Path(run_dir) / SURFACE, allow_pickle=False) as saved:
            return {k: saved[k] for k in saved.files}
    except (OSError, ValueError, KeyError):
        return None


def kind_of(path: Path) -> str | None:
    """``"run"``, ``"sweep"`` or ``None`` (not sweepnet's, or empty): what ``path`` holds.

    The marker written when sweepnet first claimed the directory says it;
    directories from before markers are recognised by their files (a run's
    record or Hydra's config of a job; a sweep's numbered run directories).
    """
    path = Path(path)
    try:
        kind = (path / MARKER).read_text().strip()
    except OSError:
        kind = None
    if kind in KINDS:
        return kind
    if (path / RESULT).is_file() or (path / HYDRA_DIR / "config.yaml").is_file():
        return RUN
    if path.is_dir() and any(p.name.isdigit() and kind_of(p) == RUN for p in path.iterdir()):
        return SWEEP
    return None


def foreign(path: Path, expected: Collection[str] = ()) -> Path | None:
    """Something in ``path`` that sweepnet did not write, when ``path`` is a directory that
    holds files but is neither a run's nor a sweep's (no marker, no run from before
    markers); None otherwise. Nothing is written into such a directory. ``expected``
    names files the caller knows about (a Hydra launcher's log of the job)."""
    path = Path(path)
    if not path.is_dir() or kind_of(path) is not None:
        return None
    return next((p for p in sorted(path.iterdir()) if p.name not in (LOCK, *expected)), None)


def is_run_dir(path: Path) -> bool:
    """Whether ``path`` is one run's directory."""
    return kind_of(path) == RUN


def claim(path: Path, kind: str, expected: Collection[str] = ()) -> None:
    """Mark ``path`` (created if needed) as a run's or a sweep's directory.

    Raises ``ValueError`` when it already holds the other kind (nothing
    writes a run into a sweep's directory or a sweep into a run's), or files
    sweepnet did not write (:func:`foreign`).
    """
    path = Path(path)
    found = kind_of(path)
    if found not in (None, kind):
        raise ValueError(f"{path} is a {found} directory; a {kind} cannot be written into it: "
                         f"choose another directory")
    stranger = foreign(path, expected)
    if stranger is not None:
        raise ValueError(f"{path} holds {stranger.name}, which sweepnet did not write (the "
                         f"folder has no {MARKER} marker); nothing is written into it: choose "
                         f"another directory, or empty this one")
    path.mkdir(parents=True, exist_ok=True)
    if not (path / MARKER).is_file():
        write_atomic(path / MARKER, lambda p: p.write_text(kind + "\n"))


class DirectoryBusy(RuntimeError):
    """Another process is writing into the sweep directory."""


@contextmanager
def lock(sweep_dir: Path, shared: bool = False) -> Iterator[None]:
    """Hold the sweep directory's lock: exclusive while a sweep writes into it, ``shared``
    while a report reads it and writes its tables.

    An advisory ``flock`` on ``.sweepnet.lock``: the kernel releases it when
    the holder exits, however it exits, so a killed sweep never leaves it
    stuck. A second sweep into the same directory, or a report while a sweep
    runs (it would write older tables over the sweep's), gets
    :class:`DirectoryBusy` at once; reports may read side by side.
    """
    import fcntl

    sweep_dir = Path(sweep_dir)
    if shared and not (sweep_dir / LOCK).exists():
        yield  # a sweep from before locks, or one never started: nobody to wait for
        return
    sweep_dir.mkdir(parents=True, exist_ok=True)
    with open(sweep_dir / LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "a report reading it"
            raise DirectoryBusy(f"{sweep_dir} is in use by a running sweep ({holder}); "
                                f"wait for it to end, or choose another hydra.sweep.dir") \
                from None
        if not shared:
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
        try:
            yield
        finally:
            if not shared:
                handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def job_dirs(sweep_dir: Path) -> list[Path]:
    """The run directories of a sweep, in job order (``0, 1, ..., 10``)."""
    def key(path: Path):
        return (0, int(path.name), "") if path.name.isdigit() else (1, 0, path.name)

    return sorted((p for p in Path(sweep_dir).iterdir() if p.is_dir() and is_run_dir(p)),
                  key=key)


def sweep_config(sweep_dir: Path) -> dict:
    """The root config a sweep was started with (its ``multirun.yaml``), or ``{}``."""
    import yaml

    try:
        config = yaml.safe_load((Path(sweep_dir) / MULTIRUN).read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return config if isinstance(config, dict) else {}


def saved_config(run_dir: Path) -> dict:
    """The composed config Hydra saved for the run (interpolations left unresolved)."""
    import yaml

    try:
        config = yaml.safe_load((Path(run_dir) / HYDRA_DIR / "config.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return config if isinstance(config, dict) else {}


__all__ = [
    "CHECKPOINT", "DIVERGED", "FAILED", "HISTORY", "INDEX_PAGE", "INTERRUPTED", "MODEL", "OK",
    "PRUNED",
    "METRICS", "MULTIRUN", "REPORT_PAGE", "RESULT", "RUN", "SEARCH_STUDY", "SEARCH_TRIALS",
    "SNAPSHOTS", "STATUSES",
    "SURFACE", "SWEEP", "SWEEP_GROUPS", "SWEEP_HISTORY", "SWEEP_PLATEAUS", "SWEEP_SUMMARY",
    "SWEEP_TABLES", "DirectoryBusy", "check_run", "claim", "clean_overrides", "clean_value",
    "foreign",
    "is_run_dir", "job_dirs", "kind_of", "lock", "override_values", "read_history",
    "read_checkpoint", "read_result", "read_snapshots", "read_surface", "remove_run_files",
    "saved_config", "sweep_config",
    "write_atomic", "write_checkpoint", "write_history", "write_hydra_record", "write_model",
    "write_result", "write_snapshots", "write_surface", "write_table",
]

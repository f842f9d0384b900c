"""Rebuild a run's or a sweep's tables and plots from what is on disk.

    sweepnet-report PATH [--svg] [--log]

Works on finished and partial sweeps: jobs without a ``result.json`` yet are
listed as unfinished, not fatal.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..results import RESULT, SWEEP_HISTORY, SWEEP_SUMMARY, Results, load

log = logging.getLogger("sweepnet")

SWEEP_PLATEAUS = "sweep_plateaus.csv"


@dataclass
class Report:
    """What :func:`report` read, computed and wrote."""

    results: Results
    files: list[Path] = field(default_factory=list)


def load_model(run_dir: Path):
    """Rebuild a run's data and trained model from ``.hydra/config.yaml`` and ``model.npz``."""
    from omegaconf import OmegaConf

    from ..runner.app import register_resolvers
    from ..runner.build import build

    register_resolvers()
    experiment = build(OmegaConf.load(run_dir / ".hydra" / "config.yaml"))
    with np.load(run_dir / "model.npz", allow_pickle=False) as saved:
        experiment.model.load_state_dict(dict(saved))
    return experiment


def _predictor(model):
    def predict(X):
        return model.forward(np.asarray(X, dtype=model.dtype))[:, 0]

    return predict


def _decision_boundaries(path: Path, results: Results, suffix: str) -> list[Path]:
    """Per run ``decision_boundary.png`` and, for a sweep, a grid of them (2-feature data)."""
    from . import plots

    run_dirs = [path] if (path / RESULT).exists() else [path / str(job) for job in
                                                        results.summary["job"]]
    panels, written = [], []
    for run_dir, (_, row) in zip(run_dirs, results.summary.iterrows()):
        if row["status"] == "failed" or not (run_dir / "model.npz").exists():
            continue
        try:
            experiment = load_model(run_dir)
        except Exception as error:  # a plot must not hide the tables
            log.warning(f"{run_dir}: no decision boundary ({error})")
            continue
        if experiment.X_train.shape[1] != 2 or experiment.model.forward(
                experiment.X_train[:1]).shape[-1] != 1:
            return written
        values = ", ".join(f"{p} = {row[p]:g}" if isinstance(row[p], (int, float))
                           else f"{p} = {row[p]}" for p in results.parameters)
        title = values or f"run {row['job']}"
        predict = _predictor(experiment.model)
        target = run_dir / f"decision_boundary.{suffix}"
        plots.plot_decision_boundary(predict, experiment.X_train, experiment.y_train,
                                     title=title, path=target)
        written.append(target)
        panels.append((title, predict, experiment.X_train, experiment.y_train))
    if len(panels) > 1:
        target = path / f"decision_boundaries.{suffix}"
        plots.plot_decision_grid(panels, target)
        written.append(target)
    return written


def report(path: str | Path, fmt: str = "png", log_scale: bool = False,
           boundaries: bool = True) -> Report:
    """Analyse the runs under ``path`` and (re)write tables and plots next to them.

    A sweep directory gets ``sweep_history.csv``, ``sweep_summary.csv`` (with
    the analysis columns of :func:`~sweepnet.analysis.curves.analyze`),
    ``sweep_plateaus.csv``, ``loss_curves``, ``convergence`` and, with
    validation data, ``val_accuracy`` plots; a run directory gets its loss
    curve. Two-feature datasets also get decision boundaries.
    """
    from . import plots

    path = Path(path)
    results = load(path)
    report = Report(results)
    if results.summary.empty:
        return report
    is_sweep = not (path / RESULT).exists()
    if is_sweep:
        for name, frame in ((SWEEP_HISTORY, results.history), (SWEEP_SUMMARY, results.summary),
                            (SWEEP_PLATEAUS, results.plateaus)):
            frame.to_csv(path / name, index=False)
            report.files.append(path / name)
    if results.history.empty:
        return report
    params = results.parameters
    target = path / f"loss_curves.{fmt}"
    plots.plot_loss_curves(results.history, results.summary, results.plateaus, params, target,
                           log_scale=log_scale)
    report.files.append(target)
    if is_sweep and params and len(results.summary) > 1:
        target = path / f"convergence.{fmt}"
        plots.plot_convergence(results.summary, params, target)
        report.files.append(target)
    if "val_accuracy" in results.history:
        target = path / f"val_accuracy.{fmt}"
        plots.plot_val_accuracy(results.history, params, target)
        report.files.append(target)
    if boundaries:
        report.files += _decision_boundaries(path, results, fmt)
    return report


SHOWN = ["job", "status", "final_loss", "best_val_accuracy", "epochs", "convergence_epoch",
         "n_plateaus", "longest_plateau", "stuck", "diverged"]


def report_options(cfg) -> dict:
    """:func:`report` keyword arguments from a config's ``report`` section."""
    section = cfg.get("report") or {}
    return {"fmt": section.get("format", "png"),
            "log_scale": bool(section.get("log_scale", False)),
            "boundaries": bool(section.get("decision_boundaries", True))}


def summary_text(results: Results) -> str:
    """The summary table as the terminal shows it."""
    columns = ["job", *results.parameters] + [c for c in SHOWN[1:] if c in results.summary]
    columns += [c for c in results.summary if c.startswith("sklearn_")]
    return results.summary[columns].to_string(index=False)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sweepnet-report``."""
    parser = argparse.ArgumentParser(
        prog="sweepnet-report",
        description="Rebuild the tables and plots of a sweepnet run or sweep directory "
                    "from what is on disk, and print its summary.")
    parser.add_argument("path", type=Path, help="a run directory or a sweep directory")
    parser.add_argument("--svg", action="store_true", help="write SVG instead of PNG plots")
    parser.add_argument("--log", action="store_true", help="log scale for the loss axis")
    parser.add_argument("--no-boundaries", action="store_true",
                        help="skip the decision-boundary plots (they rebuild every model)")
    args = parser.parse_args(argv)
    if not args.path.is_dir():
        print(f"sweepnet-report: error: no directory at {args.path.resolve()}", file=sys.stderr)
        return 2
    done = report(args.path, fmt="svg" if args.svg else "png", log_scale=args.log,
                  boundaries=not args.no_boundaries)
    results = done.results
    if results.summary.empty:
        print(f"sweepnet-report: no finished run under {args.path}"
              + (f" ({len(results.missing)} unfinished)" if results.missing else ""),
              file=sys.stderr)
        return 1
    print(summary_text(results))
    if results.missing:
        print(f"\nunfinished (no result.json yet): {', '.join(results.missing)}")
    for file in done.files:
        print(f"wrote {file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

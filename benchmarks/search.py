"""Paired benchmark of the search sweeper: batched and pruned against one trial at a time.

    python benchmarks/search.py [--repeats N] [--trials N]

48 TPE trials of ``optimizer.lr`` (``tag(log, interval(0.01, 4))``) on the default
moons (1000 points, 20 % held out), 2-16-1, batches of 32, 300 epochs, each a whole
``sweepnet`` process in a fresh directory:

- ``batched``: ``hydra.sweeper.batch=16 hydra.sweeper.pruner=asha``: 16 trials a
  stack, ASHA pruning inside it; ``batched_median``: the same with the median rule;
- ``one_at_a_time``: ``hydra.sweeper.batch=1 hydra.sweeper.pruner=none``: the same
  sampler, one trial after the other, none pruned;
- ``grid``: the 6-point learning-rate grid ``optimizer.lr=0.1,0.2,0.5,1,2,4``
  (the stacked launcher), for the best validation loss a search should match.

Printed: the median wall times, the median of the per-repeat ratios batched /
one at a time (target <= 0.3), and each variant's best validation loss (the
searches' objective, ``best_val_loss``: the lowest over a run's epochs; target: the
batched search's at most the grid's).

- ``hydra_optuna``: Hydra's own Optuna sweeper (``hydra/sweeper=optuna``, TPE seeded
  0, one trial at a time through Hydra's basic launcher), when
  ``SWEEPNET_OPTUNA_SWEEPER_ENV`` names an environment that has it (its 1.2.0 release
  pins ``optuna<3``: it cannot share sweepnet's; ``.ci/run`` shows how to make one).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

COMMON = ["trainer.batch_size=32", "trainer.epochs=300", "report.decision_boundaries=false",
          "report.snapshots=null"]
SEARCH = ["-m", "hydra/sweeper=search", "optimizer.lr=tag(log, interval(0.01, 4))",
          "hydra.sweeper.objective=best_val_loss", *COMMON]
VARIANTS = {
    "batched": [*SEARCH, "hydra.sweeper.batch=16", "hydra.sweeper.pruner=asha"],
    "batched_median": [*SEARCH, "hydra.sweeper.batch=16", "hydra.sweeper.pruner=median"],
    "one_at_a_time": [*SEARCH, "hydra.sweeper.batch=1", "hydra.sweeper.pruner=none"],
    "grid": ["-m", "optimizer.lr=0.1,0.2,0.5,1,2,4", *COMMON],
}
OPTUNA_ENV = os.environ.get("SWEEPNET_OPTUNA_SWEEPER_ENV")
if OPTUNA_ENV:
    VARIANTS["hydra_optuna"] = ["-m", "hydra/sweeper=optuna",
                                "optimizer.lr=tag(log, interval(0.01, 4))",
                                "objective=best_val_loss", "hydra.sweeper.n_jobs=1",
                                "hydra.sweeper.sampler.seed=0", *COMMON]


def run(args: list[str], workdir: Path) -> tuple[float, float]:
    """Wall time of ``sweepnet args`` and the best validation loss it found."""
    script = Path(sys.executable).parent / "sweepnet"
    if "hydra/sweeper=optuna" in args:
        script = Path(OPTUNA_ENV) / "bin" / "sweepnet"
    start = time.perf_counter()
    done = subprocess.run([str(script), *args, f"hydra.sweep.dir={workdir}/s"],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"sweepnet {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    summary = pd.read_csv(workdir / "s" / "sweep_summary.csv")
    if "state" in summary:
        summary = summary[summary["state"] == "complete"]
    return elapsed, float(summary["best_val_loss"].min())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trials", type=int, default=48)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    best: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for repeat in range(args.repeats):
        for name, command in VARIANTS.items():
            if name != "grid":
                command = [*command, f"hydra.sweeper.n_trials={args.trials}"]
            with tempfile.TemporaryDirectory() as tmp:
                elapsed, value = run(command, Path(tmp))
            times[name].append(elapsed)
            best[name].append(value)
        print(f"repeat {repeat + 1}: " + ", ".join(
            f"{k} {v[-1]:.2f} s (best {best[k][-1]:.4f})" for k, v in times.items()),
            flush=True)
    ratio = statistics.median(b / o for b, o in zip(times["batched"], times["one_at_a_time"]))
    median = statistics.median(b / o for b, o in zip(times["batched_median"],
                                                      times["one_at_a_time"]))
    print(f"\n{args.trials} TPE trials of optimizer.lr, moons 2-16-1, batches of 32, 300 epochs; "
          f"medians of {args.repeats} repeats")
    print("| variant | wall time | best validation loss |")
    print("|---|---|---|")
    for name in VARIANTS:
        print(f"| {name} | {statistics.median(times[name]):.2f} s | "
              f"{statistics.median(best[name]):.4f} |")
    print(f"\nbatched / one at a time (paired): {ratio:.2f}, with the median rule {median:.2f} "
          f"(target <= 0.3); best {statistics.median(best['batched']):.4f} (ASHA), "
          f"{statistics.median(best['batched_median']):.4f} (median rule) vs the grid's "
          f"{statistics.median(best['grid']):.4f} (target: at most the grid's)")


if __name__ == "__main__":
    main()

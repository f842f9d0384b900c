"""Paired benchmark of whole sweeps: stacked launcher, basic launcher, a bare Hydra app.

    python benchmarks/sweeps.py [--repeats N] [--only S2,S3] [--stacked-only]

Every variant runs as its own process (the wall time of the whole command:
start-up, checks, training, files, tables and plots), in a fresh directory;
the variants of a scenario run one after the other within each repeat, so
machine noise hits them alike. Reported: medians, and the median of the
per-repeat ratios.

    S0  sweepnet -m optimizer.lr=2,1,0.5,0.3,0.2,0.1 dataset.split.test_size=0  (6 jobs)
    S1  sweepnet experiment=lr_sweep  (6 jobs, 500 to 10,000 full-batch epochs)
    S2  optimizer.lr x 6, seed=0..4, breast cancer standardized, batches of 64,
        100 epochs, model.hidden=[16]  (30 jobs)
    S3  optimizer.lr x 6, seed=range(0,50), moons 2-16-1, batches of 32,
        200 epochs  (300 jobs)

Variants: ``stacked`` (sweepnet's default), ``basic`` (``hydra/launcher=basic
hydra/sweeper=basic``: Hydra's own sweeper and launcher, one job after the
other, each job composed by Hydra before and when it runs), ``bare``
(``benchmarks/bare_app.py``, the same training in plain numpy with one JSON
file per job and no checks, tables or plots). For S3 the basic and bare
variants are extrapolated: timed at 30 and 60 jobs (seed=range(0,5) and
range(0,10)), a straight line through the two is read at 300 jobs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LRS = "2,1,0.5,0.3,0.2,0.1"

SCENARIOS = {
    "S0": ("6-job sweep, tables and plots (moons, 1000 full-batch epochs)",
           ["-m", f"optimizer.lr={LRS}", "dataset.split.test_size=0"],
           ["-m", f"lr={LRS}", "test_size=0", "epochs=1000"]),
    "S1": ("experiment=lr_sweep (6 jobs, 500 to 10,000 full-batch epochs)",
           ["experiment=lr_sweep"],
           ["-m", f"lr={LRS}", "epoch_budget=1000"]),
    "S2": ("breast cancer, 6 lr x 5 seeds, batches of 64, 100 epochs (30 jobs)",
           ["-m", f"optimizer.lr={LRS}", "seed=0,1,2,3,4", "dataset=breast_cancer",
            "dataset.split.standardize=true", "trainer.batch_size=64", "trainer.epochs=100",
            "model.hidden=[16]"],
           ["-m", f"lr={LRS}", "seed=0,1,2,3,4", "dataset=breast_cancer", "standardize=true",
            "batch_size=64", "epochs=100"]),
    "S3": ("moons 2-16-1, 6 lr x 50 seeds, batches of 32, 200 epochs (300 jobs)",
           ["-m", f"optimizer.lr={LRS}", "seed=range(0,50)", "trainer.batch_size=32",
            "trainer.epochs=200"],
           ["-m", f"lr={LRS}", "seed=range(0,50)", "batch_size=32", "epochs=200"]),
}
BASIC = ["hydra/launcher=basic", "hydra/sweeper=basic"]
SUBSETS = ("seed=range(0,5)", "seed=range(0,10)")  # S3's basic and bare: 30 and 60 jobs


def sweepnet_command() -> list[str]:
    # what the `sweepnet` console script runs, with this interpreter
    return [sys.executable, "-c", "from sweepnet.runner.app import cli; cli()"]


def timed(command: list[str]) -> float:
    with tempfile.TemporaryDirectory() as workdir:
        start = time.perf_counter()
        done = subprocess.run(command, cwd=workdir, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return elapsed


def with_seeds(args: list[str], seeds: str) -> list[str]:
    return [seeds if a.startswith("seed=") else a for a in args]


def variants(name: str) -> dict[str, object]:
    """Each variant: a command, or for S3's one-by-one variants a (30-job, 60-job) pair."""
    _, ours, bare = SCENARIOS[name]
    sweep_dir = ["hydra.sweep.dir=sweep"]
    commands: dict[str, object] = {"stacked": sweepnet_command() + ours + sweep_dir}
    basic = sweepnet_command() + ours + BASIC + sweep_dir
    bare_app = [sys.executable, str(HERE / "bare_app.py")] + bare
    if name == "S3":
        commands["basic"] = tuple(with_seeds(basic, s) for s in SUBSETS)
        commands["bare"] = tuple(with_seeds(bare_app, s) for s in SUBSETS)
    else:
        commands["basic"], commands["bare"] = basic, bare_app
    return commands


def measure(command) -> float:
    if isinstance(command, tuple):  # 30 and 60 jobs, read at 300 on the line through them
        t30, t60 = (timed(c) for c in command)
        return t30 + (t60 - t30) * (300 - 30) / 30
    return timed(command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="S0,S1,S2,S3")
    parser.add_argument("--stacked-only", action="store_true",
                        help="time the stacked variant only (no ratios): a quick check")
    options = parser.parse_args()

    import numpy

    import sweepnet

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, numpy {numpy.__version__}, "
          f"sweepnet {sweepnet.__version__}")
    rows = []
    for name in options.only.split(","):
        commands = variants(name)
        if options.stacked_only:
            commands = {"stacked": commands["stacked"]}
        times: dict[str, list[float]] = {k: [] for k in commands}
        for repeat in range(options.repeats):
            for variant, command in commands.items():
                times[variant].append(measure(command))
            print(f"{name} repeat {repeat + 1}: " + ", ".join(
                f"{v} {t[-1]:.2f} s" for v, t in times.items()), file=sys.stderr, flush=True)
        median = {k: statistics.median(v) for k, v in times.items()}
        if options.stacked_only:
            print(f"{name}: stacked {median['stacked']:.2f} s (median of {options.repeats})")
            continue
        ratio = {k: statistics.median(s / o for s, o in zip(times["stacked"], times[k]))
                 for k in ("basic", "bare")}
        rows.append((name, SCENARIOS[name][0], median, ratio))

    if not rows:
        return
    print("\n| sweep | stacked | basic | bare Hydra app | stacked / basic | stacked / bare |")
    print("|---|---|---|---|---|---|")
    for name, what, median, ratio in rows:
        extrapolated = " (extrapolated)" if name == "S3" else ""
        print(f"| {name}: {what} | {median['stacked']:.2f} s | {median['basic']:.2f} s"
              f"{extrapolated} | {median['bare']:.2f} s{extrapolated} | "
              f"{ratio['basic']:.3f} | {ratio['bare']:.2f} |")
    print(f"\nwhole-process wall times, medians of {options.repeats} repeats; ratios are "
          f"medians of the per-repeat ratios")
    print("targets: S2 stacked/basic <= 1/6 (0.167); S3 stacked/basic <= 1/10 and "
          "stacked/bare < 1; S1 stacked/basic <= 1; S0 stacked/bare <= 1.0")


if __name__ == "__main__":
    main()

"""Benchmark of the end-of-sweep report against the sweep's own training time.

    python benchmarks/report.py [--repeats N] [--sizes 6,30,300] [--workdir DIR]

For each sweep size, runs a real sweep with the ``sweepnet`` command and reads
how long its end-of-sweep report took (the callback logs "wrote DIR in X s":
every table and plot, decision boundaries included); the 6-job sweep runs
``--repeats`` times. Then times the same report again ``--repeats`` times in
fresh processes (what ``sweepnet-report`` costs: the process starts with
pandas and the runner imported, matplotlib not). Prints medians, the ratio
of the in-sweep report to the sweep's training time (the sum of the runs'
``wall_time``) and the target. ``--workdir`` keeps the sweep directories, and
a second call reuses them for the fresh-process timings.

The sweeps:
  6    experiment=lr_sweep (tutorial 003: 6 learning rates, 500 to 10,000 epochs, moons)
  30   6 learning rates x 5 seeds, breast_cancer standardized, batches of 64, 100 epochs
  300  6 learning rates x 25 seeds x 2 widths, moons, 1000 epochs
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SWEEPS = {
    6: (["experiment=lr_sweep"], 1.0),
    30: (["-m", "optimizer.lr=2,1,0.5,0.3,0.2,0.1", "seed=0,1,2,3,4", "dataset=breast_cancer",
          "dataset.split.standardize=true", "trainer.batch_size=64", "trainer.epochs=100",
          "model.hidden=[16]"], 3.0),
    300: (["-m", "optimizer.lr=2,1,0.5,0.3,0.2,0.1", "seed=range(0,25)",
           "model.hidden=[4],[16]", "trainer.epochs=1000"], 15.0),
}

TIMED = """
import json, sys, time
import pandas, sweepnet.runner.app
start = time.perf_counter()
from pathlib import Path
from sweepnet.analysis.report import report, saved_options
path = Path(sys.argv[1])
done = report(path, **saved_options(path))
print(json.dumps({"seconds": time.perf_counter() - start, "files": len(done.files)}))
"""


def run_sweep(size: int, sweep_dir: Path) -> float | None:
    """Run the sweep into ``sweep_dir`` (unless it is there); its in-sweep report time."""
    if (sweep_dir / "sweep_summary.csv").exists():
        return None
    args, _ = SWEEPS[size]
    print(f"running the {size}-job sweep into {sweep_dir} ...", flush=True)
    # one by one, so each run's wall_time is its own training time (the "training" column);
    # a stacked job records its stack's time (benchmarks/sweeps.py times stacked sweeps)
    out = subprocess.run(["sweepnet", *args, "hydra/launcher=basic",
                          f"hydra.sweep.dir={sweep_dir}"], check=True,
                         capture_output=True, text=True)
    found = re.search(r"wrote .* in ([0-9.]+) s:", out.stdout + out.stderr)
    return float(found.group(1)) if found else None


def training_time(sweep_dir: Path) -> float:
    return sum(json.loads(p.read_text())["wall_time"] for p in sweep_dir.glob("*/result.json"))


def time_report(sweep_dir: Path) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", TIMED, str(sweep_dir)], check=True,
                         capture_output=True, text=True).stdout
    record = json.loads(out.strip().splitlines()[-1])
    return record["seconds"], record["files"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="6,30,300")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="sweepnet-report-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"python {platform.python_version()}, {platform.machine()}, workdir {workdir}")
    print(f"{'jobs':>5} {'training s':>11} {'in-sweep report s':>18} {'/training':>10} "
          f"{'target s':>9} {'met':>4} {'fresh-process report s':>23} {'files':>6}")
    for size in sizes:
        runs = args.repeats if size == 6 else 1
        in_sweep = [run_sweep(size, workdir / f"sweep_{size}_{i}") for i in range(runs)]
        in_sweep = [t for t in in_sweep if t is not None]
        sweep_dir = workdir / f"sweep_{size}_0"
        train = training_time(sweep_dir)
        fresh = [time_report(sweep_dir) for _ in range(args.repeats)]
        files = fresh[-1][1]
        fresh_median = statistics.median(t for t, _ in fresh)
        target = SWEEPS[size][1]
        if in_sweep:
            median = statistics.median(in_sweep)
            measured = (f"{median:>18.2f} {median / train:>10.3f} {target:>9.1f} "
                        f"{'yes' if median <= target else 'NO':>4}")
        else:
            measured = f"{'(reused)':>18} {'':>10} {target:>9.1f} {'':>4}"
        print(f"{size:>5} {train:>11.2f} {measured} {fresh_median:>23.2f} {files:>6}",
              flush=True)


if __name__ == "__main__":
    main()

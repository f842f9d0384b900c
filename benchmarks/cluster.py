"""Benchmark: the S3 grid on a real SLURM, whole stacks against one job per SLURM task.

    python benchmarks/cluster.py [--repeats N] [--partition NAME]

The S3 grid (``benchmarks/stacks.py``: 300 networks 2-16-1, six learning rates x
50 seeds, batch 32, 200 epochs) submitted from this machine to the SLURM it can
reach (``.ci/slurm.sh`` starts a one-node one as root):

- ``stacked``: ``hydra.launcher.executor=submitit``, one job array of stack
  chunks (9 tasks of 33-34 networks);
- ``per job``: Hydra's submitit launcher (``hydra/launcher=submitit_slurm``),
  one SLURM task per job (300 tasks), each paying a Python process, the imports
  and scheduling;
- ``in-process``: the default stacked sweep on this machine, for reference.

Every variant is a whole ``sweepnet`` process in a fresh directory, timed from
start to end (the tables and figures included); the two SLURM variants must
write the same tables as the in-process one (timing columns aside). Prints
each variant's median and the median of the per-repeat ratio
per job / stacked.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

S3 = ["-m", "optimizer.lr=2,1,0.5,0.3,0.2,0.1", "seed=range(0,50)",
      "trainer.batch_size=32", "trainer.epochs=200"]
TIMING = ["time", "wall_time"]


def timed(args: list[str], sweep_dir: Path) -> float:
    command = [sys.executable, "-c", "from sweepnet.runner.app import cli; cli()", *S3, *args,
               f"hydra.sweep.dir={sweep_dir}"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(args) or 'in-process'} failed:\n{done.stderr[-3000:]}")
    return elapsed


def same_tables(left: Path, right: Path) -> None:
    for table in ("sweep_summary.csv", "sweep_history.csv"):
        a, b = (pd.read_csv(d / table) for d in (left, right))
        drop = [c for c in TIMING if c in a]
        pd.testing.assert_frame_equal(a.drop(columns=drop), b.drop(columns=drop),
                                      check_exact=True, obj=table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--partition", default=None, help="SLURM partition (default: its "
                        "default partition)")
    options = parser.parse_args()
    if shutil.which("sbatch") is None:
        sys.exit("no SLURM here (sbatch is not on the PATH): run .ci/slurm.sh as root first")
    partition = [f"hydra.launcher.partition={options.partition}"] if options.partition else []
    variants = {
        "in-process": [],
        "stacked": ["hydra.launcher.executor=submitit", *partition],
        "per job": ["hydra/launcher=submitit_slurm", *partition],
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for repeat in range(options.repeats):
        with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:  # shared with the node
            for name, args in variants.items():
                times[name].append(timed(args, Path(tmp) / name.replace(" ", "_")))
                print(f"repeat {repeat + 1}: {name:10s} {times[name][-1]:7.1f} s", flush=True)
            for name in ("stacked", "per job"):
                same_tables(Path(tmp) / "in-process", Path(tmp) / name.replace(" ", "_"))
    print(f"\nS3 (300 jobs) on SLURM, {options.repeats} repeat(s), medians "
          f"(tables identical to in-process):")
    for name, values in times.items():
        print(f"  {name:10s} {statistics.median(values):7.1f} s")
    ratios = [p / s for p, s in zip(times["per job"], times["stacked"])]
    print(f"  per job / stacked: {statistics.median(ratios):.1f}x")


if __name__ == "__main__":
    main()

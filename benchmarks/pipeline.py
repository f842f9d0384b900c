"""Paired benchmark of the pipeline's promises: early stopping in stacks, resumes that continue.

    python benchmarks/pipeline.py [--repeats N]

(E) 12 early-stopping jobs (``optimizer.lr=0.5,1,2 seed=0,1,2,3
    trainer.early_stopping=true trainer.batch_size=64 trainer.epochs=400``):
    the stacked launcher (sweepnet's default) against Hydra's basic launcher,
    one job after the other; their tables must be identical.
(R) A 2-job sweep of 30,000 full-batch epochs, interrupted by SIGINT half-way
    through its uninterrupted time, then resumed (the same command): the
    resume's time against the uninterrupted sweep's; the resumed sweep's
    tables must equal the uninterrupted one's (timing columns aside).

Every variant is a whole ``sweepnet`` process in a fresh directory; medians,
and medians of the per-repeat ratios.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

EARLY = ["-m", "optimizer.lr=0.5,1,2", "seed=0,1,2,3", "trainer.early_stopping=true",
         "trainer.batch_size=64", "trainer.epochs=400", "report.decision_boundaries=false"]
RESUME = ["-m", "optimizer.lr=0.5,1", "trainer.epochs=30000",
          "report.decision_boundaries=false"]
TIMING = ["time", "wall_time"]


def sweepnet_command() -> list[str]:
    return [sys.executable, "-c", "from sweepnet.runner.app import cli; cli()"]


def run(args: list[str], workdir: Path, name: str, stop_after: float | None = None
        ) -> tuple[float, int]:
    """Run ``sweepnet args`` into ``workdir/name``; SIGINT after ``stop_after`` seconds."""
    start = time.perf_counter()
    process = subprocess.Popen(sweepnet_command() + args + [f"hydra.sweep.dir={name}"],
                               cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    if stop_after is not None:
        try:
            process.wait(timeout=stop_after)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
    err = process.communicate()[1]
    elapsed = time.perf_counter() - start
    if process.returncode not in (0, 130):
        raise SystemExit(f"failed: {' '.join(args)}\n{err[-2000:]}")
    return elapsed, process.returncode


def tables(sweep_dir: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for name in ("sweep_summary.csv", "sweep_history.csv"):
        frame = pd.read_csv(sweep_dir / name)
        out[name] = frame.drop(columns=[c for c in TIMING if c in frame])
    return out


def same(left: Path, right: Path) -> bool:
    a, b = tables(left), tables(right)
    try:
        for name in a:
            pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)
    except AssertionError:
        return False
    return True


def early_stopping(repeats: int) -> None:
    stacked, basic, identical = [], [], True
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            stacked.append(run(EARLY, Path(tmp), "stacked")[0])
            basic.append(run(EARLY + ["hydra/launcher=basic"], Path(tmp), "basic")[0])
            identical &= same(Path(tmp) / "stacked", Path(tmp) / "basic")
    ratio = statistics.median(s / b for s, b in zip(stacked, basic))
    print(f"| (E) 12 early-stopping jobs | stacked {statistics.median(stacked):.2f} s | "
          f"basic {statistics.median(basic):.2f} s | {ratio:.2f} (target <= 0.5) | "
          f"tables identical: {identical} |")


def resume(repeats: int) -> None:
    whole, resumed, identical, stopped_at = [], [], True, []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            t, _ = run(RESUME, Path(tmp), "whole")
            whole.append(t)
            _, code = run(RESUME, Path(tmp), "stopped", stop_after=t / 2)
            done = tables(Path(tmp) / "stopped")["sweep_summary.csv"]["epochs"].tolist() \
                if (Path(tmp) / "stopped" / "sweep_summary.csv").exists() else []
            stopped_at.append(done)
            resumed.append(run(RESUME, Path(tmp), "stopped")[0])
            identical &= code == 130 and same(Path(tmp) / "whole", Path(tmp) / "stopped")
    ratio = statistics.median(r / w for r, w in zip(resumed, whole))
    print(f"| (R) 2 jobs x 30,000 epochs, stopped half-way | uninterrupted "
          f"{statistics.median(whole):.2f} s | resume {statistics.median(resumed):.2f} s | "
          f"{ratio:.2f} (target <= 0.75) | tables identical: {identical} "
          f"(epochs at the stop: {stopped_at}) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; whole-process wall times, medians of {args.repeats} "
          f"repeats; ratios are medians of per-repeat ratios")
    early_stopping(args.repeats)
    resume(args.repeats)


if __name__ == "__main__":
    main()

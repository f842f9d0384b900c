"""Benchmark of what "See and share" costs on the S3 sweep (300 jobs).

    python benchmarks/share.py [--repeats N] [--workdir DIR] [--no-mlflow]

Runs the S3 sweep once (``sweepnet -m optimizer.lr=2,1,0.5,0.3,0.2,0.1
'seed=range(0,50)' trainer.batch_size=32 trainer.epochs=200``; kept in
``--workdir`` and reused by a second call), then times, ``--repeats`` times in
this process, one after the other within each repeat:

- ``report``: the whole report (tables, figures, ``report.html``), what the
  sweep pays at its end;
- ``page``: ``report.html`` alone (:func:`sweepnet.analysis.report.write_page`,
  figures already drawn) and its size;
- ``index``: ``index.html`` of the folder holding the sweep (300 records read);
- ``tensorboard``: ``sweepnet-export tensorboard`` (300 runs, 200 epochs, 4 columns);
- ``mlflow``: ``sweepnet-export mlflow`` into a fresh ``sqlite:///`` store
  (the store's creation included, as a first export pays it).

Prints medians and the ratios to the whole S3 command's time (start-up,
training, its report; measured when the sweep is made) and to the report.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

S3 = ["-m", "optimizer.lr=2,1,0.5,0.3,0.2,0.1", "seed=range(0,50)", "trainer.batch_size=32",
      "trainer.epochs=200"]


def timed(work, *args, **kwargs) -> float:
    start = time.perf_counter()
    work(*args, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--no-mlflow", action="store_true")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="sweepnet-share-"))
    sweep_dir = workdir / "outputs" / "s3"
    command_time = workdir / "s3_seconds.json"  # the S3 command's own time, kept for reuse
    if not (sweep_dir / "sweep_summary.csv").exists():
        print(f"running S3 into {sweep_dir} ...", flush=True)
        took = timed(subprocess.run, [sys.executable, "-m", "sweepnet.runner.app", *S3,
                                      f"hydra.sweep.dir={sweep_dir}"], check=True,
                     capture_output=True)
        command_time.write_text(json.dumps(took))
    command = json.loads(command_time.read_text()) if command_time.exists() else float("nan")

    from sweepnet.analysis import load
    from sweepnet.analysis.index import write_index
    from sweepnet.analysis.report import report, saved_options, write_page
    from sweepnet.analysis.trackers import export_mlflow, export_tensorboard

    sweep = load(sweep_dir)
    figures = sorted(sweep_dir.glob("*.png"))
    times: dict[str, list[float]] = {k: [] for k in
                                     ("report", "page", "index", "tensorboard", "mlflow")}
    for repeat in range(args.repeats):
        times["report"].append(timed(report, sweep_dir, **saved_options(sweep_dir)))
        times["page"].append(timed(write_page, sweep, figures))
        times["index"].append(timed(write_index, workdir / "outputs"))
        times["tensorboard"].append(timed(export_tensorboard, sweep_dir,
                                          workdir / "tensorboard"))
        if not args.no_mlflow:
            store = workdir / f"mlflow-{repeat}"
            shutil.rmtree(store, ignore_errors=True)
            store.mkdir()
            times["mlflow"].append(timed(export_mlflow, sweep_dir,
                                         f"sqlite:///{store / 'mlflow.db'}"))
        print(f"repeat {repeat + 1}/{args.repeats}: "
              + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items() if v), flush=True)
    print(f"\n{platform.processor() or platform.machine()}, python {platform.python_version()}; "
          f"S3: {len(sweep.summary)} jobs; the S3 command took {command:.1f} s")
    page = sweep_dir / "report.html"
    print(f"report.html: {page.stat().st_size / 1e6:.2f} MB, {len(figures)} figures inline")
    report_median = statistics.median(times["report"])
    for name, values in times.items():
        if not values:
            continue
        median = statistics.median(values)
        print(f"{name:12s} median {median:7.3f} s  (min {min(values):.3f}, max {max(values):.3f}); "
              f"/ S3 command {median / command:.3f}; / report {median / report_median:.3f}")


if __name__ == "__main__":
    main()

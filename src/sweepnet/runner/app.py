"""The ``sweepnet`` command: plan every job, run them through the pipeline, report.

    sweepnet                                   # one run with the defaults (tutorial 003)
    sweepnet optimizer.lr=0.5 model.hidden=[32]
    sweepnet -m optimizer.lr=0.1,0.2,0.5,1,2   # a sweep
    sweepnet experiment=lr_sweep               # tutorial 003's learning-rate study

:func:`~sweepnet.runner.plan.plan` composes, builds and checks every job before
anything runs, whatever the flags (``-m`` anywhere, ``--config-dir``,
``--config-name``): a bad command exits with one message and status 2, and no
directory is touched. The plan then runs through
:func:`~sweepnet.runner.pipeline.run_jobs`, driven by the executor its launcher
asks for (:mod:`sweepnet.runner.executors`), and a sweep's tables and figures
are written when it ends. Hydra's print-only flags (``--help``, ``--cfg``,
``--info``, ...) are Hydra's own: nothing trains.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shlex
import sys
import threading
import time
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from .. import rundir
from .._allocator import keep_heap_padding
from . import checks, pipeline
from .build import ConfigError
from .executors import JobsNotRun, executor_for
from .hydra_api import to_yaml
from .observers import EpochLog, Observer, StopAtEpochEnd, TrainingProgress
from .plan import Plan, plan
from .signals import Terminated, between_library_calls, stop_at_epoch_end

log = logging.getLogger("sweepnet")




@hydra.main(config_path="../conf", config_name="config", version_base=None)
def _hydra_app(cfg: DictConfig) -> None:  # pragma: no cover - print-only flags never run it
    raise RuntimeError("sweepnet runs jobs through its own pipeline, not @hydra.main")


#: Hydra's flags that only print (help, config, info); they go to Hydra as they are
PRINT_ONLY = ("-h", "--help", "--hydra-help", "-c", "--cfg", "-i", "--info", "--version",
              "--shell-completion", "-sc", "--resolve", "-p", "--package")


def parse(argv: list[str]) -> argparse.Namespace:
    """The command's flags and overrides (``-m`` anywhere); Hydra's print-only flags aside."""
    parser = argparse.ArgumentParser(prog="sweepnet", add_help=False, allow_abbrev=False)
    parser.add_argument("-m", "--multirun", action="store_true")
    parser.add_argument("-cd", "--config-dir")
    parser.add_argument("-cn", "--config-name", default="config")
    known, rest = parser.parse_known_args(argv)
    flags = [a for a in rest if a.startswith("-")]
    if flags:
        raise ConfigError(f"unknown option {flags[0]}: sweepnet takes -m (a sweep), "
                          f"--config-dir DIR, --config-name NAME, Hydra's --help, --cfg, "
                          f"--info, and overrides key=value")
    known.overrides = rest
    return known


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sweepnet`` console script: the exit status.

    2: refused before anything ran (one message); 1: a failure while running
    (a full disk, say: what was written is kept); 130 and 143: Ctrl-C and SIGTERM.
    """
    logging.raiseExceptions = False  # a log handler that cannot write prints no traceback
    try:
        return execute(sys.argv[1:] if argv is None else list(argv))[0]
    except (ConfigError, rundir.DirectoryBusy) as error:
        print(f"sweepnet: error: {checks.cut(str(error))}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"sweepnet: error: {checks.os_error(error)}; what was written before is kept",
              file=sys.stderr)
        return 1
    except JobsNotRun as error:
        print(f"sweepnet: error: {checks.cut(str(error))}; the others are written; the same "
              f"command runs the missing ones again", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stopped:  # before any job ran: nothing to keep
        print("\nsweepnet: interrupted before anything ran; nothing was written",
              file=sys.stderr)
        return 143 if isinstance(stopped, Terminated) else 130


def execute(argv: list[str]) -> tuple[int, Path | None]:
    """Plan and run what ``argv`` asks for; return the exit status and the sweep directory.

    A bad command raises :class:`ConfigError` (or ``rundir.DirectoryBusy``) before
    anything runs.
    """
    if any(a.split("=")[0] in PRINT_ONLY for a in argv):
        return _print_only(argv), None
    keep_heap_padding()  # an explicit, documented process setting of the command
    command = parse(argv)
    try:
        with between_library_calls():  # an interrupt never leaves Hydra's objects half-made
            checked = plan(command.overrides, command.multirun, command.config_dir,
                           command.config_name)
    except OSError as error:  # reading configs or data: nothing ran yet
        raise ConfigError(checks.os_error(error)) from None
    return run(checked), checked.sweep_dir


def _print_only(argv: list[str]) -> int:
    """Hydra's own handling of ``--help``, ``--cfg``, ``--info``: it prints, nothing runs."""
    saved = sys.argv
    sys.argv = ["sweepnet", *argv]
    try:
        _hydra_app()
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 0
    finally:
        sys.argv = saved
    return 0


def console_logging() -> None:
    """The command's log lines on stdout (Hydra's format); a Hydra launcher may replace it."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(pipeline.LOG_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_sweepnet", False)]:
        root.removeHandler(old)
    handler._sweepnet = True
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def run(checked: Plan) -> int:
    """Run a plan: its jobs, then its report. Returns the exit status (130 and 143 when
    Ctrl-C or SIGTERM stopped it, after keeping what was trained)."""
    console_logging()
    stop = StopAtEpochEnd()
    try:
        with stop_at_epoch_end(stop):
            if checked.sweep_dir is None:
                return _single(checked, stop)
            _sweep(checked, stop)
    except KeyboardInterrupt as stopped:
        what = "terminated (SIGTERM)" if isinstance(stopped, Terminated) else "interrupted"
        if checked.sweep_dir is None:
            print(f"\nsweepnet: {what}; the epochs trained so far are kept in "
                  f"{checked.jobs[0].run_dir} (status interrupted); run the same command "
                  f"again to continue", file=sys.stderr)
        else:
            _interrupted(checked, what)
        return 143 if isinstance(stopped, Terminated) else 130
    finally:  # however it ended: a failed run and an interrupted sweep are listed too
        _refresh_index(checked.sweep_dir or checked.jobs[0].run_dir)
    return 0


def _single(checked: Plan, stop: StopAtEpochEnd) -> int:
    """One run, its log in its own directory; its figures; 1 when it failed."""
    from ..analysis.report import report, report_options

    spec = checked.jobs[0]
    every = int(spec.cfg.trainer.get("log_every", 0) or 0)
    observers = [EpochLog(every, spec.experiment.epochs), stop]
    rundir.claim(spec.run_dir, rundir.RUN)
    with pipeline.job_log(spec.run_dir):
        record = pipeline.run_jobs([spec], observers, job_logs=False)[0]
        if stop.requested is not None:
            raise stop.requested
        if record.get("status") == rundir.FAILED:
            print(f"sweepnet: the run failed: {record.get('error')} (recorded in "
                  f"{spec.run_dir / rundir.RESULT})", file=sys.stderr)
            return 1
        if record.get("verdict"):
            log.info(f"run: {record['verdict']['reason']}")
        try:
            files = report(spec.run_dir, **report_options(spec.cfg)).files
        except Exception as error:  # the run's own files are written; a plot must not fail it
            log.warning(f"plots for {spec.run_dir} failed: {type(error).__name__}: {error}")
        else:
            log.info(f"wrote {spec.run_dir}: {', '.join(f.name for f in files)}")
            _share(spec.run_dir, spec.cfg)
    return 0


def _sweep(checked: Plan, stop: StopAtEpochEnd) -> None:
    sweep_dir = checked.sweep_dir
    executor = executor_for(checked)  # its options checked before anything is written
    # a distributed engine reached before anything is written too, and let go at the end
    connected = getattr(executor, "connected", contextlib.nullcontext)
    with connected(), rundir.lock(sweep_dir):
        try:  # checked again under the lock: another sweep may have written meanwhile
            if checked.search is None:
                checks.check_sweep_dir(sweep_dir, [spec.overrides for spec in checked.jobs])
            rundir.claim(sweep_dir, rundir.SWEEP)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        record = OmegaConf.to_container(checked.root, resolve=False, enum_to_str=True)
        # the overrides as typed, as Hydra's own multirun.yaml has them (sweepnet.results.command)
        record["hydra"]["overrides"]["hydra"], record["hydra"]["overrides"]["task"] = \
            checked.typed_overrides
        text = to_yaml(record)
        rundir.write_atomic(sweep_dir / rundir.MULTIRUN, lambda path: path.write_text(text))
        warm = threading.Thread(target=_import_plots, name="sweepnet-import-plots",
                                daemon=True)
        not_run = None
        if checked.search is not None:
            from .search import run_search

            log.info(f"search of {checked.search.n_trials} trials into {sweep_dir}")
            run_search(checked, [_WarmPlots(warm), stop])
        else:
            log.info(f"sweep of {len(checked.jobs)} jobs into {sweep_dir} "
                     f"({getattr(executor, 'name', type(executor).__name__.lower())})")
            progress = TrainingProgress(sum(spec.experiment.epochs for spec in checked.jobs))
            try:
                executor.run(checked, [progress, _WarmPlots(warm), stop] if checked.jobs
                             else [_WarmPlots(warm), stop])
            except JobsNotRun as error:  # the others ran: report them, then say so
                not_run = error
            finally:
                progress.close()
        if stop.requested is not None:
            raise stop.requested
        if warm.is_alive():
            warm.join()
        _report_sweep(checked)
        if not_run is not None:
            raise not_run


def _import_plots() -> None:
    from ..analysis import plots  # noqa: F401  (matplotlib, for the report at the end)


class _WarmPlots(Observer):
    """Imports matplotlib in a thread while the first stack trains (the report needs it)."""

    def __init__(self, thread: threading.Thread) -> None:
        self.thread = thread

    def stack_started(self, runs) -> None:
        if not self.thread.is_alive() and self.thread.ident is None:
            self.thread.start()


def _report_sweep(checked: Plan) -> None:
    from ..analysis.report import problem_lines, report, report_options, summary_text

    sweep_dir = checked.sweep_dir
    start = time.perf_counter()
    done = report(sweep_dir, **report_options(checked.root), locked=True)
    for line in problem_lines(done.sweep):
        log.warning(line)
    if done.sweep.summary.empty:
        log.warning(f"no finished runs in {sweep_dir}")
        return
    log.info(f"sweep summary:\n{summary_text(done.sweep)}")
    log.info(f"wrote {sweep_dir} in {time.perf_counter() - start:.2f} s: "
             f"{', '.join(f.name for f in done.files)}")
    _share(sweep_dir, checked.root)


def _refresh_index(path: Path | None) -> None:
    """The index of the ``outputs`` folder a run or sweep lies under, however the command
    ended (a failed run, an interrupted sweep are listed too); a failure is a warning."""
    from ..analysis.index import refresh_outputs

    if path is None or not path.is_dir():
        return
    try:
        index = refresh_outputs(path)
    except OSError as error:
        log.warning(f"the index of the outputs folder was not refreshed: {error}")
    else:
        if index is not None:
            log.info(f"all runs and sweeps: {index}")


def _share(path: Path, cfg: DictConfig) -> None:
    """After a run's or sweep's report: the trackers of ``report.export``. A failure here
    is a warning: the results are written, and ``sweepnet-export`` writes them later."""
    from ..analysis.report import export_options
    from ..analysis.trackers import default_target, export

    for tracker, target in export_options(cfg).items():
        target = default_target(path, tracker) if target is None else target
        try:
            where = export(path, tracker, target)
        except Exception as error:  # a tracker's failure must not hide the results
            log.warning(f"not exported to {tracker} ({type(error).__name__}: {error}); the "
                        f"results are kept: sweepnet-export {tracker} {path} {target}")
        else:
            log.info(f"exported to {tracker}: {target}"
                     + (f" (parent run {where})" if tracker == "mlflow" else ""))


def _interrupted(checked: Plan, what: str) -> None:
    """Keep what a stopped sweep finished: its tables, and the command that resumes it."""
    import signal

    from ..analysis.report import report

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        sweep_dir = checked.sweep_dir
        done = report(sweep_dir, boundaries=False) if sweep_dir.is_dir() else None
        statuses = [] if done is None or done.sweep.summary.empty else \
            done.sweep.summary["status"].tolist()
        stopped = statuses.count(rundir.INTERRUPTED)
        tables = "tables written" if done is not None and done.files else \
            "no tables: nothing finished"
        print(f"\nsweepnet: {what}; {len(statuses) - stopped} finished job(s)"
              + (f" and {stopped} interrupted one(s), which continue where they stopped"
                 if stopped else "")
              + f" are in {sweep_dir} ({tables}). Resume with:\n  sweepnet "
              f"{shlex.join(checked.command)}", file=sys.stderr)
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def cli() -> None:
    """The ``sweepnet`` console script: :func:`main`, then a quick exit.

    Everything a command writes is closed by the time :func:`main` returns; the
    interpreter's own teardown (finalizing pandas, matplotlib, Hydra, ...) then
    takes about half a second, so the process leaves without it, after
    flushing logs and output. With another thread or a child process still
    alive (a launcher's workers) it exits normally instead.
    """
    import multiprocessing

    code = main()
    if threading.active_count() > 1 or multiprocessing.active_children():
        sys.exit(code)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    cli()

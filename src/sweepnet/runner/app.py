"""The ``sweepnet`` command: a Hydra app whose configs ship in ``sweepnet/conf``.

    sweepnet                                   # one run with the defaults (tutorial 003)
    sweepnet optimizer.lr=0.5 model.hidden=[32]
    sweepnet -m optimizer.lr=0.1,0.2,0.5,1,2   # a sweep
    sweepnet experiment=lr_sweep               # tutorial 003's learning-rate study

Before Hydra starts any run, :func:`plan` composes the config of every job and
builds its components (data, model, loss, optimizer): a bad override exits
with one message and status 2, and no output directory is touched.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .. import rundir
from .._allocator import keep_heap_padding
from ..rundir import clean_overrides, read_result
from . import stacked
from .build import ConfigError, Experiment, build, suggestion
from .compose import compose_config, compose_jobs, config_groups
from .job import log, run_job
from .progress import Progress

SWEEP_SIZE_ENV = "SWEEPNET_SWEEP_SIZE"


def epochs_for_budget(budget, lr) -> int:
    """``round(budget / lr)`` epochs: the same ``lr * epochs`` for every learning rate."""
    try:
        ok = float(lr) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"the epoch budget needs a positive optimizer.lr, got {lr!r}")
    return max(1, round(float(budget) / float(lr)))


def register_resolvers() -> None:
    """The config resolvers sweepnet's presets use (also needed to reload a run's config)."""
    OmegaConf.register_new_resolver("epochs_for_budget", epochs_for_budget, replace=True)


register_resolvers()


@hydra.main(config_path="../conf", config_name="config", version_base=None)
def app(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    single = hc.mode == RunMode.RUN
    total = os.environ.get(SWEEP_SIZE_ENV, "?")
    label = "run" if single else f"job {hc.job.num + 1}/{total}"
    run_dir = Path(hc.runtime.output_dir)
    # the overrides as typed (an interpolation in one left unresolved), as launchers get them
    overrides = OmegaConf.to_container(hc.overrides.task, resolve=False)
    record = run_job(cfg, run_dir, overrides, label, single)
    if single:  # a sweep's plots are drawn once, when it ends (callbacks.SweepReport)
        if record.get("verdict"):
            log.info(f"{label}: {record['verdict']['reason']}")
        from ..analysis.report import report, report_options

        try:
            files = report(run_dir, **report_options(cfg)).files
        except Exception as error:  # the run's own files are written; a plot must not fail it
            log.warning(f"plots for {run_dir} failed: {type(error).__name__}: {error}")
        else:
            log.info(f"wrote {run_dir}: {', '.join(f.name for f in files)}")


@dataclass
class Plan:
    """The jobs a command line asks for, each checked, and the sweep's directory."""

    jobs: list[list[str]]
    sweep_dir: Path | None  # None for a single run
    built: list[tuple[DictConfig, Experiment]] = field(default_factory=list)  # per job
    stacked: bool = False  # whether the stacked launcher runs the sweep


def plan(argv: list[str]) -> Plan | None:
    """Compose and build every job that ``argv`` asks for, before any of them runs.

    Returns ``None`` when ``argv`` holds a Hydra flag other than ``-m`` (``--help``,
    ``--cfg``, ...), which Hydra then handles itself.
    """
    from hydra import initialize_config_module
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    flags = [a for a in argv if a.startswith("-")]
    if any(f not in ("-m", "--multirun") for f in flags):
        return None
    overrides = [a for a in argv if not a.startswith("-")]
    parser = OverridesParser.create()
    try:
        parsed = parser.parse_overrides(overrides)
    except HydraException as error:
        raise ConfigError(str(error).strip()) from None

    with initialize_config_module(config_module="sweepnet.conf", version_base=None):
        base = [o.input_line for o in parsed if not o.is_sweep_override()]
        root = compose_config(base, with_hydra=True)
        multirun = bool(flags) or root.hydra.mode == RunMode.MULTIRUN
        if not multirun:
            if len(base) != len(overrides):
                sweeps = [o.input_line for o in parsed if o.is_sweep_override()]
                raise ConfigError(f"{' '.join(sweeps)} gives several values: add -m to sweep")
            jobs = [overrides]
        else:
            params = [f"{k}={v}" for k, v in (root.hydra.sweeper.params or {}).items()]
            try:
                every = parser.parse_overrides(params + overrides)
                jobs = BasicSweeper.split_arguments(every, None)[0]
            except HydraException as error:
                raise ConfigError(str(error).strip()) from None
        _refuse_code(overrides, root)
        if len({tuple(sorted(job)) for job in jobs}) < len(jobs):
            raise ConfigError("the sweep lists a value twice (e.g. optimizer.lr=1,1): every "
                              "job would run twice into its own directory; list each "
                              "value once")
        if any(o.lstrip("+~").startswith("hydra.sweep.subdir") for o in overrides):
            raise ConfigError("hydra.sweep.subdir cannot be changed: sweepnet keeps one "
                              "directory per job number, so jobs never overwrite each other")
        longest = None
        progress = Progress("checking the jobs before any runs:", len(jobs))
        configs = compose_jobs(jobs)  # composed once per set of config-group choices
        built, data_cache = [], {}  # jobs with the same dataset config share its arrays
        for i, job in enumerate(jobs):
            progress.update(i)
            where = f"job {i} ({' '.join(_task(job)) or 'defaults'})" if multirun else "config"
            try:
                _check_group_choices(job)
                cfg = next(configs)
                experiment = build(cfg, data_cache)
            except (ConfigError, OmegaConfBaseException) as error:
                raise ConfigError(f"{where}: {error}") from None
            built.append((cfg, experiment))
            if longest is None or experiment.epochs > longest[2]:
                longest = (where, cfg, experiment.epochs)
        progress.close()
        if longest is not None and longest[2] > LONG_RUN_EPOCHS:
            _warn_long_run(*longest)
        sweep_dir = Path(root.hydra.sweep.dir) if multirun else None
        if multirun:
            _check_report_roles(root, jobs)
        if sweep_dir is not None:
            _check_writable(sweep_dir, "hydra.sweep.dir")
            _check_sweep_dir(sweep_dir, [_task(job) for job in jobs])
        else:
            _check_writable(Path(root.hydra.run.dir), "hydra.run.dir")
            _check_run_dir(Path(root.hydra.run.dir), _task(overrides))
    launcher = str(root.hydra.launcher.get("_target_", ""))
    return Plan(jobs, sweep_dir, built, stacked=launcher.endswith(".StackedLauncher"))


def _check_report_roles(root: DictConfig, jobs: list[list[str]]) -> None:
    """Refuse ``report.x`` / ``hue`` / ``col`` that name no swept parameter, before any run."""
    import pandas as pd

    from ..analysis.groups import choose_roles
    from ..analysis.report import report_options
    from ..results import swept_parameters

    options = report_options(root)
    swept, values = swept_parameters([_task(job) for job in jobs])
    values = pd.DataFrame(values)
    try:
        choose_roles(values, swept, **{k: options[k] for k in ("x", "hue", "col",
                                                                "replicates")})
    except ValueError as error:
        raise ConfigError(str(error)) from None


SWEEPNET_CALLBACK = "sweepnet.runner.callbacks.SweepReport"


def _refuse_code(overrides: list[str], root: DictConfig) -> None:
    """Refuse a config that would make Hydra import and call arbitrary code.

    sweepnet's configs name components through the registry, never by import
    path: a ``_target_`` set on the command line, or a Hydra callback other
    than sweepnet's own, is refused before anything runs.
    """
    for override in overrides:
        key = override.partition("=")[0]
        if "_target_" in key or "_partial_" in key or "_args_" in key:
            raise ConfigError(f"{override}: sweepnet's configs name components through the "
                              f"registry, never by import path; _target_ (and _partial_, "
                              f"_args_) cannot be set")
    for name, callback in (root.hydra.get("callbacks") or {}).items():
        target = (callback or {}).get("_target_")
        if target != SWEEPNET_CALLBACK:
            raise ConfigError(f"hydra.callbacks.{name}: only sweepnet's own callback "
                              f"({SWEEPNET_CALLBACK}) may run, got {target!r}")


def _check_group_choices(job: list[str]) -> None:
    """Refuse a config group option that does not exist, optional groups included.

    Hydra drops an unknown option of an optional group (``experiment=lr_swep``)
    without a word and runs the defaults; this names it and what exists.
    """
    groups = config_groups()
    for override in job:
        key, sep, value = override.lstrip("+~").partition("=")
        if not sep or key not in groups:
            continue
        options = groups[key]
        if value not in options and value != "null":
            hint = suggestion(value, options, f"{key}=")
            raise ConfigError(f"{key}={value}: there is no {key} {value!r}{hint} "
                              f"(available: {', '.join(options)})")


def _task(job: list[str]) -> list[str]:
    """The overrides of a job that Hydra counts as the task's (not ``hydra.*`` ones)."""
    return [o for o in job if not o.lstrip("+~").startswith("hydra")]


#: more epochs than this get a warning with the estimated training time
LONG_RUN_EPOCHS = 100_000


def _warn_long_run(where: str, cfg: DictConfig, epochs: int) -> None:
    """Say how long a very long run will take (timed on two epochs), without refusing it."""
    import time

    experiment = build(cfg)  # a build of its own: the job's is trained from scratch later
    start = time.perf_counter()
    experiment.trainer.fit(experiment.X_train, experiment.y_train, 2)
    per_epoch = (time.perf_counter() - start) / 2
    hours = per_epoch * epochs / 3600
    print(f"sweepnet: warning: {where} trains {epochs:,} epochs: about "
          f"{hours:,.1f} hours at {per_epoch * 1e3:.2f} ms per epoch", file=sys.stderr)


def _check_writable(directory: Path, key: str) -> None:
    """Refuse an output directory that is a file, lies under a file, or cannot be written."""
    for path in (directory, *directory.parents):
        if path.exists():
            if not path.is_dir():
                where = "is" if path == directory else f"lies under {path}, which is"
                raise ConfigError(f"{key}: {directory} {where} a file, not a directory; "
                                  f"choose another {key}")
            if not os.access(path, os.W_OK | os.X_OK):
                raise ConfigError(f"{key}: cannot write into {path} (permission denied); "
                                  f"choose another {key}")
            return


def _check_run_dir(run_dir: Path, overrides: list[str]) -> None:
    """Refuse to run into a sweep's directory, or one that holds a run of other overrides."""
    if rundir.kind_of(run_dir) == rundir.SWEEP:
        raise ConfigError(f"{run_dir} is a sweep's directory; a single run cannot be written "
                          f"into it: choose a new hydra.run.dir")
    record = read_result(run_dir)
    if record is not None and record.get("overrides") != clean_overrides(overrides):
        raise ConfigError(
            f"{run_dir} holds a run of other overrides "
            f"({' '.join(record.get('overrides', []))}); choose a new hydra.run.dir"
        )


def _check_sweep_dir(sweep_dir: Path, jobs: list[list[str]]) -> None:
    """Refuse to run into a run's directory, or a sweep directory of other jobs' results."""
    if rundir.kind_of(sweep_dir) == rundir.RUN:
        raise ConfigError(f"{sweep_dir} is a single run's directory (a sweep's job, or a run); "
                          f"a sweep cannot be written into it: choose a new hydra.sweep.dir")
    if sweep_dir.is_dir():
        extra = [p.name for p in sweep_dir.iterdir() if p.name.isdigit()
                 and int(p.name) >= len(jobs) and read_result(p) is not None]
        if extra:
            raise ConfigError(
                f"{sweep_dir} holds results of jobs {', '.join(sorted(extra, key=int))}, which "
                f"this sweep of {len(jobs)} job(s) does not have; it is another sweep's "
                f"directory: choose a new hydra.sweep.dir"
            )
    for i, job in enumerate(jobs):
        record = read_result(sweep_dir / str(i))
        if record is not None and record.get("overrides") != clean_overrides(job):
            raise ConfigError(
                f"{sweep_dir / str(i)} holds a run of other overrides "
                f"({' '.join(record.get('overrides', []))}) than job {i} of this sweep "
                f"({' '.join(job)}); to resume a sweep, repeat its exact command, or choose "
                f"a new hydra.sweep.dir"
            )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sweepnet`` console script."""
    try:
        return execute(sys.argv[1:] if argv is None else list(argv))[0]
    except (ConfigError, rundir.DirectoryBusy) as error:
        print(f"sweepnet: error: {error}", file=sys.stderr)
        return 2


def execute(argv: list[str]) -> tuple[int, Path | None]:
    """Check and run what ``argv`` asks for; return the exit status and the sweep directory.

    A bad command raises :class:`ConfigError` (or ``rundir.DirectoryBusy``) before
    anything runs. ``sys.argv`` and the environment are as before when it returns.
    """
    keep_heap_padding()  # an explicit, documented process setting of the command
    checked = plan(argv)
    command = list(argv)
    saved_argv, saved_size = sys.argv, os.environ.get(SWEEP_SIZE_ENV)
    try:
        if checked is not None:  # flags first: Hydra takes no override after a flag
            command = [a for a in argv if a.startswith("-")] + [
                a for a in argv if not a.startswith("-")]
            os.environ[SWEEP_SIZE_ENV] = str(len(checked.jobs))
            if checked.sweep_dir is not None:
                # the directory plan() checked, resolved (a ${now:...} in it included), so
                # the sweep runs there and an interrupted sweep can be named and resumed
                command = [a for a in command if not a.startswith("hydra.sweep.dir=")]
                command.append(f"hydra.sweep.dir={checked.sweep_dir}")
                # checked: Hydra's sweeper need not compose the jobs again, and the stacked
                # launcher trains what plan() built
                stacked.checked.update(tuple(_task(job)) for job in checked.jobs)
                if checked.stacked:
                    stacked.planned.update({tuple(_task(job)): built
                                            for job, built in zip(checked.jobs, checked.built)})
                checked.built = []
        sys.argv = [saved_argv[0] if saved_argv else "sweepnet", *command]
        if checked is None or checked.sweep_dir is None:
            return _run_app(checked, command), None
        with rundir.lock(checked.sweep_dir):
            try:  # checked again under the lock: another sweep may have written meanwhile
                _check_sweep_dir(checked.sweep_dir, [_task(job) for job in checked.jobs])
                rundir.claim(checked.sweep_dir, rundir.SWEEP)
            except ValueError as error:
                raise ConfigError(str(error)) from None
            return _run_app(checked, command), checked.sweep_dir
    finally:  # nothing of this call is left behind for the next one in this process
        stacked.checked.clear()
        stacked.planned.clear()
        sys.argv = saved_argv
        if saved_size is None:
            os.environ.pop(SWEEP_SIZE_ENV, None)
        else:
            os.environ[SWEEP_SIZE_ENV] = saved_size


class Terminated(KeyboardInterrupt):
    """SIGTERM (what a cluster scheduler sends before it kills a job), handled like Ctrl-C."""


def _terminate(signum, frame) -> None:
    raise Terminated()


def _run_app(checked: Plan | None, command: list[str]) -> int:
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    except KeyboardInterrupt as stop:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            what = "terminated (SIGTERM)" if isinstance(stop, Terminated) else "interrupted"
            if checked is None or checked.sweep_dir is None:
                print(f"\nsweepnet: {what}; the epochs trained so far are kept in the run's "
                      f"directory (status interrupted)", file=sys.stderr)
            else:
                _interrupted(checked.sweep_dir, command, what)
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        return 143 if isinstance(stop, Terminated) else 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def _interrupted(sweep_dir: Path, command: list[str], what: str = "interrupted") -> None:
    """Keep what a stopped sweep finished: its tables, and the command that resumes it."""
    from ..analysis.report import report

    done = report(sweep_dir, boundaries=False) if sweep_dir.is_dir() else None
    statuses = [] if done is None or done.sweep.summary.empty else \
        done.sweep.summary["status"].tolist()
    stopped = statuses.count(rundir.INTERRUPTED)
    tables = "tables written" if done is not None and done.files else "no tables: nothing finished"
    print(f"\nsweepnet: {what}; {len(statuses) - stopped} finished job(s)"
          + (f" and {stopped} interrupted one(s)" if stopped else "")
          + f" are in {sweep_dir} ({tables}). Resume with:\n  sweepnet {shlex.join(command)}",
          file=sys.stderr)


def cli() -> None:
    """The ``sweepnet`` console script: :func:`main`, then a quick exit.

    Everything a command writes is closed by the time :func:`main` returns; the
    interpreter's own teardown (finalizing pandas, matplotlib, Hydra, ...) then
    takes about half a second, so the process leaves without it, after
    flushing logs and output. With another thread or a child process still
    alive (a launcher's workers) it exits normally instead.
    """
    import logging
    import multiprocessing
    import threading

    code = main()
    if threading.active_count() > 1 or multiprocessing.active_children():
        sys.exit(code)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    cli()

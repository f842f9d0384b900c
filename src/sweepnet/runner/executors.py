"""How a plan's jobs run: in this process, in worker processes, or through a Hydra launcher.

An executor decides only *how*; what a job does is
:func:`sweepnet.runner.pipeline.run_jobs`, wherever it runs (Hydra's joblib
launcher's ``_core.py`` is the model: it receives jobs and runs the same
per-job function everywhere).

- :class:`InProcess`: every stack in turn, here.
- :class:`Workers`: stacks of many models split into chunks across worker
  processes (forked: they start with the plan in memory), small ones whole;
  each chunk is exact, since the models of a stack never interact. Progress
  comes back over a queue; a stop request reaches every worker, which stops at
  the end of its epoch and keeps what it trained.
- :class:`~sweepnet.runner.distributed.Distributed`: stacks as tasks of a
  distributed engine (``hydra.launcher.executor=submitit`` or ``ray``).
- :class:`HydraLauncher`: a Hydra launcher plugin (``hydra/launcher=basic``,
  ``joblib``, ``submitit_local``, ``submitit_slurm``) runs each job through
  :class:`~sweepnet.runner.pipeline.JobTask`.
"""

from __future__ import annotations

import copy
import logging
import os
import queue as queues
import signal
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from . import checks, pipeline
from .build import ConfigError
from .observers import Observer, StopAtEpochEnd
from .plan import JobSpec, Plan, stack_group
from .signals import Terminated

log = logging.getLogger("sweepnet")


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class InProcess:
    """Every stack in this process, one after the other."""

    def run(self, plan: Plan, observers: Sequence[Observer]) -> None:
        pipeline.run_jobs(plan.jobs, observers, total=_total(plan))


def _total(plan: Plan) -> int | None:
    return None if plan.sweep_dir is None else len(plan.jobs)


def chunks(jobs: Sequence[JobSpec], workers: int, min_models: int) -> list[list[JobSpec]]:
    """The units of work: each stack whole, or split into at most ``workers`` interleaved
    chunks of at least ``min_models`` models (interleaved, so budgets that differ with
    the learning rate spread evenly)."""
    groups: dict[object, list[JobSpec]] = {}
    for spec in jobs:
        group = stack_group(spec.experiment) if spec.experiment is not None else None
        groups.setdefault(group if group is not None else id(spec), []).append(spec)
    units = []
    for members in groups.values():
        parts = max(1, min(workers, len(members) // max(min_models, 1)))
        units += [members[i::parts] for i in range(parts)]
    return units


class Workers:
    """Stacks across ``workers`` processes (see the module docstring); a sweep of fewer
    than ``2 * min_models`` jobs stays in this process (forking would cost more)."""

    def __init__(self, workers: int, min_models: int = 32) -> None:
        self.workers, self.min_models = max(1, workers), min_models

    def run(self, plan: Plan, observers: Sequence[Observer]) -> None:
        import multiprocessing

        units = chunks(plan.jobs, self.workers, self.min_models)
        if self.workers == 1 or len(units) == 1 or len(plan.jobs) < 2 * self.min_models:
            return InProcess().run(plan, observers)  # too little work to share
        stop = next((o for o in observers if isinstance(o, StopAtEpochEnd)), StopAtEpochEnd())
        context = multiprocessing.get_context("fork")
        todo, events = context.Queue(), context.Queue()
        for i in range(len(units)):
            todo.put(i)
        processes = []
        for _ in range(min(self.workers, len(units))):
            todo.put(None)  # one "no more work" for each worker
            process = context.Process(target=_work, args=(units, todo, events, stop,
                                                          _total(plan)), daemon=True)
            process.start()
            processes.append(process)
        for observer in observers:  # after the fork: a thread started now is the parent's
            observer.stack_started([])
        _watch(processes, events, observers, stop)


@dataclass
class _Forward(Observer):
    """A worker's observer: what it trained goes to the parent's observers."""

    events: object

    def epoch_ended(self, runs, rows):
        self.events.put(("epoch", len(runs)))
        return None


def _work(units, todo, events, stop: StopAtEpochEnd, total) -> None:
    """A worker: takes units until told there are none; stops at the end of an epoch on
    SIGINT, SIGTERM or the parent's SIGUSR1 (a second SIGINT or SIGTERM stops at once)."""
    from threadpoolctl import threadpool_limits

    def request(signum, frame):
        if signum != signal.SIGUSR1 and stop.requested is not None:
            raise stop.requested
        if stop.requested is None:
            stop.requested = _interrupt(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1):
        signal.signal(signum, request)
    code = 0
    try:
        with threadpool_limits(1):  # the workers share the cores: one BLAS thread each
            while stop.requested is None:
                index = todo.get()
                if index is None:
                    break
                pipeline.run_jobs(units[index], [_Forward(events), stop], total=total)
    except KeyboardInterrupt as stopped:
        code = 143 if _is_term(stopped) else 130
    finally:
        events.put(("done", code))
        events.close()
        events.join_thread()
    os._exit(code)


def _interrupt(signum: int) -> KeyboardInterrupt:
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _is_term(error: BaseException) -> bool:
    return isinstance(error, Terminated)


def _watch(processes, events, observers: Sequence[Observer], stop: StopAtEpochEnd) -> None:
    """Relay the workers' progress until all are done; pass a stop request on to them.

    Raises the stop request (``KeyboardInterrupt``) once every worker has kept what it
    trained, and ``RuntimeError`` naming a worker that died.
    """
    running, forwarded, stopped = len(processes), False, False
    while running:
        try:
            kind, value = events.get(timeout=0.2)
        except queues.Empty:
            kind = None
            if not any(p.is_alive() for p in processes):
                break
        if kind == "epoch":
            for observer in observers:
                if not isinstance(observer, StopAtEpochEnd):
                    observer.epoch_ended(range(value), [{}] * value)
        elif kind == "done":
            running -= 1
            stopped |= value != 0
        if stop.requested is not None and not forwarded:
            for process in processes:
                if process.is_alive():
                    os.kill(process.pid, signal.SIGUSR1)
            forwarded = True
    for process in processes:
        process.join()
    dead = [p for p in processes if p.exitcode not in (0, 130, 143)]
    if stop.requested is not None or stopped:
        raise stop.requested or KeyboardInterrupt()
    if dead:
        codes = ", ".join(str(p.exitcode) for p in dead)
        raise RuntimeError(f"{len(dead)} worker process(es) died (exit {codes}); their jobs "
                           f"without a result.json run again when the sweep is resumed")


class NoCallbacks:
    """What Hydra's ``run_job`` calls around each job: sweepnet runs no Hydra callbacks."""

    def on_job_start(self, config, **kwargs) -> None:
        pass

    def on_job_end(self, config, job_return, **kwargs) -> None:
        pass


class HydraLauncher:
    """A Hydra launcher plugin runs the jobs, each through :class:`pipeline.JobTask`."""

    def run(self, plan: Plan, observers: Sequence[Observer]) -> None:
        from hydra.core.plugins import Plugins

        from .distributed import quiet_sacct

        quiet = ["hydra.output_subdir=null"]  # and in each job's config the launcher composes
        task = pipeline.JobTask([spec.without_experiment() for spec in plan.jobs],
                                plan.start_dir)
        with _hydra_plugins(plan) as (root, context), quiet_sacct():
            launcher = Plugins.instance().instantiate_launcher(
                hydra_context=context, task_function=task, config=root)
            log.info(f"launching {len(plan.jobs)} jobs with Hydra's {plan.launcher} launcher")
            returns = launcher.launch([spec.sweep_overrides + quiet for spec in plan.jobs],
                                      initial_job_idx=0)
        _check_returns(plan, returns)


@contextmanager
def _hydra_plugins(plan: Plan, launcher: str | None = None):
    """Where a Hydra plugin runs: the plan's root config (no ``.hydra/`` output: the pipeline
    writes each job's record; ``launcher`` in place of the chosen one when given) and Hydra's
    context, Hydra initialized for sweepnet's configs, the loggers put back after."""
    from hydra.types import HydraContext
    from omegaconf import OmegaConf, open_dict

    from .hydra_api import config_loader, initialized

    root = copy.deepcopy(plan.root)
    with open_dict(root):
        root.hydra.output_subdir = None
        if launcher is not None:
            root.hydra.launcher = OmegaConf.create({"_target_": launcher})
    root_logger = logging.getLogger()
    handlers, level = root_logger.handlers[:], root_logger.level
    with initialized(plan.config_dir), _restored(root_logger, handlers, level):
        yield root, HydraContext(config_loader=config_loader(), callbacks=NoCallbacks())


class HydraSweeper:
    """Another package's Hydra sweeper (``hydra/sweeper=optuna``) samples the jobs and has
    them run by its launcher (``basic`` in place of the stacked one, which runs only inside
    sweepnet's own sweeps); each job runs through :class:`pipeline.ObjectiveTask`, which
    returns the objective the sweeper optimizes."""

    def run(self, plan: Plan, observers: Sequence[Observer]) -> None:
        from hydra.core.plugins import Plugins

        basic = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"
        task = pipeline.ObjectiveTask(plan.sweep_dir, plan.start_dir)
        arguments = [o for o in plan.command if "=" in o and not o.lstrip("+~").startswith(
            "hydra")] + ["hydra.output_subdir=null"]
        with _hydra_plugins(plan, basic if plan.launcher == "stacked" else None) as (root,
                                                                                   context):
            sweeper = Plugins.instance().instantiate_sweeper(
                hydra_context=context, task_function=task, config=root)
            log.info(f"Hydra's {plan.sweeper} sweeper samples the jobs")
            sweeper.sweep(arguments=arguments)


class JobsNotRun(RuntimeError):
    """Jobs a launcher could not run or record (a job's failure in training is its record)."""

    def __init__(self, errors: dict[int, BaseException]) -> None:
        self.errors = errors
        first = next(iter(errors.values()))
        what = checks.os_error(first) if isinstance(first, OSError) else \
            f"{type(first).__name__}: {first}"
        super().__init__(f"{len(errors)} job(s) could not be run or recorded (job "
                         f"{', '.join(map(str, errors))}); the first: {what}")


def _check_returns(plan: Plan, returns) -> None:
    """Raise :class:`JobsNotRun` for the jobs a Hydra launcher returned as failed, each
    logged with its error (the launcher went on with the others)."""
    from hydra.core.utils import JobStatus

    errors = {}
    for spec, job in zip(plan.jobs, returns or ()):
        if job.status == JobStatus.FAILED:
            try:
                _ = job.return_value  # raises the job's error
            except Exception as error:
                errors[spec.index] = error
                log.error(f"job {spec.index}: the {plan.launcher} launcher could not run it: "
                          f"{type(error).__name__}: {error}")
    if errors:
        raise JobsNotRun(errors)


@contextmanager
def _restored(logger: logging.Logger, handlers: list, level: int):
    """The logger's handlers and level put back (a Hydra launcher configures its own)."""
    try:
        yield
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)


#: the values of ``hydra.launcher.executor``
EXECUTORS = ("local", "submitit", "ray")


def executor_for(plan: Plan):
    """The executor a plan's launcher asks for (``hydra.launcher``); a ConfigError for an
    executor that does not exist or cannot run here (its package missing, no ``sbatch``)."""
    if plan.sweep_dir is None:
        return InProcess()
    if plan.sweeper not in ("basic", "search"):
        return HydraSweeper()
    if plan.launcher != "stacked":
        return HydraLauncher()
    options = plan.root.hydra.launcher
    name = str(options.executor)
    if name not in EXECUTORS:
        raise ConfigError(f"hydra.launcher.executor={name}: not an executor; the executors "
                          f"are {', '.join(EXECUTORS)}")
    workers = None if options.workers in (None, "auto") else int(options.workers)
    min_models = options.min_models_per_worker
    if name != "local":
        if plan.search is not None:
            raise ConfigError(f"hydra.launcher.executor={name}: a search (hydra/sweeper=search) "
                              f"trains its trials on this machine; submitit and ray run grid "
                              f"sweeps")
        from .distributed import Distributed, engine_for

        return Distributed(engine_for(options), workers, min_models, options.cpus_per_task)
    return Workers(available_cores() if workers is None else workers, min_models)

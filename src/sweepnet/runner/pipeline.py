"""One path for every job: claim its directory, train it in a stack of ``M >= 1``, write, record.

:func:`run_jobs` takes jobs of a :class:`~sweepnet.runner.plan.Plan` and does
everything for them in this process, whoever called it: the command for a
single run, an executor for a stack or a chunk of one (in-process, worker
processes), or a Hydra launcher for one job (basic, joblib, submitit: through
:class:`JobTask`). Jobs that can share a stack
(:func:`~sweepnet.runner.plan.stack_group`) train together with
:func:`sweepnet.fit_stack`, the engine's one training loop; a run interrupted
earlier continues from its checkpoint. Observers
(:mod:`sweepnet.runner.observers`) watch every epoch.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import rundir
from ..system import usable_memory
from ..training import DIVERGED, fit_stack
from .build import STEP_SHARE, build, snapshot_bytes
from .job import Run, finish_run, keep_interrupted, start_run
from .observers import Observer, StopAtEpochEnd
from .plan import JobSpec, stack_group

log = logging.getLogger("sweepnet")
#: what every run's own log file is called (Hydra's ``${hydra.job.name}.log``)
LOG_NAME = "sweepnet"
LOG_FORMAT = "[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    """Inside, the current directory is ``path`` (``contextlib.chdir``, which Python 3.10
    lacks)."""
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def label(spec: JobSpec, total: int | None) -> str:
    """How the log names a job: ``job 3 of 18`` (its directory is ``3``), or ``run``."""
    return "run" if total is None else f"job {spec.index} of {total}"


def prepare(specs: Sequence[JobSpec], total: int | None = None,
            job_logs: bool = True) -> list[Run | dict]:
    """Claim every job's directory: a finished job's record stands for itself (resume);
    the others are :class:`~sweepnet.runner.job.Run` s with their experiment built (again
    where the spec came without one) and their checkpoint restored."""
    runs: list[Run | dict] = []
    for spec in specs:
        run = start_run(spec.cfg, spec.run_dir, spec.overrides, label(spec, total))
        if isinstance(run, Run):
            run.record.update(spec.record)
            with job_log(run.run_dir, job_logs):
                try:
                    run.experiment = spec.experiment if spec.experiment is not None and \
                        run.resumed is None else build(spec.cfg)
                    if run.resumed is not None:
                        run.experiment.trainer.set_state(run.resumed)
                        log.info(f"{run.label}: continues from epoch "
                                 f"{len(run.experiment.trainer.history_)}")
                except Exception as error:  # recorded as the job's failure
                    run = finish_run(run, error=error)
        runs.append(run)
    return runs


def run_jobs(specs: Sequence[JobSpec], observers: Sequence[Observer] = (),
             total: int | None = None, job_logs: bool = True) -> list[dict]:
    """Claim, train (in stacks), write and record ``specs``; return their records in order.

    ``total`` is the sweep's size (None for a single run); ``job_logs`` writes
    each run's log lines into its own ``sweepnet.log`` (a Hydra launcher does it
    itself). On ``KeyboardInterrupt`` every run of the stack in training is kept
    (status ``interrupted``, with a checkpoint) and the interrupt goes on; later
    stacks are left for a resume.
    """
    runs = prepare(specs, total, job_logs)
    stacks: dict[object, list[Run]] = {}
    for run in runs:
        if isinstance(run, Run):
            group = stack_group(run.experiment)
            stacks.setdefault(group if group is not None else id(run), []).append(run)
    queue = [piece for stack in stacks.values() for piece in within_memory(stack)]
    while queue:
        stack = queue.pop(0)
        try:
            _train_stack(stack, observers, job_logs)
        except _StackFailed as failed:  # one job's error must not fail the others
            log.warning(f"a stack of {len(stack)} jobs failed ({failed.error}); training them "
                        f"one by one")
            for run in stack:
                run.experiment = build(run.cfg)  # fresh: weights, generators, optimizer
                if run.resumed is not None:
                    run.experiment.trainer.set_state(run.resumed)
            queue[:0] = [[run] for run in stack]
    return [run.record if isinstance(run, Run) else run for run in runs]


def record_lost(specs: Sequence[JobSpec], error: BaseException,
                total: int | None = None) -> list[int]:
    """Jobs a worker took down with it (killed, out of memory, its node lost): each one
    without a record gets a ``failed`` one with ``error`` (what its worker's engine said),
    so tables show it and a resume trains it again; an interrupted one keeps its record
    and checkpoint (a resume continues it); finished ones are untouched. Returns the
    numbers of the jobs left unfinished (the failed and the interrupted)."""
    unfinished = []
    for spec in specs:
        record = rundir.read_result(spec.run_dir)
        if record is None:
            run = start_run(spec.cfg, spec.run_dir, spec.overrides, label(spec, total))
            if isinstance(run, Run):
                run.record.update(spec.record)
                finish_run(run, error=error)
        elif record.get("status") != rundir.INTERRUPTED:
            continue
        unfinished.append(spec.index)
    return unfinished


def within_memory(stack: list[Run]) -> list[list[Run]]:
    """``stack`` cut, in order, into stacks whose training step and snapshots take at most
    :data:`~sweepnet.runner.build.STEP_SHARE` of the usable memory (the models of a
    stack never interact: the cut changes no number)."""
    budget = usable_memory()
    if budget is None or len(stack) == 1:
        return [stack]
    pieces, used = [[]], 0
    for run in stack:
        need = run.experiment.trainer.step_bytes(*run.experiment.X_train.shape) \
            + snapshot_bytes(run.experiment.trainer, run.experiment.epochs)
        if pieces[-1] and used + need > STEP_SHARE * budget:
            pieces.append([])
            used = 0
        pieces[-1].append(run)
        used += need
    return pieces


class _StackFailed(Exception):
    def __init__(self, error: Exception) -> None:
        self.error = error


def _train_stack(stack: list[Run], observers: Sequence[Observer], job_logs: bool) -> None:
    """Train one stack and write its runs; a failing stack of several raises _StackFailed."""
    for observer in observers:
        observer.stack_started(stack)

    def on_epoch_end(models: list[int], rows: list[dict]):
        training = [stack[m] for m in models]
        asked: dict[int, str] = {}
        for observer in observers:
            for j, reason in (observer.epoch_ended(training, rows) or {}).items():
                asked.setdefault(models[j], reason)
        return asked or None

    experiments = [run.experiment for run in stack]
    data = [(e.X_train, e.y_train, e.X_val, e.y_val) for e in experiments]
    try:
        histories = fit_stack([e.trainer for e in experiments], data,
                              [run.epochs_left for run in stack], on_epoch_end)
    except KeyboardInterrupt as stopped:
        # stopped at the end of an epoch (a stop request), every state is whole: checkpoints
        whole = any(isinstance(o, StopAtEpochEnd) and o.requested is stopped for o in observers)
        for run in stack:
            trainer = run.experiment.trainer
            with job_log(run.run_dir, job_logs):
                done = len(getattr(trainer, "history_", ())) >= run.experiment.epochs
                if trainer.status_ == DIVERGED or done or _stopped(trainer):
                    _finish(run, trainer.history_, observers)  # it had left the stack
                else:
                    keep_interrupted(run, checkpoint=whole)
        raise
    except Exception as error:
        if len(stack) > 1:
            raise _StackFailed(error) from error
        with job_log(stack[0].run_dir, job_logs):
            _finish(stack[0], None, observers, error)
        return
    for run, history in zip(stack, histories):
        with job_log(run.run_dir, job_logs):
            _finish(run, history, observers)


def _stopped(trainer) -> bool:
    history = getattr(trainer, "history_", None)
    return history is not None and bool(history.attrs.get("stopped"))


def _finish(run: Run, history, observers: Sequence[Observer], error=None) -> None:
    record = finish_run(run, history, error)
    for observer in observers:
        observer.run_finished(run, record)


@contextmanager
def job_log(run_dir: Path, enabled: bool = True) -> Iterator[None]:
    """Also log into a run's own ``sweepnet.log`` (appending, so a resume keeps the past)."""
    if not enabled:
        yield
        return
    handler = logging.FileHandler(Path(run_dir) / f"{LOG_NAME}.log")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()


@dataclass
class JobTask:
    """The task function a Hydra launcher (basic, joblib, submitit) calls with a job's
    config: it runs that job through :func:`run_jobs`, the same path as every other.

    It carries the plan's jobs without their arrays (a launcher may send it to
    another process or machine; each job is built where it runs).
    """

    jobs: list[JobSpec]
    start_dir: Path  # the command's directory: relative paths mean the same files here

    def __call__(self, cfg) -> dict:

        from hydra.core.hydra_config import HydraConfig

        hydra = HydraConfig.get()
        spec = self.jobs[hydra.job.num]
        # the launcher has opened its log of the job in the job's directory; the plan has
        # checked that directory, so that file is the only one sweepnet did not write
        rundir.claim(spec.run_dir, rundir.RUN, expected=[f"{hydra.job.name}.log"])
        with working_directory(self.start_dir):  # hydra.job.chdir moved into the job's
            return run_jobs([spec], total=len(self.jobs), job_logs=False)[0]


@dataclass
class ObjectiveTask:
    """The task function another package's sweeper (Hydra's Optuna sweeper) drives: each
    job its sweeper samples runs through :func:`run_jobs` like every other, into
    ``sweep_dir/<job number>``, and returns its ``objective`` (a summary metric, the root
    key ``objective``) as the float such a sweeper optimizes: NaN for a failed run."""

    sweep_dir: Path
    start_dir: Path

    def __call__(self, cfg) -> float:

        from hydra.core.hydra_config import HydraConfig

        from .checks import absolute_paths
        from .plan import _task
        from .search import objective_value

        hydra = HydraConfig.get()
        spec = JobSpec(hydra.job.num, _task(list(hydra.overrides.task)), cfg,
                       Path(self.sweep_dir) / str(hydra.job.num))
        rundir.claim(spec.run_dir, rundir.RUN, expected=[f"{hydra.job.name}.log"])
        with working_directory(self.start_dir):
            absolute_paths(cfg)
            record = run_jobs([spec], job_logs=False)[0]
        return objective_value(record, cfg.get("objective", "final_val_loss"))

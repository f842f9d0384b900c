"""Whole stacks on a distributed engine: a SLURM job array through submitit, or Ray tasks.

``hydra.launcher.executor=submitit`` or ``ray``: the plan's stacks, large ones
cut into chunks as for worker processes (:func:`~sweepnet.runner.executors.chunks`),
go to the engine as one task each (:class:`StackTask`), which runs
:func:`~sweepnet.runner.pipeline.run_jobs` on its jobs wherever the engine puts
it, writing their directories on the shared filesystem exactly as an
in-process stack does. The submitting process (:class:`Distributed`) shows one
progress line (stacks queued, running, done; jobs failed) and, once every task
has ended, gives each job a task took down with it (a killed worker, a node
lost, memory exceeded) a ``failed`` record with the task's error, so the sweep's
tables show it and the same command trains it again.

Preemption and time limits (submitit): on its signal (SIGUSR2, sent by SLURM
``--signal`` before a time limit, or by a preemption) or SIGTERM, a task stops
at the end of the epoch and keeps a checkpoint of every run in training; after
SIGUSR2 it asks submitit to requeue it (submitit's checkpoint protocol:
:meth:`StackTask.checkpoint`), and the requeued task continues from the
checkpoints, ending with the numbers of an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import rundir
from ..progress import Progress
from . import pipeline
from .build import ConfigError
from .observers import Observer, StopAtEpochEnd
from .plan import JobSpec, Plan
from .signals import Preempted, stop_at_epoch_end

log = logging.getLogger("sweepnet")

#: the engines ``hydra.launcher.executor`` names, with the extra that installs each
ENGINES = {"submitit": ("submitit", "cluster"), "ray": ("ray", "ray")}
#: how long a stopped sweep waits for its tasks to keep what they trained
STOP_WAIT_S = 90.0
#: SLURM's states of a task that has ended for good
ENDED = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
         "BOOT_FAIL", "DEADLINE")
#: how long a task shows ended, without a result, before it counts as lost
GONE_S = 15.0


class WorkerLost(RuntimeError):
    """A task ended without finishing its jobs (killed, out of memory, its node lost)."""


def preempt_signal() -> int:
    """The signal submitit takes as the warning of a preemption or time limit (its
    ``SUBMITIT_PREEMPT_SIGNAL``, SIGUSR2 by default)."""
    return getattr(signal, "SIG" + os.environ.get("SUBMITIT_PREEMPT_SIGNAL", "USR2"))


@dataclass
class StackTask:
    """One stack, or a chunk of one, run where an engine puts it: its jobs (without their
    arrays: each is built where it runs) through :func:`pipeline.run_jobs`.

    Returns, for each job, its number, status and error (what the submitting side
    counts). Under submitit, a preemption warning stops it at the end of an epoch
    and requeues it (see the module docstring).
    """

    jobs: list[JobSpec]
    start_dir: Path  # the command's directory: relative paths mean the same files here
    total: int  # the sweep's size, for the log's "job 3 of 18"
    threads: int = 1  # BLAS threads: the cores the engine gave the task

    def __call__(self) -> list[dict]:
        from threadpoolctl import threadpool_limits

        if not log.handlers:  # a fresh worker: its jobs' log lines in the engine's log
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter(pipeline.LOG_FORMAT))
            log.addHandler(handler)
        log.setLevel(logging.INFO)  # and in each job's sweepnet.log (pipeline.job_log)
        stop = StopAtEpochEnd()
        preempt = preempt_signal()
        requeue = signal.getsignal(preempt) if _under_submitit() else None
        try:
            with contextlib.chdir(self.start_dir), stop_at_epoch_end(stop, preempt), \
                    threadpool_limits(self.threads):
                records = pipeline.run_jobs(self.jobs, [stop], total=self.total)
        except Preempted:
            if callable(requeue):  # submitit's handler: checkpoint(), requeue, exit
                requeue(preempt, None)
            raise
        return [{"job": spec.index, "status": record.get("status"),
                 "error": record.get("error")} for spec, record in zip(self.jobs, records)]

    def checkpoint(self, *args, **kwargs):
        """submitit's checkpoint protocol: the same task runs again when requeued (its
        runs continue from the checkpoints they kept when it stopped)."""
        import submitit

        return submitit.helpers.DelayedSubmission(self)


def _under_submitit() -> bool:
    return "SUBMITIT_FOLDER" in os.environ


def run_stack_task(task: StackTask) -> list[dict]:
    """What a Ray worker runs (a plain function: its name is the worker's process title)."""
    return task()


class Distributed:
    """Runs a plan's stacks as tasks of ``engine`` (:class:`Submitit`, :class:`Ray`) and
    watches them to the end (see the module docstring)."""

    def __init__(self, engine, parts: int | None, min_models: int, threads: int) -> None:
        self.engine, self.parts, self.min_models = engine, parts, min_models
        self.threads = threads
        self.name = engine.name

    def run(self, plan: Plan, observers: Sequence[Observer]) -> None:
        from .executors import JobsNotRun, chunks

        stop = next((o for o in observers if isinstance(o, StopAtEpochEnd)), StopAtEpochEnd())
        units = chunks(plan.jobs, self.parts or len(plan.jobs), self.min_models)
        tasks = [StackTask([spec.without_experiment() for spec in unit], plan.start_dir,
                           len(plan.jobs), self.threads) for unit in units]
        try:
            handles = self.engine.submit(tasks, plan)
            log.info(f"{len(tasks)} stack task(s) of {len(plan.jobs)} jobs submitted to "
                     f"{self.engine.describe()}")
            outcomes = self._watch(handles, units, stop)
        finally:
            self.engine.close()  # a local Ray cluster it started stops here
        lost: dict[int, BaseException] = {}
        for unit, (error, _) in zip(units, outcomes):
            if error is not None and stop.requested is None:  # stopped: each kept its runs
                log.error(f"a {self.engine.name} task of jobs "
                          f"{', '.join(str(s.index) for s in unit)} ended without finishing "
                          f"them: {error}")
                for index in pipeline.record_lost(unit, error, len(plan.jobs)):
                    lost[index] = error
        if stop.requested is not None:
            raise stop.requested
        if lost:
            raise JobsNotRun(lost)

    def _watch(self, handles, units, stop: StopAtEpochEnd) -> list[tuple]:
        """Poll the tasks until all have ended (a stop request cancels them, then waits
        for them to keep what they trained); their (error, records)."""
        progress = Progress("stack tasks done", len(handles), every=30.0)
        outcomes: list[tuple | None] = [None] * len(handles)
        failed, cancelled_at = 0, None
        while any(outcome is None for outcome in outcomes):
            states = self.engine.states(handles)
            for i, state in enumerate(states):
                if state == "done" and outcomes[i] is None:
                    outcomes[i] = self.engine.outcome(handles[i])
                    error, records = outcomes[i]
                    failed += len(units[i]) if error is not None else \
                        sum(r.get("status") == rundir.FAILED for r in records)
            done = sum(outcome is not None for outcome in outcomes)
            progress.update(done, f"{states.count('running')} running, "
                                  f"{states.count('queued')} queued, {failed} job(s) failed")
            if stop.requested is not None and cancelled_at is None:
                log.warning(f"stopping the {self.engine.name} tasks: each keeps what it "
                            f"trained")
                self.engine.cancel(handles)
                cancelled_at = time.monotonic()
            if cancelled_at is not None and time.monotonic() - cancelled_at > STOP_WAIT_S:
                break
            if done < len(handles):
                time.sleep(self.engine.poll_s)
        progress.close(sum(outcome is not None for outcome in outcomes))
        return [outcome or (WorkerLost("stopped before it ended"), None)
                for outcome in outcomes]


class Submitit:
    """A SLURM job array (``cluster=slurm``) or local processes (``cluster=local``), one
    array task per stack task, through submitit."""

    name = "submitit"
    poll_s = 2.0

    def __init__(self, options) -> None:
        self.options = options
        self.cluster = str(options.cluster)
        if self.cluster not in ("slurm", "local"):
            raise ConfigError(f"hydra.launcher.cluster={self.cluster}: submitit runs on "
                              f"'slurm' or 'local' (processes on this machine)")
        if self.cluster == "slurm" and shutil.which("sbatch") is None:
            raise ConfigError("hydra.launcher.cluster=slurm: SLURM's sbatch is not on this "
                              "machine's PATH: run the command on the cluster's login node, "
                              "or try it here with hydra.launcher.cluster=local")
        self.array_id: str | None = None
        #: tasks SLURM shows ended (or no longer shows) without a result: (state, since)
        self.ended: dict[str, tuple[str, float]] = {}
        self.last: dict[str, str] = {}  # the states last read

    def describe(self) -> str:
        where = f"SLURM (array {self.array_id})" if self.cluster == "slurm" else \
            "local processes"
        return f"submitit on {where}"

    def submit(self, tasks: list[StackTask], plan: Plan) -> list:
        import submitit

        o = self.options
        folder = str(o.submitit_folder or plan.sweep_dir / ".submitit" / "%j")
        requeues = {"slurm_max_num_timeout": o.max_num_timeout} if self.cluster == "slurm" \
            else {}
        executor = submitit.AutoExecutor(folder=folder, cluster=self.cluster, **requeues)
        parameters = {"timeout_min": o.timeout_min, "cpus_per_task": o.cpus_per_task,
                      "name": "sweepnet"}
        if o.mem_gb is not None:
            parameters["mem_gb"] = o.mem_gb
        if self.cluster == "slurm":
            for key in ("partition", "account", "qos"):
                if o[key] is not None:
                    parameters[f"slurm_{key}"] = str(o[key])
            parameters["slurm_array_parallelism"] = o.array_parallelism
            parameters["slurm_signal_delay_s"] = o.signal_delay_s
            extra = dict(o.additional_parameters or {})
            if extra:
                parameters["slurm_additional_parameters"] = extra
        executor.update_parameters(**parameters)
        try:
            jobs = executor.submit_array(tasks)
        except (subprocess.CalledProcessError, submitit.core.utils.FailedJobError,
                OSError) as error:
            raise ConfigError(f"submitit could not submit the sweep's tasks: {error}") \
                from None
        self.array_id = str(jobs[0].job_id).split("_")[0] if jobs else None
        return jobs

    def states(self, jobs) -> list[str]:
        """queued, running or done for each job: the result file first; on SLURM then
        ``squeue`` (not submitit's ``sacct``, which clusters without accounting lack). A
        task that leaves no result is done once SLURM has shown it ended (or not at all)
        for :data:`GONE_S` (a requeued task passes through such states)."""
        if self.cluster == "local":
            return ["done" if job.done() else "running" for job in jobs]
        listed, now = _squeue(self.array_id), time.monotonic()
        if listed is None:  # squeue did not answer (slurmctld busy): nothing is known
            return [self.last.get(str(job.job_id), "running") for job in jobs]
        states = []
        for job in jobs:
            key = str(job.job_id)
            state = listed.get(key)
            if job.paths.result_pickle.exists():
                states.append("done")
            elif state is None or state in ENDED:
                since = self.ended.setdefault(key, (state or "left the queue", now))[1]
                states.append("done" if now - since >= GONE_S else "running")
            else:
                self.ended.pop(key, None)
                states.append("queued" if state in ("PENDING", "REQUEUED", "REQUEUE_HOLD",
                                                    "CONFIGURING") else "running")
        self.last = {str(job.job_id): state for job, state in zip(jobs, states)}
        return states

    def outcome(self, job) -> tuple:
        if job.paths.result_pickle.exists():
            try:
                return None, job.result()
            except Exception as error:
                return WorkerLost(f"its submitit task failed: "
                                  f"{_last_line(str(error)) or type(error).__name__}"), None
        state = self.ended.get(str(job.job_id), ("ended", 0))[0]
        log_tail = _last_line(job.stderr() or "")
        return WorkerLost(f"SLURM task {job.job_id} {state.lower()} without a result"
                          + (f": {log_tail}" if log_tail else "")), None

    def cancel(self, jobs) -> None:
        for job in jobs:
            with contextlib.suppress(Exception):
                if self.cluster == "slurm":  # SIGTERM, not a kill: each keeps what it trained
                    subprocess.run(["scancel", "--signal=TERM", str(job.job_id)],
                                   capture_output=True, timeout=30)
                else:  # the local controller (its job id: its pid) passes SIGTERM on
                    os.kill(int(job.job_id), signal.SIGTERM)

    def close(self) -> None:
        pass


def _squeue(array_id: str | None) -> dict[str, str] | None:
    """SLURM's state of each task of the array (``123_4``: RUNNING, ...) that it still
    lists; None when ``squeue`` does not answer."""
    if array_id is None:
        return {}
    try:
        done = subprocess.run(["squeue", "-h", "-r", "-t", "all", "-j", array_id, "-o", "%i %T"],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        log.debug(f"squeue failed: {done.stderr.strip()}")
        return None
    return dict(line.split(maxsplit=1) for line in done.stdout.splitlines() if " " in line)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


class Ray:
    """Ray tasks on a running cluster (``address=auto`` or ``ray://host:port``), or on a
    local one started for the sweep with the machine's cores (no address)."""

    name = "ray"
    poll_s = 0.5

    def __init__(self, options) -> None:
        self.address = options.address
        self.started = False
        self.submitted_at, self.tasks = 0.0, []

    def describe(self) -> str:
        import ray

        cpus = ray.cluster_resources().get("CPU", 0)
        where = f"the Ray cluster at {self.address}" if self.address else \
            "a local Ray cluster"
        return f"{where} ({cpus:g} CPUs)"

    def submit(self, tasks: list[StackTask], plan: Plan) -> list:
        import ray

        from .executors import available_cores

        if not ray.is_initialized():
            try:
                _reachable(self.address)
                if self.address:
                    ray.init(address=str(self.address), logging_level=logging.WARNING,
                             log_to_driver=False)
                else:  # "local": a new cluster, even where `ray start` runs one
                    ray.init(address="local", num_cpus=available_cores(),
                             include_dashboard=False, logging_level=logging.WARNING,
                             log_to_driver=False)
            except Exception as error:  # ConnectionError, ValueError, ... depending on how
                raise ConfigError(_not_started(self.address, error)) from None
            self.started = True
        remote = ray.remote(num_cpus=tasks[0].threads if tasks else 1, max_retries=0)(
            run_stack_task)
        self.submitted_at, self.tasks = time.time(), tasks
        return [remote.remote(task) for task in tasks]

    def states(self, refs) -> list[str]:
        import ray

        ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=0)
        ready = set(ready)
        return ["done" if ref in ready else "running" if _started(task, self.submitted_at)
                else "queued" for ref, task in zip(refs, self.tasks)]

    def outcome(self, ref) -> tuple:
        import ray

        try:
            return None, ray.get(ref)
        except Exception as error:  # a worker that died, or the task's own error
            return WorkerLost(f"its Ray task ended without a result: {type(error).__name__}: "
                              f"{_last_line(str(error))}"), None

    def cancel(self, refs) -> None:
        import ray

        for ref in refs:
            with contextlib.suppress(Exception):
                ray.cancel(ref)

    def close(self) -> None:
        import ray

        if self.started:  # a local cluster stops; from a running one, the process disconnects
            ray.shutdown()


def _not_started(address: str | None, error: Exception) -> str:
    """What to say when ``ray.init`` fails: what failed, and what to do."""
    why = f"{type(error).__name__}: {_last_line(str(error))}"
    if not address:
        return f"hydra.launcher.executor=ray: a local Ray cluster could not start ({why})"
    message = (f"hydra.launcher.address={address}: no Ray cluster could be reached ({why}); "
               f"start one with `ray start --head`, or leave the address out for a local one")
    if str(address).startswith("ray://") and not os.environ.get("RAY_AUTH_MODE"):
        message += ("; a cluster with token authentication (Ray's default from 2.59) answers "
                    "a Ray client only with RAY_AUTH_MODE=token set here and its token "
                    "(`ray get-auth-token`) in RAY_AUTH_TOKEN or ~/.ray/auth_token")
    return message


def _reachable(address: str | None, timeout: float = 5.0) -> None:
    """Raise ``ConnectionError`` when nothing listens at a ``host:port`` or
    ``ray://host:port`` address (``ray.init`` would retry it for ever)."""
    import socket

    host, _, port = str(address or "").removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # auto, or no address: ray.init says what it finds
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as error:
        raise ConnectionError(f"nothing answers at {host}:{port}: {error}") from None


def _started(task: StackTask, since: float) -> bool:
    """Whether a task has claimed one of its jobs' directories since ``since``."""
    for spec in task.jobs:
        with contextlib.suppress(OSError):
            if (Path(spec.run_dir) / rundir.HYDRA_DIR / "overrides.yaml").stat().st_mtime >= since:
                return True
    return False


def engine_for(options):
    """The engine ``hydra.launcher.executor`` names, its package checked first."""
    import importlib.util

    name = str(options.executor)
    module, extra = ENGINES[name]
    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"hydra.launcher.executor={name} needs the {module} package: "
                          f"pip install \"sweepnet[{extra}]\"")
    return Submitit(options) if name == "submitit" else Ray(options)

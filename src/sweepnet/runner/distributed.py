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

Preemption and time limits (submitit): submitit asks SLURM for its signal
(SIGUSR2, ``--signal=USR2@signal_delay_s``) before the time limit, and a cluster
with ``PreemptParameters=send_user_signal`` sends it at a preemption too; on it a
task stops at the end of an epoch, every run in training keeps a checkpoint, and
the task asks submitit to requeue it (submitit's checkpoint protocol:
:meth:`StackTask.checkpoint`); the requeued task continues from the checkpoints,
ending with the numbers of an uninterrupted run. SIGTERM (a preemption without
that setting, ``scontrol requeue``, ``scancel``) stops it the same way without a
requeue of its own: SLURM requeues a job it preempts or is told to requeue, and
otherwise the same command continues the runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import rundir
from ..progress import Progress
from . import pipeline
from .build import ConfigError
from .job import already_done
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
#: SLURM's states of a task waiting to start (a requeued one too)
QUEUED = ("PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "CONFIGURING")
#: how long a task shows ended, without a result, before it counts as lost
GONE_S = 15.0
#: how often a sweep warns while SLURM's controller does not answer
SILENT_WARN_S = 60.0


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
            with pipeline.working_directory(self.start_dir), stop_at_epoch_end(stop, preempt), \
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

    @contextmanager
    def connected(self) -> Iterator[None]:
        """The engine reached before the sweep writes anything (a local Ray cluster
        started, a running one connected to, SLURM's controller asked); let go after,
        with no task of the sweep left queued or running."""
        self.engine.connect()
        try:
            yield
        finally:
            self.engine.close()

    def run(self, plan: Plan, observers: Sequence[Observer]) -> None:
        from .executors import JobsNotRun, chunks

        stop = next((o for o in observers if isinstance(o, StopAtEpochEnd)), StopAtEpochEnd())
        todo = [spec for spec in plan.jobs
                if not already_done(spec.cfg, spec.run_dir, spec.overrides)]
        if len(todo) < len(plan.jobs):
            log.info(f"{len(plan.jobs) - len(todo)} of {len(plan.jobs)} jobs already done "
                     f"there: not submitted again")
        if not todo:
            return
        units = chunks(todo, self.parts or len(todo), self.min_models)
        tasks = [StackTask([spec.without_experiment() for spec in unit], plan.start_dir,
                           len(plan.jobs), self.threads) for unit in units]
        handles = self.engine.submit(tasks, plan)
        log.info(f"{len(tasks)} stack task(s) of {len(todo)} jobs submitted to "
                 f"{self.engine.describe()}")
        outcomes = self._watch(handles, units, stop)
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
                    if stop.requested is None:  # stopped: a cancelled task's jobs did not fail
                        failed += sum(_failed(spec) for spec in units[i])
            done = sum(outcome is not None for outcome in outcomes)
            progress.update(done, f"{states.count('running')} running, "
                                  f"{states.count('queued')} queued, {failed} job(s) failed")
            if stop.requested is not None and cancelled_at is None:
                log.warning(f"stopping the {self.engine.name} tasks: each keeps what it "
                            f"trained")
                self.engine.cancel(handles)
                cancelled_at = time.monotonic()
            if cancelled_at is not None and time.monotonic() - cancelled_at > STOP_WAIT_S:
                break  # what is left is cancelled outright when the engine is let go
            if done < len(handles):
                time.sleep(self.engine.poll_s)
        progress.close(sum(outcome is not None for outcome in outcomes))
        return [outcome or (WorkerLost("stopped before it ended"), None)
                for outcome in outcomes]


def _failed(spec: JobSpec) -> bool:
    """Whether an ended task's job failed: a failed record, or none (the task died)."""
    record = rundir.read_result(spec.run_dir)
    return record is None or record.get("status") == rundir.FAILED


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
        self.jobs: list = []
        self.ended_ids: set[str] = set()  # the tasks seen done
        #: tasks SLURM shows ended (or no longer shows) without a result: (state, since)
        self.ended: dict[str, tuple[str, float]] = {}
        self.last: dict[str, str] = {}  # the states last read
        self.silent_since: float | None = None  # since when squeue has not answered
        self.warned_at = 0.0

    def connect(self) -> None:
        """On SLURM, refuse a controller that does not answer (before anything is
        written)."""
        if self.cluster != "slurm":
            return
        answer = _slurm(["sinfo", "-h", "-o", "%P"])
        if answer.returncode != 0:
            raise ConfigError(f"hydra.launcher.cluster=slurm: SLURM's controller does not "
                              f"answer (sinfo: {_last_line(answer.stderr) or 'no answer'}); "
                              f"try again once `sinfo` does, or run here with "
                              f"hydra.launcher.cluster=local")

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
            self.jobs = executor.submit_array(tasks)
        except (subprocess.CalledProcessError, submitit.core.utils.FailedJobError,
                OSError) as error:
            raise ConfigError(f"submitit could not submit the sweep's tasks: {error}") \
                from None
        self.array_id = str(self.jobs[0].job_id).split("_")[0] if self.jobs else None
        return self.jobs

    def states(self, jobs) -> list[str]:
        """queued, running or done for each job: its result file first; on SLURM then
        ``squeue`` (not submitit's ``sacct``, which clusters without accounting lack). A
        task that leaves no result is done once SLURM has shown it ended (or not at all)
        for :data:`GONE_S` (a requeued task passes through such states). While ``squeue``
        does not answer, the states last read stand, and a warning says so."""
        if self.cluster == "local":
            states = ["done" if job.done() else "running" for job in jobs]
        else:
            asked = time.monotonic()  # squeue may take a while to give up
            listed, now = _squeue(self.array_id), time.monotonic()
            self._heard(listed is not None, asked, now)
            states = []
            for job in jobs:
                key = str(job.job_id)
                state = listed.get(key) if listed is not None else None
                if job.paths.result_pickle.exists():
                    states.append("done")
                elif listed is None:  # nothing is known: as last read
                    states.append(self.last.get(key, "running"))
                elif state is None or state in ENDED:
                    since = self.ended.setdefault(key, (state or "left the queue", now))[1]
                    states.append("done" if now - since >= GONE_S else "running")
                else:
                    self.ended.pop(key, None)
                    states.append("queued" if state in QUEUED else "running")
            self.last = {str(job.job_id): state for job, state in zip(jobs, states)}
        self.ended_ids |= {str(job.job_id) for job, state in zip(jobs, states)
                           if state == "done"}
        return states

    def _heard(self, answered: bool, asked: float, now: float) -> None:
        """Warn while SLURM's controller does not answer ``squeue`` (silent since it was
        first ``asked`` in vain; every :data:`SILENT_WARN_S`); say when it answers again."""
        if answered:
            if self.silent_since is not None and self.warned_at:
                log.info("SLURM's controller answers again")
            self.silent_since, self.warned_at = None, 0.0
            return
        self.silent_since = self.silent_since or asked
        if now - self.silent_since >= SILENT_WARN_S and now - self.warned_at >= SILENT_WARN_S:
            log.warning(f"SLURM's controller has not answered squeue for "
                        f"{now - self.silent_since:.0f} s: the tasks go on where they run "
                        f"and their results are read as they come; waiting (Ctrl-C stops "
                        f"the sweep, the same command continues it)")
            self.warned_at = now

    def outcome(self, job) -> tuple:
        if job.paths.result_pickle.exists():
            try:
                return None, job.result()
            except Exception as error:
                return WorkerLost(f"its submitit task failed: "
                                  f"{_last_line(str(error)) or type(error).__name__}"), None
        state = self.ended.get(str(job.job_id), ("ended", 0))[0]
        log_tail = _last_line(job.stderr() or "")
        where = "SLURM task" if self.cluster == "slurm" else "submitit's local task"
        return WorkerLost(f"{where} {job.job_id} {state.lower()} without a result"
                          + (f": {log_tail}" if log_tail else "")), None

    def cancel(self, jobs) -> None:
        """Stop the sweep's tasks: queued ones never start, running ones get SIGTERM (not a
        kill: each stops at the end of an epoch and keeps what it trained)."""
        if self.cluster == "slurm":
            if self.array_id is not None:
                _slurm(["scancel", "--state=PENDING", self.array_id])
                _slurm(["scancel", "--signal=TERM", "--state=RUNNING", self.array_id])
            return
        for job in jobs:  # the local controller (its job id: its pid) passes SIGTERM on
            with contextlib.suppress(Exception):
                os.kill(int(job.job_id), signal.SIGTERM)

    def close(self) -> None:
        """No task outlives the command: those not seen done (a second Ctrl-C, an error
        while watching, a stop that outlasted :data:`STOP_WAIT_S`) are cancelled (SLURM:
        queued ones dropped, running ones SIGTERM, then killed after its KillWait)."""
        left = [job for job in self.jobs if str(job.job_id) not in self.ended_ids]
        if not left:
            return
        log.warning(f"cancelling {len(left)} {self.name} task(s) still queued or running; "
                    f"each keeps what it trained, and the same command continues them")
        if self.cluster == "slurm":
            _slurm(["scancel", self.array_id])
        else:
            self.cancel(left)


class _SacctOnce(logging.Filter):
    """submitit's warning on every poll of a cluster without SLURM accounting ("Bypassing
    sacct error ..."), said once, as what it means."""

    said = False

    def filter(self, record: logging.LogRecord) -> bool:
        if "Bypassing sacct error" not in record.getMessage():
            return True
        if not self.said:
            self.said = True
            log.info("SLURM's accounting (sacct) is off here: submitit follows the jobs by "
                     "their result files")
        return False


@contextmanager
def quiet_sacct() -> Iterator[None]:
    """While inside, submitit's repeated sacct warnings are one line."""
    logger, once = logging.getLogger("submitit"), _SacctOnce()
    logger.addFilter(once)
    try:
        yield
    finally:
        logger.removeFilter(once)


def _slurm(command: list[str]) -> subprocess.CompletedProcess:
    """A SLURM command's answer (a non-zero return code when it cannot run or times out)."""
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return subprocess.CompletedProcess(command, 1, "", str(error))


def _squeue(array_id: str | None) -> dict[str, str] | None:
    """SLURM's state of each task of the array (``123_4``: RUNNING, ...) that it still
    lists; None when ``squeue`` does not answer."""
    if array_id is None:
        return {}
    done = _slurm(["squeue", "-h", "-r", "-t", "all", "-j", array_id, "-o", "%i %T"])
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
        self.submitted_at, self.tasks, self.refs = 0.0, [], []
        self.ended_refs: set = set()

    def connect(self) -> None:
        import ray

        from .executors import available_cores

        if ray.is_initialized():  # the caller's own connection: used, and left as it is
            return
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

    def describe(self) -> str:
        import ray

        cpus = ray.cluster_resources().get("CPU", 0)
        where = f"the Ray cluster at {self.address}" if self.address else \
            "a local Ray cluster"
        return f"{where} ({cpus:g} CPUs)"

    def submit(self, tasks: list[StackTask], plan: Plan) -> list:
        import ray

        remote = ray.remote(num_cpus=tasks[0].threads if tasks else 1, max_retries=0)(
            run_stack_task)
        self.submitted_at, self.tasks = time.time(), tasks
        self.refs = [remote.remote(task) for task in tasks]
        return self.refs

    def states(self, refs) -> list[str]:
        import ray

        ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=0)
        self.ended_refs |= set(ready)
        return ["done" if ref in self.ended_refs else "running"
                if _started(task, self.submitted_at) else "queued"
                for ref, task in zip(refs, self.tasks)]

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
        """No task outlives the command (those not seen done are cancelled); a local
        cluster stops, and from a running one the process disconnects."""
        import ray

        left = [ref for ref in self.refs if ref not in self.ended_refs]
        for ref in left:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        if self.started:
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

"""Whole stacks on real distributed engines: submitit (local processes and a real SLURM)
and Ray (a local cluster, and one started with ``ray start``). Each sweep directory
must equal the in-process one (timing columns aside): after a task requeued at its
time limit, preempted, requeued by the scheduler, stopped by Ctrl-C, killed, and
while SLURM's controller was down.

The SLURM tests need a running one-node SLURM (``.ci/slurm.sh`` starts one, as root);
without it they skip with the reason, unless ``SWEEPNET_REQUIRE_CLUSTER=1`` (CI),
where a missing engine is a failure.
"""

import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from sweepnet.runner.app import main
from test_runner import assert_same_sweep, sweep

REQUIRED = os.environ.get("SWEEPNET_REQUIRE_CLUSTER") == "1"
# a resolver of sweepnet's presets (registered in every task too): 16 and 8 epochs
ARGS = ["optimizer.lr=0.5,1", "seed=0,1,2", "model.hidden=[4],[8]", "trainer.batch_size=32",
        "trainer.epochs='${epochs_for_budget:8,${optimizer.lr}}'"]
CHUNKS = "hydra.launcher.min_models_per_worker=2"  # stacks of 6 cut into 3 tasks
#: long enough to be signalled mid-training, short enough for the suite
LONG = ["optimizer.lr=0.5,1", "seed=0,1", "trainer.epochs=15000"]


def engine_missing(reason: str):
    if REQUIRED:
        pytest.fail(f"SWEEPNET_REQUIRE_CLUSTER=1 but {reason}")
    pytest.skip(reason)


def need(module: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        engine_missing(f"{module} is not installed (pip install \"sweepnet[{extra}]\")")


def slurm_ready() -> None:
    need("submitit", "cluster")
    if shutil.which("sinfo") is None:
        engine_missing("SLURM is not installed (run .ci/slurm.sh as root)")
    done = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    if done.returncode != 0 or not {"idle", "mixed", "allocated"} & set(done.stdout.split()):
        engine_missing(f"no SLURM node is up (sinfo: {(done.stdout + done.stderr).strip()}); "
                       f"run .ci/slurm.sh as root")


def in_process(workdir, args, name="local"):
    assert sweep(workdir, *args, "hydra.launcher.workers=1", name=name)[0] == 0
    return workdir / name


@pytest.fixture(scope="module")
def long_reference(tmp_path_factory):
    """The LONG sweep in this process, once for the tests that stop it somewhere."""
    return in_process(tmp_path_factory.mktemp("reference"), LONG)


def wait_for(condition, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def training(sweep_dir: Path, job: int) -> bool:
    """Whether a job has been claimed by a task (it trains from then on)."""
    return (sweep_dir / str(job) / ".hydra" / "overrides.yaml").exists()


def job_log(sweep_dir: Path, job: int) -> str:
    return (sweep_dir / str(job) / "sweepnet.log").read_text()


def stopped_and_continued(sweep_dir: Path, jobs) -> bool:
    """Whether each job's log says it was stopped and then continued from its checkpoint."""
    return all("interrupted after" in job_log(sweep_dir, j) and
               "continues from epoch" in job_log(sweep_dir, j) for j in jobs)


def task_processes(sweep_dir: Path) -> list[str]:
    """The pids of this sweep's submitit tasks on this machine (no one else's)."""
    pattern = rf"submitit\.core\._submit {re.escape(str(sweep_dir))}/"
    return subprocess.run(["pgrep", "-f", pattern], capture_output=True,
                          text=True).stdout.split()


def array_tasks(sweep_dir: Path) -> dict[str, str]:
    """SLURM's tasks of this sweep's job arrays (no one else's): ``123_0``: state and
    reason, for those it still lists as queued or running."""
    arrays = [p.name for p in (sweep_dir / ".submitit").glob("*") if p.name.isdigit()]
    if not arrays:
        return {}
    out = subprocess.run(["squeue", "-h", "-r", "-j", ",".join(arrays), "-o", "%i %T %r"],
                         capture_output=True, text=True).stdout
    return {line.split()[0]: line.split(maxsplit=1)[1] for line in out.splitlines()}


def running_tasks(sweep_dir: Path) -> list[str]:
    return sorted(t for t, s in array_tasks(sweep_dir).items() if s.startswith("RUNNING"))


def start_now(task: str) -> None:
    """SLURM holds a requeued task about two minutes (its BeginTime): start it now."""
    time.sleep(2.0)  # a start in the second of the kill is refused (its credential)
    subprocess.run(["scontrol", "update", f"jobid={task}", "StartTime=now"], check=True)


# ------------------------------------------------------------------ submitit, local processes


def test_submitit_local_tasks_write_the_in_process_sweep(workdir):
    need("submitit", "cluster")
    reference = in_process(workdir, ARGS)
    code, sweep_dir = sweep(workdir, *ARGS, "hydra.launcher.executor=submitit",
                            "hydra.launcher.cluster=local", CHUNKS, name="submitit")
    assert code == 0
    assert_same_sweep(reference, sweep_dir)
    # two stacks (the widths) of six jobs, three chunks each: six tasks, each one result
    assert len(list((sweep_dir / ".submitit").glob("*/*_result.pkl"))) == 6


def test_a_preempted_submitit_task_is_requeued_and_ends_with_the_same_numbers(
        workdir, long_reference):
    need("submitit", "cluster")
    sweep_dir = workdir / "preempted"
    signalled = []

    def preempt():  # submitit's preemption signal to one task, as SLURM sends it
        wait_for(lambda: training(sweep_dir, 0) and training(sweep_dir, 1), 60,
                 "both tasks to start")  # each has its handlers by then
        time.sleep(2.0)  # in training, past the start of the stack
        pid = task_processes(sweep_dir)[0]
        os.kill(int(pid), signal.SIGUSR2)
        signalled.append(pid)

    thread = threading.Thread(target=preempt)
    thread.start()
    code, _ = sweep(workdir, *LONG, "hydra.launcher.executor=submitit",
                    "hydra.launcher.cluster=local", CHUNKS, name="preempted")
    thread.join()
    assert code == 0 and signalled
    # the signalled task's two jobs (interleaved chunks: 0 and 2, or 1 and 3), and only
    # those, stopped at an epoch's end and continued from their checkpoints
    stopped = {j for j in range(4) if "interrupted after" in job_log(sweep_dir, j)}
    assert stopped in ({0, 2}, {1, 3}) and stopped_and_continued(sweep_dir, stopped)
    assert_same_sweep(long_reference, sweep_dir)


@pytest.mark.parametrize("engine", ["local", "slurm", "ray"])
def test_ctrl_c_stops_the_tasks_which_keep_checkpoints_that_a_resume_continues(
        workdir, long_reference, engine):
    """On SLURM one task runs at a time (array_parallelism=1): the queued one is
    cancelled, and no task of the sweep is left queued or running after the command."""
    if engine == "slurm":
        slurm_ready()
    need(*{"ray": ("ray", "ray")}.get(engine, ("submitit", "cluster")))
    sweep_dir = workdir / "stopped"
    args = {"local": ["hydra.launcher.executor=submitit", "hydra.launcher.cluster=local"],
            "slurm": ["hydra.launcher.executor=submitit", "hydra.launcher.array_parallelism=1"],
            "ray": ["hydra.launcher.executor=ray"]}[engine]
    args = [*LONG, *args, CHUNKS]
    started = [0] if engine == "slurm" else [0, 1]  # one task, or both

    def ctrl_c():
        wait_for(lambda: all(training(sweep_dir, j) for j in started), 120,
                 "the tasks to start")
        time.sleep(2.0)
        os.kill(os.getpid(), signal.SIGINT)  # the command's Ctrl-C, in its main thread

    thread = threading.Thread(target=ctrl_c)
    thread.start()
    code, _ = sweep(workdir, *args, name="stopped")
    thread.join()
    assert code == 130
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
    trained = sorted(j + k for j in started for k in (0, 2))  # a task's jobs: j, j + 2
    assert summary["job"].tolist() == trained and (summary["status"] == "interrupted").all()
    assert all((sweep_dir / str(j) / "checkpoint.npz").exists() for j in trained)
    if engine == "slurm":
        assert array_tasks(sweep_dir) == {}  # the queued task was cancelled, not left
    assert sweep(workdir, *args, name="stopped")[0] == 0
    assert all("continues from epoch" in job_log(sweep_dir, j) for j in trained)
    assert_same_sweep(long_reference, sweep_dir)


# ---------------------------------------------------------------------------- a real SLURM


def test_a_slurm_array_of_stacks_writes_the_in_process_sweep_through_two_requeues(
        workdir, long_reference, capsys):
    """Task 0 gets submitit's preemption signal (SIGUSR2: what ``--signal`` sends before a
    time limit) and requeues itself; task 1 is requeued by the scheduler (``scontrol
    requeue``: SIGTERM). Both keep checkpoints and continue."""
    slurm_ready()
    sweep_dir = workdir / "slurm"
    events = []

    def preempt_and_requeue():
        wait_for(lambda: training(sweep_dir, 0) and training(sweep_dir, 1), 120,
                 "both tasks to start")
        time.sleep(2.0)
        tasks = wait_for(lambda: running_tasks(sweep_dir)[1:] and running_tasks(sweep_dir),
                         60, "two running tasks")
        subprocess.run(["scancel", "--signal=USR2", tasks[0]], check=True)
        subprocess.run(["scontrol", "requeue", tasks[1]], check=True)
        events.append(tasks)
        for task in tasks:
            wait_for(lambda t=task: array_tasks(sweep_dir).get(t, "").startswith("PENDING"),
                     90, f"{task} to be requeued")
            start_now(task)

    thread = threading.Thread(target=preempt_and_requeue)
    thread.start()
    capsys.readouterr()
    code, _ = sweep(workdir, *LONG, "hydra.launcher.executor=submitit", CHUNKS, name="slurm")
    thread.join()
    assert code == 0 and events
    progress = [line for line in capsys.readouterr().err.splitlines()
                if line.startswith("sweepnet: stack tasks done")]
    assert re.match(r"sweepnet: stack tasks done 0/2 \(2 running, 0 queued, 0 job\(s\) failed, ",
                    progress[0])  # the first line, two seconds in
    assert progress[-1].startswith("sweepnet: stack tasks done 2/2 (")
    assert stopped_and_continued(sweep_dir, range(4))  # every job of both tasks
    assert_same_sweep(long_reference, sweep_dir)


def test_a_slurm_task_at_its_time_limit_requeues_itself_and_ends_with_the_same_numbers(
        workdir):
    """A real time limit: with ``timeout_min=2`` and ``signal_delay_s=60`` SLURM sends
    SIGUSR2 30 to 60 s into the task (it checks every 30 s); the jobs are sized to train
    about 80 s here, so the task is stopped at least once, requeues itself and
    continues (SLURM's two-minute hold of a requeued task is shortened)."""
    slurm_ready()
    calibration = in_process(workdir, ["optimizer.lr=0.5", "seed=0,1", "trainer.epochs=8000"],
                             name="calibration")
    seconds = json.loads((calibration / "0" / "result.json").read_text())["wall_time"]
    epochs = int(8000 * 80 / seconds)  # the stack of two trains about 80 s here
    args = ["optimizer.lr=0.5", "seed=0,1", f"trainer.epochs={epochs}"]
    reference = in_process(workdir, args)
    sweep_dir = workdir / "limited"
    requeues = []

    def hurry():  # every requeue of the task, until the sweep has ended
        while not (sweep_dir / "sweep_summary.csv").exists():
            for task in [t for t, s in array_tasks(sweep_dir).items() if "BeginTime" in s]:
                start_now(task)
                requeues.append(task)
                wait_for(lambda t=task: "BeginTime" not in array_tasks(sweep_dir).get(t, ""),
                         60, f"{task} to leave its hold")
            time.sleep(1.0)

    thread = threading.Thread(target=hurry, daemon=True)
    thread.start()
    code, _ = sweep(workdir, *args, "hydra.launcher.executor=submitit",
                    "hydra.launcher.timeout_min=2", "hydra.launcher.signal_delay_s=60",
                    "hydra.launcher.max_num_timeout=6", name="limited")
    thread.join(timeout=10)
    assert code == 0 and requeues
    (submitit_log,) = (sweep_dir / ".submitit").glob("*/*_0_log.out")
    assert "this job is timed-out" in submitit_log.read_text()  # submitit's word for it
    assert stopped_and_continued(sweep_dir, [0, 1])
    assert_same_sweep(reference, sweep_dir)


def test_a_slurm_task_that_dies_marks_its_jobs_failed_and_a_resume_trains_them(
        workdir, long_reference):
    slurm_ready()
    sweep_dir = workdir / "killed"

    def kill():
        wait_for(lambda: training(sweep_dir, 0), 120, "job 0 to start")
        task = wait_for(lambda: running_tasks(sweep_dir), 60, "a running task")[0]
        subprocess.run(["scancel", "--signal=KILL", task], check=True)

    thread = threading.Thread(target=kill)
    thread.start()
    options = ["hydra.launcher.partition=debug", "hydra.launcher.timeout_min=7",
               "hydra.launcher.mem_gb=1", "hydra.launcher.additional_parameters={comment:swept}"]
    code, _ = sweep(workdir, *LONG, "hydra.launcher.executor=submitit", CHUNKS, *options,
                    name="killed")
    thread.join()
    assert code == 1
    (script,) = (sweep_dir / ".submitit").glob("*/*_submission.sh")  # one array
    for line in ("--partition=debug", "--time=7", "--mem=1GB", "--comment=swept",
                 "--array=0-1%2", "--signal=USR2@120"):
        assert f"#SBATCH {line}\n" in script.read_text()
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
    failed = summary[summary["status"] == "failed"]
    assert len(failed) == 2 and (summary["status"] == "ok").sum() == 2
    record = json.loads((sweep_dir / str(failed["job"].iloc[0]) / "result.json").read_text())
    # SLURM's word for a task killed by a signal, and the task's last log line
    assert re.match(r"WorkerLost: SLURM task \d+_\d+ (cancelled|failed) without a result: ",
                    record["error"])
    assert sweep(workdir, *LONG, "hydra.launcher.executor=submitit", CHUNKS,
                 name="killed")[0] == 0
    assert len(list((sweep_dir / ".submitit").glob("*/*_submission.sh"))) == 2
    (resumed,) = sorted((sweep_dir / ".submitit").glob("*/*_submission.sh"))[1:]
    assert "#SBATCH --array" not in resumed.read_text()  # one task: the finished one not again
    assert_same_sweep(long_reference, sweep_dir)


def test_hydras_own_submitit_launcher_runs_a_job_per_slurm_task_without_sacct_noise(
        workdir, capsys):
    """Hydra's launcher, one SLURM task per job: the same tables, and submitit's warning
    on every poll of a SLURM without accounting said once, not every two seconds."""
    slurm_ready()
    args = ["optimizer.lr=0.5,1", "trainer.epochs=50"]
    reference = in_process(workdir, args)
    capsys.readouterr()
    code, sweep_dir = sweep(workdir, *args, "hydra/launcher=submitit_slurm",
                            "hydra.launcher.timeout_min=5", name="per_job")
    assert code == 0
    said = capsys.readouterr()
    assert "Bypassing sacct error" not in said.out + said.err
    assert_same_sweep(reference, sweep_dir)


@contextmanager
def slurmctld_down():
    """SLURM's controller stopped (its jobs go on where they run), started again after."""
    if os.geteuid() != 0 or shutil.which("slurmctld") is None:
        engine_missing("stopping and starting slurmctld needs root (.ci/slurm.sh's SLURM)")
    subprocess.run(["scontrol", "shutdown", "slurmctld"], check=True, capture_output=True)
    wait_for(lambda: subprocess.run(["pgrep", "-x", "slurmctld"]).returncode != 0, 60,
             "slurmctld to stop")
    try:
        yield
    finally:
        subprocess.run([shutil.which("slurmctld")], check=True)
        wait_for(lambda: subprocess.run(["sinfo", "-h"], capture_output=True).returncode == 0,
                 60, "slurmctld to answer")


def test_a_slurm_controller_that_does_not_answer_is_refused_or_waited_for(
        workdir, long_reference, capsys, monkeypatch):
    """Down at the start: one message, nothing written. Down while the tasks train: a
    warning, the tasks go on, and the sweep ends as if nothing happened."""
    slurm_ready()
    with slurmctld_down():
        code, sweep_dir = sweep(workdir, "optimizer.lr=0.5,1", "trainer.epochs=2",
                                "hydra.launcher.executor=submitit", name="down")
    assert code == 2 and not sweep_dir.exists()
    assert "hydra.launcher.cluster=slurm: SLURM's controller does not answer (sinfo: " \
        in capsys.readouterr().err

    from sweepnet.runner import distributed

    monkeypatch.setattr(distributed, "SILENT_WARN_S", 2.0)
    sweep_dir = workdir / "outage"

    def outage():
        wait_for(lambda: training(sweep_dir, 0) and training(sweep_dir, 1), 120,
                 "both tasks to start")
        with slurmctld_down():
            time.sleep(25.0)  # squeue takes 18 s to give up on it

    thread = threading.Thread(target=outage)
    thread.start()
    code, _ = sweep(workdir, *LONG, "hydra.launcher.executor=submitit", CHUNKS, name="outage")
    thread.join()
    assert code == 0
    said = capsys.readouterr()
    assert "SLURM's controller has not answered squeue for " in said.out + said.err
    assert_same_sweep(long_reference, sweep_dir)


# ------------------------------------------------------------------------------------- Ray


@pytest.fixture
def ray_engine():
    need("ray", "ray")
    import ray

    yield ray
    if ray.is_initialized():
        ray.shutdown()


def test_ray_tasks_write_the_in_process_sweep_and_a_killed_worker_fails_only_its_jobs(
        workdir, long_reference, ray_engine, capsys):
    from sweepnet.runner.executors import available_cores

    reference = in_process(workdir, ARGS)
    capsys.readouterr()
    code, sweep_dir = sweep(workdir, *ARGS, "hydra.launcher.executor=ray", CHUNKS, name="ray")
    assert code == 0
    # no address: a local cluster with the machine's cores
    assert f"submitted to a local Ray cluster ({available_cores()} CPUs)" in \
        capsys.readouterr().out
    assert_same_sweep(reference, sweep_dir)
    assert not ray_engine.is_initialized()  # the local cluster it started is shut down

    killed = workdir / "killed"
    victims = []

    def kill():
        wait_for(lambda: training(killed, 0), 120, "job 0 to start")
        time.sleep(2.0)
        pids = wait_for(lambda: subprocess.run(["pgrep", "-f", "ray::run_stack_task"],
                                               capture_output=True, text=True).stdout.split(),
                        60, "a Ray worker running a stack")
        os.kill(int(pids[0]), signal.SIGKILL)
        victims.append(pids[0])

    thread = threading.Thread(target=kill)
    thread.start()
    code, _ = sweep(workdir, *LONG, "hydra.launcher.executor=ray", CHUNKS, name="killed")
    thread.join()
    assert code == 1 and victims
    summary = pd.read_csv(killed / "sweep_summary.csv")
    assert (summary["status"] == "failed").sum() == 2 and (summary["status"] == "ok").sum() == 2
    errors = [json.loads((killed / str(j) / "result.json").read_text()).get("error", "")
              for j in summary["job"][summary["status"] == "failed"]]
    assert all("WorkerLost: its Ray task ended without a result" in e for e in errors)
    assert sweep(workdir, *LONG, "hydra.launcher.executor=ray", CHUNKS, name="killed")[0] == 0
    assert_same_sweep(long_reference, killed)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def ray_head(ray_engine, monkeypatch):
    """A Ray cluster running on this machine, started as its users start one (``ray start
    --head``, token authentication off here and in the test's process): its ports. It
    runs under ``--block``, so stopping that process stops this cluster and no other."""
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    ports = {"port": free_port(), "ray-client-server-port": free_port()}
    head = subprocess.Popen([str(Path(sys.executable).parent / "ray"), "start", "--head",
                             "--block", "--num-cpus=2", "--include-dashboard=false",
                             "--disable-usage-stats",
                             *(f"--{key}={value}" for key, value in ports.items())],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: head.poll() is not None or _listening(ports["ray-client-server-port"]),
                 120, "the Ray head to listen")
        if head.poll() is not None:
            engine_missing(f"`ray start --head` failed: {head.stderr.read()[-500:]}")
        yield ports
    finally:
        head.terminate()
        head.wait(timeout=60)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_running_ray_cluster_takes_the_stacks_at_auto_and_through_its_client(
        workdir, ray_head, ray_engine):
    reference = in_process(workdir, ARGS)
    addresses = {"auto": "auto", "client": f"ray://127.0.0.1:{ray_head['ray-client-server-port']}",
                 "beside": None}  # no address: a cluster of its own beside the running one
    for name, address in addresses.items():
        chosen = [f"hydra.launcher.address={address}"] if address else []
        code, sweep_dir = sweep(workdir, *ARGS, "hydra.launcher.executor=ray", CHUNKS, *chosen,
                                name=name)
        assert code == 0, name
        assert_same_sweep(reference, sweep_dir)
        assert not ray_engine.is_initialized()  # disconnected: the next sweep connects anew


# ------------------------------------------------------------------- options that cannot run


def refused(workdir, capsys, *args) -> str:
    code, sweep_dir = sweep(workdir, "optimizer.lr=0.5,1", "trainer.epochs=2", *args)
    assert code == 2
    assert not sweep_dir.exists()  # refused before anything was written
    return capsys.readouterr().err


def test_an_unknown_executor_names_the_executors(workdir, capsys):
    err = refused(workdir, capsys, "hydra.launcher.executor=slurm")
    assert "hydra.launcher.executor=slurm: not an executor; the executors are local, " \
           "submitit, ray" in err


def test_an_unknown_submitit_cluster_names_the_clusters(workdir, capsys):
    need("submitit", "cluster")
    err = refused(workdir, capsys, "hydra.launcher.executor=submitit",
                  "hydra.launcher.cluster=pbs")
    assert "hydra.launcher.cluster=pbs: submitit runs on 'slurm' or 'local'" in err


def test_slurm_without_sbatch_says_where_to_run(workdir, capsys, monkeypatch):
    need("submitit", "cluster")
    monkeypatch.setenv("PATH", str(workdir))  # no sbatch here
    err = refused(workdir, capsys, "hydra.launcher.executor=submitit")
    assert "sbatch is not on this machine's PATH" in err and "cluster=local" in err


def test_an_engine_whose_package_is_missing_names_the_extra(workdir, capsys, monkeypatch):
    from sweepnet.runner import distributed

    monkeypatch.setitem(distributed.ENGINES, "ray", ("sweepnet_no_such_package", "ray"))
    err = refused(workdir, capsys, "hydra.launcher.executor=ray")
    assert 'needs the sweepnet_no_such_package package: pip install "sweepnet[ray]"' in err


@pytest.mark.parametrize("address", ["127.0.0.1:9", "ray://127.0.0.1:9"])
def test_an_unreachable_ray_cluster_is_one_message_and_nothing_trains(workdir, capsys,
                                                                     ray_engine, address,
                                                                     monkeypatch):
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    code, sweep_dir = sweep(workdir, "optimizer.lr=0.5,1", "trainer.epochs=2",
                            "hydra.launcher.executor=ray", f"hydra.launcher.address={address}")
    assert code == 2
    err = capsys.readouterr().err
    assert f"hydra.launcher.address={address}: no Ray cluster could be reached" in err
    # a Ray client's connection that token authentication refuses looks the same: the way out
    assert ("RAY_AUTH_MODE=token" in err) == address.startswith("ray://")
    assert not sweep_dir.exists()  # refused before anything was written


def test_a_search_refuses_a_distributed_executor(workdir, capsys):
    need("optuna", "search")
    code = main(["-m", "hydra/sweeper=search", "optimizer.lr=interval(0.1,1)",
                 "hydra.sweeper.n_trials=2", "hydra.launcher.executor=ray",
                 f"hydra.sweep.dir={workdir / 's'}"])
    assert code == 2
    assert "hydra.launcher.executor=ray: a search (hydra/sweeper=search) trains its trials on " \
        "this machine" in capsys.readouterr().err

"""Whole stacks on real distributed engines: submitit (local processes and a real SLURM)
and a local Ray cluster. Each sweep directory must equal the in-process one (timing
columns aside), after a preempted-and-requeued task and after a killed worker too.

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


def test_a_preempted_submitit_task_is_requeued_and_ends_with_the_same_numbers(workdir):
    need("submitit", "cluster")
    reference = in_process(workdir, LONG)
    sweep_dir = workdir / "preempted"
    signalled = []

    def preempt():  # submitit's preemption signal to one task, as SLURM sends it
        wait_for(lambda: training(sweep_dir, 0), 60, "job 0 to start")
        time.sleep(2.0)  # in training, past the start of the stack
        found = subprocess.run(["pgrep", "-f", "submitit.core._submit"], capture_output=True,
                               text=True).stdout.split()
        for pid in found[:1]:
            os.kill(int(pid), signal.SIGUSR2)
            signalled.append(pid)

    thread = threading.Thread(target=preempt)
    thread.start()
    code, _ = sweep(workdir, *LONG, "hydra.launcher.executor=submitit",
                    "hydra.launcher.cluster=local", CHUNKS, name="preempted")
    thread.join()
    assert code == 0 and signalled
    logs = "".join(job_log(sweep_dir, j) for j in range(4))
    assert "interrupted after" in logs and "continues from epoch" in logs
    assert_same_sweep(reference, sweep_dir)


@pytest.mark.parametrize("cluster", ["local", "slurm"])
def test_ctrl_c_stops_the_tasks_which_keep_checkpoints_that_a_resume_continues(workdir,
                                                                              cluster):
    if cluster == "slurm":
        slurm_ready()
    need("submitit", "cluster")
    reference = in_process(workdir, LONG)
    sweep_dir = workdir / "stopped"
    args = [*LONG, "hydra.launcher.executor=submitit", f"hydra.launcher.cluster={cluster}",
            CHUNKS]

    def ctrl_c():
        wait_for(lambda: training(sweep_dir, 0) and training(sweep_dir, 1), 120,
                 "both tasks to start")
        time.sleep(2.0)
        os.kill(os.getpid(), signal.SIGINT)  # the command's Ctrl-C, in its main thread

    thread = threading.Thread(target=ctrl_c)
    thread.start()
    code, _ = sweep(workdir, *args, name="stopped")
    thread.join()
    assert code == 130
    statuses = pd.read_csv(sweep_dir / "sweep_summary.csv")["status"]
    assert (statuses == "interrupted").all()
    assert all((sweep_dir / str(j) / "checkpoint.npz").exists() for j in range(4))
    assert sweep(workdir, *args, name="stopped")[0] == 0
    assert "continues from epoch" in job_log(sweep_dir, 0)
    assert_same_sweep(reference, sweep_dir)


# ---------------------------------------------------------------------------- a real SLURM


def squeue() -> dict[str, str]:
    out = subprocess.run(["squeue", "-h", "-r", "-n", "sweepnet", "-o", "%i %T %r"],
                         capture_output=True, text=True).stdout
    return {line.split()[0]: line.split(maxsplit=1)[1] for line in out.splitlines()}


def test_a_slurm_array_of_stacks_writes_the_in_process_sweep_through_two_requeues(workdir,
                                                                                   capsys):
    """Task 0 gets submitit's preemption signal (SIGUSR2: what ``--signal`` sends before a
    time limit) and requeues itself; task 1 is requeued by the scheduler (``scontrol
    requeue``: SIGTERM). Both keep checkpoints and continue; SLURM holds a requeued job
    about two minutes, which the test shortens with ``scontrol update StartTime=now``."""
    slurm_ready()
    reference = in_process(workdir, LONG)
    sweep_dir = workdir / "slurm"
    events = []

    def preempt_and_requeue():
        wait_for(lambda: training(sweep_dir, 0) and training(sweep_dir, 1), 120,
                 "both tasks to start")
        time.sleep(2.0)
        tasks = sorted(wait_for(lambda: [t for t, s in squeue().items()
                                         if s.startswith("RUNNING")], 60, "running tasks"))
        subprocess.run(["scancel", "--signal=USR2", tasks[0]], check=True)
        subprocess.run(["scontrol", "requeue", tasks[1]], check=True)
        events.append(tasks)
        for task in tasks:
            wait_for(lambda t=task: squeue().get(t, "").startswith("PENDING"), 90,
                     f"{task} to be requeued")
            time.sleep(2.0)  # a start in the second of the kill is refused (its credential)
            subprocess.run(["scontrol", "update", f"jobid={task}", "StartTime=now"],
                           check=True)

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
    logs = "".join(job_log(sweep_dir, j) for j in range(4))
    assert logs.count("interrupted after") >= 2 and logs.count("continues from epoch") >= 2
    assert_same_sweep(reference, sweep_dir)


def test_a_slurm_task_that_dies_marks_its_jobs_failed_and_a_resume_trains_them(workdir):
    slurm_ready()
    reference = in_process(workdir, LONG)
    sweep_dir = workdir / "killed"

    def kill():
        wait_for(lambda: training(sweep_dir, 0), 120, "job 0 to start")
        task = wait_for(lambda: sorted(t for t, s in squeue().items()
                                       if s.startswith("RUNNING")), 60, "a running task")[0]
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
    assert_same_sweep(reference, sweep_dir)


# ------------------------------------------------------------------------------------- Ray


@pytest.fixture
def ray_engine():
    need("ray", "ray")
    import ray

    yield ray
    if ray.is_initialized():
        ray.shutdown()


def test_ray_tasks_write_the_in_process_sweep_and_a_killed_worker_fails_only_its_jobs(
        workdir, ray_engine):
    reference = in_process(workdir, ARGS)
    code, sweep_dir = sweep(workdir, *ARGS, "hydra.launcher.executor=ray", CHUNKS, name="ray")
    assert code == 0
    assert_same_sweep(reference, sweep_dir)
    assert not ray_engine.is_initialized()  # the local cluster it started is shut down

    long_reference = in_process(workdir, LONG, name="long")
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
    --head``; token authentication off, here and in the test's process): its ports."""
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    ray_command = str(Path(sys.executable).parent / "ray")
    ports = {"port": free_port(), "ray-client-server-port": free_port()}
    started = subprocess.run([ray_command, "start", "--head", "--num-cpus=2",
                              "--include-dashboard=false", "--disable-usage-stats",
                              *(f"--{key}={value}" for key, value in ports.items())],
                             capture_output=True, text=True)
    if started.returncode != 0:
        engine_missing(f"`ray start --head` failed: {started.stderr.strip()[-500:]}")
    yield ports
    subprocess.run([ray_command, "stop"], capture_output=True)


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
    assert not [p for p in sweep_dir.iterdir() if p.name.isdigit()]


def test_a_search_refuses_a_distributed_executor(workdir, capsys):
    need("optuna", "search")
    code = main(["-m", "hydra/sweeper=search", "optimizer.lr=interval(0.1,1)",
                 "hydra.sweeper.n_trials=2", "hydra.launcher.executor=ray",
                 f"hydra.sweep.dir={workdir / 's'}"])
    assert code == 2
    assert "hydra.launcher.executor=ray: a search (hydra/sweeper=search) trains its trials on " \
        "this machine" in capsys.readouterr().err

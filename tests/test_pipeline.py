"""One plan, one pipeline: checks whatever the flags, workers, checkpoints, exact resumes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sweepnet as sn
from sweepnet import registry, rundir
from sweepnet.runner.app import main
from sweepnet.runner.executors import chunks
from sweepnet.runner.plan import plan
from test_runner import assert_same_sweep

TIMING = ["time", "wall_time"]


def sweep(*args, name="sweep") -> tuple[int, Path]:
    return main(["-m", *args, f"hydra.sweep.dir={name}"]), Path(name)


# --------------------------------------------------------------------------- the plan


@pytest.mark.parametrize("flags", [[], ["--config-dir", "conf"], ["--config-name", "mine"],
                                   ["--config-dir", "conf", "-m"]],
                         ids=["no flag", "config dir", "config name", "-m after a flag"])
def test_every_check_runs_whatever_the_flags(workdir, capsys, flags):
    (workdir / "conf").mkdir()
    (workdir / "conf" / "mine.yaml").write_text("defaults:\n  - config\n  - _self_\n")
    if "--config-name" in flags:
        flags = ["--config-dir", "conf", *flags]
    for bad, message in ((["optimizer.lr=-1"], "lr must be in (0.0, inf)"),
                         (["+hydra.callbacks.x={_target_: os.makedirs, name: PWNED}"],
                          "never by import path"),
                         (["+hydra.launcher.foo={_target_: os.makedirs, name: PWNED}"],
                          "never by import path")):
        assert main([*flags, *bad, "hydra.run.dir=r"]) == 2
        assert message in capsys.readouterr().err
    assert not (workdir / "PWNED").exists() and not (workdir / "r").exists()


def test_a_launcher_config_reached_through_the_search_path_cannot_run_code(workdir, capsys):
    launchers = workdir / "more" / "hydra" / "launcher"
    launchers.mkdir(parents=True)
    (launchers / "evil.yaml").write_text("_target_: os.makedirs\nname: PWNED\n")
    assert main(["-m", "optimizer.lr=1,2", "hydra.searchpath=[file://more]",
                 "hydra/launcher=evil", "hydra.sweep.dir=s"]) == 2
    assert "runs only the launchers and sweepers installed packages provide" in \
        capsys.readouterr().err
    assert not (workdir / "PWNED").exists() and not (workdir / "s").exists()


def test_a_config_dir_adds_options_to_the_groups(workdir):
    (workdir / "conf" / "optimizer").mkdir(parents=True)
    (workdir / "conf" / "optimizer" / "heavy.yaml").write_text(
        "name: sgd\nlr: 0.3\nmomentum: 0.5\nnesterov: false\n")
    checked = plan(["optimizer=heavy", "trainer.epochs=2"], config_dir="conf")
    (job,) = checked.jobs
    assert job.cfg.optimizer.momentum == 0.5 and checked.command[:2] == [
        "--config-dir", str((workdir / "conf").absolute())]
    assert main(["--config-dir", "conf", "optimizer=heavy", "trainer.epochs=2",
                 "hydra.run.dir=r"]) == 0
    assert "momentum: 0.5" in (workdir / "r" / ".hydra" / "config.yaml").read_text()


def test_the_plan_is_an_object_and_nothing_is_left_behind(workdir):
    argv, environment = list(sys.argv), dict(os.environ)
    checked = plan(["optimizer.lr=0.5,1", "seed=0,1", "trainer.epochs=3"], multirun=True)
    assert [job.index for job in checked.jobs] == [0, 1, 2, 3]
    assert checked.jobs[3].overrides == ["optimizer.lr=1", "seed=1", "trainer.epochs=3"]
    assert checked.jobs[3].run_dir == checked.sweep_dir / "3"
    assert checked.launcher == "stacked" and checked.jobs[0].experiment is not None
    assert sys.argv == argv and os.environ == environment
    assert not (workdir / "outputs").exists()  # planned, nothing written


@pytest.mark.parametrize("launcher", ["stacked", "basic"])
def test_a_relative_data_path_works_under_every_launcher_and_chdir(workdir, launcher):
    from sklearn.datasets import make_moons

    X, y = make_moons(100, noise=0.2, random_state=0)
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "label": y}).to_csv("data.csv", index=False)
    code, sweep_dir = sweep("dataset=csv", "dataset.path=data.csv", "dataset.target=label",
                            "optimizer.lr=0.5,1", "trainer.epochs=3", "hydra.job.chdir=true",
                            f"hydra/launcher={launcher}")
    assert code == 0
    statuses = [json.loads((sweep_dir / j / "result.json").read_text())["status"] for j in "01"]
    assert statuses == ["ok", "ok"]


# --------------------------------------------------------------------------- executors


def test_chunks_split_large_stacks_interleaved_and_keep_small_ones_whole(workdir):
    checked = plan(["optimizer.lr=0.5,1", "seed=range(0,6)", "model.hidden=[4],[8]",
                    "trainer.epochs=2"], multirun=True)
    units = chunks(checked.jobs, workers=2, min_models=4)
    sizes = sorted(len(u) for u in units)
    assert sizes == [6, 6, 6, 6]  # two widths: two stacks of 12, each in two chunks of 6
    assert sorted(j.index for u in units for j in u) == list(range(24))
    assert chunks(checked.jobs, workers=2, min_models=100) and \
        sorted(len(u) for u in chunks(checked.jobs, 2, 100)) == [12, 12]


def test_workers_write_what_one_process_writes(workdir):
    args = ["optimizer.lr=0.5,1,2", "seed=0,1,2,3", "trainer.batch_size=32", "trainer.epochs=15"]
    assert sweep(*args, "hydra.launcher.workers=1", name="one")[0] == 0
    assert sweep(*args, "hydra.launcher.workers=2", "hydra.launcher.min_models_per_worker=2",
                 name="two")[0] == 0
    assert_same_sweep(workdir / "one", workdir / "two")


# --------------------------------------------------------------------------- resume


@pytest.fixture
def stops_at_epoch():
    """A plugin activation that sends this process SIGINT during a given training epoch:
    a Ctrl-C that arrives mid-epoch, as a user's does."""
    state = {"calls": 0, "at": None}

    @registry.layers.register("sigint_at")
    class SigintAt(sn.ReLU):
        def forward(self, x):
            if x.shape[-2] > 1 and state["at"] is not None:
                state["calls"] += 1
                if state["calls"] == state["at"]:
                    os.kill(os.getpid(), signal.SIGINT)
            return super().forward(x)

    yield state
    registry.layers.unregister("sigint_at")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_stopped_sweep_resumes_to_the_numbers_of_an_uninterrupted_one(
        workdir, capsys, stops_at_epoch, workers):
    args = ["model.activation=sigint_at", "optimizer.lr=0.5,1", "optimizer=adam",
            "seed=0,1", "trainer.batch_size=64", "trainer.epochs=40,25",
            "trainer.early_stopping=true", "trainer.tol=0",
            f"hydra.launcher.workers={workers}", "hydra.launcher.min_models_per_worker=2"]
    assert sweep(*args, name="whole")[0] == 0
    stops_at_epoch["at"] = 37  # mid-epoch, in the stack's 5th epoch or so
    assert sweep(*args, name="stopped")[0] == 130
    err = capsys.readouterr().err
    assert "interrupted one(s), which continue where they stopped" in err
    progress = [line for line in err.splitlines() if "training: model-epochs" in line]
    records = [json.loads((workdir / "stopped" / j / "result.json").read_text())
               for j in "01234567"]
    assert any(r["status"] == "interrupted" for r in records)
    for j, record in enumerate(records):
        if record["status"] == "interrupted":  # stopped at the end of an epoch, checkpointed
            assert (workdir / "stopped" / str(j) / rundir.CHECKPOINT).is_file()
            assert 0 < record["epochs"] < 40
    trained = sum(r["epochs"] for r in records)
    if progress:  # the line counts what really trained, not the planned total
        assert progress[-1].split()[3].split("/")[0] == str(trained)
    stops_at_epoch["at"] = None
    assert sweep(*args, name="stopped")[0] == 0
    logs = "".join(p.read_text() for p in (workdir / "stopped").glob("*/sweepnet.log"))
    assert "continues from epoch" in logs
    assert_same_sweep(workdir / "whole", workdir / "stopped")
    assert not list((workdir / "stopped").glob("*/checkpoint.npz"))


def test_an_immediate_interrupt_keeps_no_checkpoint_and_the_resume_starts_over(workdir):
    """A KeyboardInterrupt raised inside an epoch (not a stop request: a second Ctrl-C)
    leaves weights half-way through an epoch: no checkpoint, the job trains again."""
    calls = {"n": 0}

    @registry.layers.register("raises_mid_epoch")
    class RaisesMidEpoch(sn.ReLU):
        def forward(self, x):
            if x.shape[-2] > 1 and calls["n"] >= 0:
                calls["n"] += 1
                if calls["n"] == 30:
                    raise KeyboardInterrupt
            return super().forward(x)

    args = ["model.activation=raises_mid_epoch", "optimizer.lr=0.5,1", "trainer.batch_size=64",
            "trainer.epochs=30"]
    try:
        assert sweep(*args, name="s")[0] == 130
        assert not list(Path("s").glob("*/checkpoint.npz"))
        calls["n"] = -10**9
        assert sweep(*args, name="s")[0] == 0
        assert sweep(*args, name="whole")[0] == 0
    finally:
        registry.layers.unregister("raises_mid_epoch")
    assert_same_sweep(workdir / "whole", workdir / "s")


def sweepnet_command() -> list[str]:
    script = Path(sys.executable).parent / "sweepnet"
    return [str(script)] if script.exists() else [sys.executable, "-m", "sweepnet.runner.app"]


@pytest.mark.parametrize("group", [True, False], ids=["whole process group", "main only"])
def test_ctrl_c_reaches_every_worker_whether_sent_to_the_group_or_the_main_process(
        tmp_path, group):
    args = ["-m", "optimizer.lr=0.5,1,2,0.1", "trainer.epochs=30000",
            "hydra.launcher.workers=2", "hydra.launcher.min_models_per_worker=2",
            "report.decision_boundaries=false", "hydra.sweep.dir=s"]
    process = subprocess.Popen([*sweepnet_command(), *args], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(tmp_path.glob("s/*/.hydra"))) < 4:
        time.sleep(0.2)
    time.sleep(1.5)  # every worker is training
    if group:
        os.killpg(process.pid, signal.SIGINT)
    else:
        os.kill(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    records = [json.loads((tmp_path / "s" / j / "result.json").read_text()) for j in "0123"]
    assert {r["status"] for r in records} == {"interrupted"}, err
    assert all((tmp_path / "s" / j / rundir.CHECKPOINT).is_file() for j in "0123")
    assert "Traceback" not in err

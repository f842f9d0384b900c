"""Bad input, faults and attacks, by kind (the second round: README "Nothing runs, nothing
overwritten"). Each kind is a table of cases; every refusal exits with status 2 and one
message, before anything is written, and leaves what was on disk as it was."""

import errno
import gzip
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sweepnet as sn
from sweepnet import rundir
from sweepnet.analysis.report import report
from sweepnet.runner.app import main


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its bytes."""
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def refused(args: list[str], capsys, workdir: Path, *expected: str) -> str:
    """Run ``args``; assert a refusal that wrote nothing; return its message."""
    before = snapshot(workdir)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("sweepnet: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err
    assert snapshot(workdir) == before
    return err


def short(*args: str) -> list[str]:
    return [*args, "trainer.epochs=3"]


# --------------------------------------------------------------------------- configs that run code

EVIL = "{_target_: os.makedirs, name: PWNED}"
USER_FILES = {  # a file a user may write, reached through --config-dir or hydra.searchpath
    "conf/dataset/evil.yaml": "name: moons\n_target_: os.makedirs\nname_: PWNED\n",
    "conf/hydra/job_logging/factory.yaml":
        "version: 1\nhandlers:\n  x:\n    (): os.makedirs\n    name: PWNED\n"
        "root:\n  handlers: [x]\n",
    "conf/hydra/job_logging/klass.yaml":
        "version: 1\nhandlers:\n  x:\n    class: os.makedirs\n    name: PWNED\n"
        "root:\n  handlers: [x]\n",
    "conf/hydra/job_logging/stream.yaml":
        "version: 1\nhandlers:\n  x:\n    class: logging.StreamHandler\n"
        "    stream: ext://os.makedirs\nroot:\n  handlers: [x]\n",
    "more/hydra/launcher/evil.yaml": "_target_: os.makedirs\nname: PWNED\n",
    "more/hydra/launcher/joblib.yaml": "_target_: os.makedirs\nn_jobs: 2\n",  # a shadow
}
SWEEP = ["-m", "optimizer.lr=1,2", "hydra.sweep.dir=s"]
CODE = {  # case: (arguments, what the message says)
    "launcher key": ([*SWEEP, f"+hydra.launcher.foo={EVIL}"], "never by import path"),
    "sweeper key": ([*SWEEP, f"+hydra.sweeper.foo={EVIL}"], "never by import path"),
    "nested in a list": ([*SWEEP, f"+hydra.launcher.foo.bar=[{EVIL}]"], "foo.bar.0._target_"),
    "launcher target": ([*SWEEP, "hydra.launcher._target_=os.makedirs"], "cannot be set"),
    "callback": (["--config-dir", "conf", f"+hydra.callbacks.x={EVIL}"], "never by import"),
    "component key": ([f"+model.foo={EVIL}"], "never by import path"),
    "swept target": ([*SWEEP, "+model._target_=os.makedirs,os.remove"], "cannot be set"),
    "dataset file": (["--config-dir", "conf", "dataset=evil"], "dataset._target_"),
    "logging factory": (["--config-dir", "conf", "hydra/job_logging=factory"], "()"),
    "logging class": (["--config-dir", "conf", "hydra/job_logging=klass"], "logging.*"),
    "logging stream": (["--config-dir", "conf", "hydra/job_logging=stream"], "ext://sys"),
    "launcher file": ([*SWEEP, "hydra.searchpath=[file://more]", "hydra/launcher=evil"],
                      "hydra/launcher=evil is no option an installed package ships"),
    "shadowed launcher": ([*SWEEP, "hydra.searchpath=[file://more]", "hydra/launcher=joblib"],
                          "replaced it"),
    "environment": (["+hydra.job.env_set.X=1"], "sets no environment variables"),
    "copied environment": (["hydra.job.env_copy=[PATH]"], "sets no environment variables"),
}


@pytest.mark.parametrize("args, message", CODE.values(), ids=CODE.keys())
def test_no_config_imports_or_calls_code(workdir, capsys, args, message):
    for name, text in USER_FILES.items():
        (workdir / name).parent.mkdir(parents=True, exist_ok=True)
        (workdir / name).write_text(text)
    refused(short(*args), capsys, workdir, message)
    assert not (workdir / "PWNED").exists()


@pytest.mark.parametrize("launcher", ["basic", "joblib"])
def test_the_launchers_installed_packages_ship_still_run(workdir, launcher):
    assert main(short("-m", f"hydra/launcher={launcher}", "optimizer.lr=1,2",
                      "hydra.sweep.dir=s")) == 0
    assert sn.analysis.load("s").summary["status"].tolist() == ["ok", "ok"]


# --------------------------------------------------------------------------- files of the user's

FOREIGN = {  # case: (files before, arguments, the file the message names)
    "run folder": ({"d/history.csv": "precious"}, ["hydra.run.dir=d"], "history.csv"),
    "hidden file": ({"d/.notes": "precious"}, ["hydra.run.dir=d"], ".notes"),
    "sweep folder": ({"s/0/history.csv": "precious", "s/sweep_summary.csv": "mine"},
                     ["-m", "optimizer.lr=1,2", "hydra.sweep.dir=s"], "0"),
    "job folder of a sweep": ({"s/.sweepnet": "sweep\n", "s/1/model.npz": "mine"},
                              ["-m", "optimizer.lr=1,2", "hydra.sweep.dir=s"], "model.npz"),
}


@pytest.mark.parametrize("files, args, name", FOREIGN.values(), ids=FOREIGN.keys())
def test_a_folder_of_files_sweepnet_did_not_write_is_refused_untouched(workdir, capsys, files,
                                                                       args, name):
    for path, text in files.items():
        (workdir / path).parent.mkdir(parents=True, exist_ok=True)
        (workdir / path).write_text(text)
    refused(short(*args), capsys, workdir, "did not write", name)


def test_an_empty_folder_is_used(workdir):
    (workdir / "d").mkdir()
    assert main(short("hydra.run.dir=d")) == 0
    assert rundir.is_run_dir(workdir / "d")


# --------------------------------------------------------------------------- resuming

def test_a_config_file_changed_between_runs_is_refused_unless_restarted(workdir, capsys):
    (workdir / "conf").mkdir()
    config = workdir / "conf" / "mine.yaml"
    config.write_text("defaults:\n  - config\n  - _self_\ntrainer:\n  epochs: 5\n")
    args = ["--config-dir", "conf", "--config-name", "mine", "-m", "optimizer.lr=1,2",
            "hydra.sweep.dir=s"]
    assert main(args) == 0
    (workdir / "s" / "1" / "result.json").unlink()  # job 1 left to do, as after a kill
    config.write_text("defaults:\n  - config\n  - _self_\ntrainer:\n  epochs: 8\n")
    refused(args, capsys, workdir, "trained with another config", "trainer.epochs",
            "resume=restart")
    assert main([*args, "resume=restart"]) == 0
    summary = sn.analysis.load("s").summary
    assert summary["epochs"].tolist() == [8, 8]


# --------------------------------------------------------------------------- readers and writers

@pytest.fixture
def finished(workdir) -> Path:
    assert main(short("-m", "optimizer.lr=1,2", "hydra.sweep.dir=s")) == 0
    return workdir / "s"


def test_a_report_while_a_sweep_writes_writes_nothing(finished):
    before = snapshot(finished)
    with rundir.lock(finished):  # as a running sweep holds it
        done = report(finished)
        printed = subprocess.run([sys.executable, "-m", "sweepnet.analysis.report",
                                  str(finished)], capture_output=True, text=True)
    assert done.busy and not done.files
    assert snapshot(finished) == before
    assert "a sweep is writing into" in printed.stderr and "wrote" not in printed.stdout
    assert "Traceback" not in printed.stderr


def test_reading_a_sweep_with_no_finished_run_says_so(workdir):
    rundir.claim(workdir / "s", rundir.SWEEP)
    (workdir / "s" / "0").mkdir()
    for load in (sn.results.load, sn.analysis.load):
        with pytest.raises(ValueError, match="no run that ended yet"):
            load(workdir / "s")
    assert report(workdir / "s").sweep.summary.empty  # the report says it, without raising


# --------------------------------------------------------------------------- file system faults

@pytest.mark.parametrize("code, said", [(errno.ENOSPC, "the disk is full"),
                                        (errno.EROFS, "read-only"),
                                        (errno.EACCES, "permission denied")])
def test_a_write_failing_mid_sweep_is_a_message_and_keeps_what_was_written(
        workdir, capsys, monkeypatch, code, said):
    write = rundir.write_atomic

    def failing(path, how):
        if Path(path).parent.name == "1":
            raise OSError(code, os.strerror(code), str(path))
        return write(path, how)

    monkeypatch.setattr(rundir, "write_atomic", failing)
    assert main(short("-m", "optimizer.lr=1,2", "hydra/launcher=basic",
                      "hydra.sweep.dir=s")) == 1
    err = capsys.readouterr().err
    assert said in err and str(Path("s", "1")) in err and "job(s) could not be run" in err, err
    assert "Traceback" not in err and "Logging error" not in err
    assert rundir.read_result(workdir / "s" / "0")["status"] == "ok"


def test_a_name_longer_than_the_file_system_allows_is_refused(workdir, capsys):
    refused(short(f"hydra.run.dir={'x' * 300}"), capsys, workdir, "longer than the file system")


# --------------------------------------------------------------------------- data files

CSV_TEXT = "a,b,y\n" + "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(40))
BAD_CSV = {  # case: (file name, bytes, what the message says)
    "infinite value": ("d.csv", CSV_TEXT.replace("3,", "inf,", 1).encode(), "infinite"),
    "huge values": ("d.csv", CSV_TEXT.replace("3,", "1e300,", 1).encode(),
                    "after scaling"),
    "duplicate header": ("d.csv", CSV_TEXT.replace("a,b,y", "a,a,y").encode(),
                         "names column(s) 'a' more than once"),
    "long line": ("d.csv", CSV_TEXT.encode() + b"1" * 1_100_000 + b",1,1\n",
                  "a line of more than 1,000,000 characters"),
    "compressed bomb": ("d.csv.gz", gzip.compress(CSV_TEXT.encode() * 3000),
                        "once decompressed"),
    "huge field": ("d.csv", CSV_TEXT.encode() + b"9" * 200_000 + b",1,1\n",
                   "(200,002 characters)"),
}


@pytest.mark.parametrize("name, data, message", BAD_CSV.values(), ids=BAD_CSV.keys())
def test_a_bad_data_file_is_a_short_message(workdir, capsys, monkeypatch, name, data, message):
    from sweepnet import system

    if name.endswith(".gz"):  # 100 KB of text at most
        monkeypatch.setattr(system, "usable_memory", lambda: 2_000_000)
    (workdir / name).write_bytes(data)
    err = refused(short("dataset=csv", f"dataset.path={name}", "dataset.target=y"), capsys,
                  workdir, message)
    assert len(err) < 4000


def test_an_unreadable_data_file_is_a_message(workdir, capsys, monkeypatch):
    import builtins

    from sweepnet.datasets import csv

    def denied(file, *args, **kwargs):
        if str(file).endswith("d.csv"):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(csv, "open", denied, raising=False)
    (workdir / "d.csv").write_text(CSV_TEXT)
    refused(short("dataset=csv", "dataset.path=d.csv", "dataset.target=y"), capsys, workdir,
            "cannot be read: Permission denied")


def test_a_relative_data_path_means_one_file_for_every_launcher(workdir):
    (workdir / "d.csv").write_text(CSV_TEXT)
    tables = []
    for launcher, name in (("stacked", "s1"), ("basic", "s2")):
        assert main(short("-m", f"hydra/launcher={launcher}", "hydra.job.chdir=true",
                          "dataset=csv", "dataset.path=d.csv", "dataset.target=y",
                          "optimizer.lr=1,2", f"hydra.sweep.dir={name}")) == 0
        tables.append(sn.analysis.load(name).history.drop(columns="time"))
    pd.testing.assert_frame_equal(*tables)


# --------------------------------------------------------------------------- messages and signals

@pytest.mark.parametrize("args", [["optimizer.lr=" + "7" * 20_000],
                                  ["model.activation=" + "x" * 20_000],
                                  ["dataset=csv", "dataset.target=y",
                                   "dataset.path=" + "d/" * 5_000]])
def test_a_message_stays_short_whatever_the_value(workdir, capsys, args):
    err = refused(args, capsys, workdir)
    assert len(err) < 4000


@pytest.mark.parametrize("delay", [0.1, 0.3, 0.6, 1.0])
def test_ctrl_c_while_starting_is_a_line_not_a_traceback(tmp_path, delay):
    command = Path(sys.executable).with_name("sweepnet")  # the console script
    process = subprocess.Popen([str(command), "-m", "optimizer.lr=1,2", "hydra.sweep.dir=s"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, (out, err)
    assert "Traceback" not in err and "interrupted" in err, err


def test_ctrl_c_anywhere_in_the_checks_is_an_interrupt_not_an_error(workdir, capsys):
    """Raised inside Hydra or OmegaConf, an interrupt could surface as another error
    (an ``AttributeError`` from a half-made config): it must stay an interrupt."""
    for delay in np.linspace(0.05, 0.65, 13):  # from just after the timer starts
        timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        status = main(["-m", "optimizer.lr=1,2,3", "dataset=moons,digits",
                       "trainer.epochs=100000", f"hydra.sweep.dir=s{delay:.2f}"])
        timer.join()
        err = capsys.readouterr().err
        assert status == 130 and "error" not in err, (delay, err)


# --------------------------------------------------------------------------- the Python API

def test_sweeps_from_threads_are_the_sweeps_of_the_main_thread(workdir):
    args = ("optimizer.lr=1,2", "trainer.epochs=20")
    serial = sn.sweep(*args, sweep_dir="main").history.drop(columns="time")
    results, errors = {}, []

    def run(name):
        try:
            results[name] = sn.sweep(*args, sweep_dir=name).history.drop(columns="time")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in ("t1", "t2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for name in ("t1", "t2"):
        pd.testing.assert_frame_equal(results[name], serial)


# --------------------------------------------------------------------------- smaller ones

SMALL = {  # case: (arguments, what the message says)
    "a string for a list of layers": (["model=layers", "model.layers=relu"],
                                      "must be a non-empty list like [{name: linear"),
    "nesterov without momentum": (["optimizer.nesterov=true"], "nesterov=True needs momentum"),
    "drop_last dropping everything": (["trainer.batch_size=100000", "trainer.drop_last=true"],
                                      "would drop every sample"),
    "a launcher option of the wrong type": (["-m", "hydra/launcher=joblib", "optimizer.lr=1,2",
                                             "hydra.launcher.n_jobs=abc"],
                                            "could not be converted to Integer"),
}


@pytest.mark.parametrize("args, message", SMALL.values(), ids=SMALL.keys())
def test_silent_no_ops_are_refused(workdir, capsys, args, message):
    refused(short(*args), capsys, workdir, message)


def test_the_estimator_refuses_what_the_command_refuses():
    from sweepnet.estimator import NetClassifier

    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    with pytest.raises(ValueError, match="Softmax over a single output"):
        NetClassifier(output="softmax", epochs=2).fit(X, y)


def test_a_run_that_diverged_at_once_says_so_in_its_plot_warning(workdir, capfd, recwarn):
    assert main(short("optimizer.lr=1e300", "loss=mse", "model.output=null",
                      "hydra.run.dir=r")) == 0
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]  # no overflow
    out, err = capfd.readouterr()  # figures are drawn in a child process: its lines
    assert "RuntimeWarning" not in err
    warnings = [line for line in out.splitlines() if "not drawn" in line]
    assert warnings and all("diverged before a finite value" in w for w in warnings)
    assert not any("no validation split" in w for w in warnings)



# --------------------------------------------------------------------------- memory

def test_a_training_step_larger_than_memory_is_refused_with_a_batch_size_that_fits(
        workdir, capsys, monkeypatch):
    from sweepnet.runner import build

    monkeypatch.setattr(build, "usable_memory", lambda: 400_000)
    err = refused(short(), capsys, workdir, "takes about", "trainer.batch_size=")
    fits = err.split("trainer.batch_size=")[1].split()[0]
    assert main(short(f"trainer.batch_size={fits}", "hydra.run.dir=r")) == 0


def test_the_memory_budget_is_what_a_slurm_task_or_a_cgroup_allows(workdir, capsys,
                                                                     monkeypatch):
    """A task on a shared node may use what SLURM gave it, not the node's memory."""
    from sweepnet import system

    machine = system._machine_memory()
    for name in ("SLURM_MEM_PER_NODE", "SLURM_MEM_PER_CPU", "SLURM_CPUS_ON_NODE"):
        monkeypatch.delenv(name, raising=False)
    assert system.usable_memory() == min(machine, system._cgroup_memory() or machine)
    monkeypatch.setenv("SLURM_MEM_PER_NODE", "1024")  # --mem=1G
    assert system.usable_memory() == min(2**30, machine)
    monkeypatch.delenv("SLURM_MEM_PER_NODE")
    monkeypatch.setenv("SLURM_MEM_PER_CPU", "512")  # --mem-per-cpu=512M on 3 CPUs
    monkeypatch.setenv("SLURM_CPUS_ON_NODE", "3")
    assert system.usable_memory() == min(3 * 2**29, machine)
    monkeypatch.setenv("SLURM_MEM_PER_CPU", "1")  # the checks take it: 3 MB
    refused(short("model.hidden=[128]"), capsys, workdir, "can be used here",
            "trainer.batch_size=")


def test_snapshots_larger_than_a_quarter_of_memory_are_refused(workdir, capsys, monkeypatch):
    from sweepnet.runner import build

    monkeypatch.setattr(build, "usable_memory", lambda: 4_000)  # 3 copies of 520 bytes
    refused(short("trainer.batch_size=1"), capsys, workdir,
            "report.snapshots: 3 copies of the weights", "report.snapshots=null")
    assert main(short("trainer.batch_size=1", "report.snapshots=null", "hydra.run.dir=r")) == 0


def test_stacks_are_cut_to_fit_in_memory_and_train_the_same_numbers(workdir, monkeypatch):
    from sweepnet.runner import pipeline
    from sweepnet.runner.build import snapshot_bytes

    args = ("optimizer.lr=0.5,1,1.5,2,2.5", "trainer.epochs=30")
    whole = sn.sweep(*args, sweep_dir="whole").history.drop(columns="time")
    one = pipeline.within_memory
    pieces = []
    step = None

    def recorded(stack):
        nonlocal step
        experiment = stack[0].experiment
        step = experiment.trainer.step_bytes(*experiment.X_train.shape) \
            + snapshot_bytes(experiment.trainer, experiment.epochs)  # the weights it keeps
        monkeypatch.setattr(pipeline, "usable_memory", lambda: 2 * step * 2)  # two a stack
        pieces.extend(len(piece) for piece in one(stack))
        return one(stack)

    monkeypatch.setattr(pipeline, "within_memory", recorded)
    cut = sn.sweep(*args, sweep_dir="cut").history.drop(columns="time")
    assert pieces == [2, 2, 1]
    pd.testing.assert_frame_equal(cut, whole)


# --------------------------------------------------------------------------- hints

@pytest.mark.parametrize("args, hint, fixed", [
    (["trainer.epoch=5"], "did you mean trainer.epochs?", ["trainer.epochs=5"]),
    (["optimizer=adam", "optimizer.momentum=0.9"], "e.g. optimizer=sgd optimizer.momentum=",
     ["optimizer=sgd", "optimizer.momentum=0.9"]),
    (["model.activation=ReLU"], "Did you mean 'relu'?", ["model.activation=relu"]),
    (["optimizer=Adam"], "did you mean optimizer=adam?", ["optimizer=adam"]),
    (["dataset=Moons"], "did you mean dataset=moons?", ["dataset=moons"]),
    (["model.hidden=[32,", "32]"], "quote it ('model.hidden=[32, 32]')",
     ["model.hidden=[32, 32]"]),
    (["trainer.foo.bar=1"], "trainer.foo is not a key of trainer (its keys: epochs", None),
])
def test_a_hint_leads_to_the_right_key_or_value_in_one_step(workdir, capsys, args, hint,
                                                            fixed):
    from sweepnet.runner.plan import plan

    err = refused([*args, "trainer.epochs=2"], capsys, workdir, hint)
    assert "+trainer" not in err and "+optimizer" not in err  # never the "+key" detour
    if fixed is not None:  # what the hint says to type is accepted
        assert plan([*fixed, "trainer.epochs=2"]).jobs

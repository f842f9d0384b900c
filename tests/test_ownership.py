"""Run and sweep directories are owned: one kind each, one writer at a time."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sweepnet import rundir
from sweepnet.runner.app import main


def sweepnet_command() -> list[str]:
    script = Path(sys.executable).parent / "sweepnet"
    return [str(script)] if script.exists() else [sys.executable, "-m", "sweepnet.runner.app"]


@pytest.fixture
def finished_sweep(workdir):
    assert main(["-m", "optimizer.lr=0.5,1", "trainer.epochs=5", "hydra.sweep.dir=sweep"]) == 0
    return workdir / "sweep"


def snapshot(directory: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("args, message", [
    (["trainer.epochs=5", "hydra.run.dir=sweep"],
     "sweep is a sweep's directory; a single run cannot be written into it"),
    (["-m", "optimizer.lr=0.5,1", "trainer.epochs=5", "hydra.sweep.dir=sweep/0"],
     "sweep/0 is a single run's directory"),
    (["-m", "optimizer.lr=2,3", "trainer.epochs=5", "hydra.sweep.dir=sweep/1"],
     "sweep/1 is a single run's directory"),
])
def test_a_directory_of_the_other_kind_is_refused_untouched(finished_sweep, capsys, args,
                                                            message):
    before = snapshot(finished_sweep)
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert snapshot(finished_sweep) == before
    assert rundir.kind_of(finished_sweep) == rundir.SWEEP
    assert rundir.kind_of(finished_sweep / "0") == rundir.RUN


def test_a_sweep_into_a_single_runs_directory_is_refused(workdir, capsys):
    assert main(["trainer.epochs=5", "hydra.run.dir=one"]) == 0
    before = snapshot(workdir / "one")
    assert main(["-m", "optimizer.lr=0.5,1", "hydra.sweep.dir=one"]) == 2
    assert "one is a single run's directory" in capsys.readouterr().err
    assert snapshot(workdir / "one") == before


def wait_for_lock(sweep_dir: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lock = sweep_dir / rundir.LOCK
        if lock.exists() and lock.read_text().startswith("pid"):
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the first sweep never took the lock")


def test_a_second_sweep_into_a_busy_directory_is_refused_and_the_first_one_finishes(tmp_path):
    """Two real processes: the second exits at once with a message, the first is unharmed."""
    args = ["-m", "optimizer.lr=1,2,0.5", "trainer.epochs=20000", "hydra.sweep.dir=x"]
    first = subprocess.Popen(sweepnet_command() + args, cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    wait_for_lock(tmp_path / "x", first)
    # the same sweep started again (a resume while it runs): only the lock can refuse it
    same = subprocess.run(sweepnet_command() + args, cwd=tmp_path, capture_output=True,
                          text=True)
    other = subprocess.run(
        sweepnet_command() + ["-m", "model.activation=tanh,relu,sigmoid",
                              "trainer.epochs=20000", "hydra.sweep.dir=x"],
        cwd=tmp_path, capture_output=True, text=True)
    assert first.poll() is None  # both answered while the first sweep was still running
    out, err = first.communicate(timeout=300)
    assert same.returncode == 2, same.stderr
    assert "x is in use by a running sweep (pid" in same.stderr
    assert other.returncode == 2 and "Traceback" not in other.stderr
    assert first.returncode == 0, err
    summary = pd.read_csv(tmp_path / "x" / "sweep_summary.csv")
    assert summary["optimizer.lr"].tolist() == [1.0, 2.0, 0.5]
    assert "model.activation" not in summary


def test_a_killed_sweep_leaves_no_lock_behind(tmp_path):
    first = subprocess.Popen(
        sweepnet_command() + ["-m", "optimizer.lr=1,2", "trainer.epochs=20000",
                              "hydra.sweep.dir=x"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_lock(tmp_path / "x", first)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    again = subprocess.run(  # the same sweep again: resumes, not "in use"
        sweepnet_command() + ["-m", "optimizer.lr=1,2", "trainer.epochs=20",
                              "hydra.sweep.dir=x"],
        cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert len(pd.read_csv(tmp_path / "x" / "sweep_summary.csv")) == 2


def start_and_wait(args, tmp_path, marker: str):
    """Start ``sweepnet args`` and return once ``marker`` appeared in its log output."""
    process = subprocess.Popen(sweepnet_command() + args, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in process.stdout:
        seen.append(line)
        if marker in line:
            return process, seen
    raise AssertionError("".join(seen))


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_single_run_keeps_what_it_trained(tmp_path, sig, code):
    process, _ = start_and_wait(["trainer.epochs=1000000", "trainer.log_every=200",
                                 "hydra.run.dir=r"], tmp_path, "epoch     400/")
    process.send_signal(sig)
    rest = process.communicate(timeout=60)[0]
    assert process.returncode == code, rest
    assert "Traceback" not in rest and "epochs trained so far are kept" in rest
    record, history, problem = rundir.check_run(tmp_path / "r")
    assert problem is None and record["status"] == "interrupted"
    assert record["epochs"] == len(history) >= 400
    assert record["final"]["loss"] == history["loss"].iloc[-1]
    assert (tmp_path / "r" / "model.npz").is_file()


def test_sigterm_of_a_sweep_writes_its_tables_and_says_how_to_resume(tmp_path):
    args = ["-m", "optimizer.lr=1,2", "trainer.epochs=300000", "hydra.sweep.dir=s"]
    process, _ = start_and_wait(args, tmp_path, "sweep of 2 jobs into")
    time.sleep(1.5)  # into the stack's training
    process.send_signal(signal.SIGTERM)
    rest = process.communicate(timeout=60)[0]
    assert process.returncode == 143, rest
    # the stacked launcher trains both jobs at once: both are interrupted, both kept
    assert "terminated (SIGTERM); 0 finished job(s) and 2 interrupted one(s)" in rest
    assert "Resume with:" in rest and "Traceback" not in rest
    summary = pd.read_csv(tmp_path / "s" / "sweep_summary.csv")
    assert summary["status"].tolist() == ["interrupted"] * 2 and (summary["epochs"] > 0).all()
    for job in (0, 1):
        record, history, problem = rundir.check_run(tmp_path / "s" / str(job))
        assert problem is None and record["epochs"] == len(history) > 0


def test_an_interrupted_sweep_into_a_timestamped_directory_resumes_there(tmp_path):
    args = ["-m", "optimizer.lr=1,2", "trainer.epochs=300000",
            "hydra.sweep.dir=multirun/${now:%H-%M-%S-%f}"]
    process, _ = start_and_wait(args, tmp_path, "sweep of 2 jobs into")
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    rest = process.communicate(timeout=60)[0]
    assert process.returncode == 130, rest
    resume = rest.split("Resume with:\n  sweepnet ")[1].strip().splitlines()[0]
    (sweep_dir,) = (tmp_path / "multirun").iterdir()
    assert f"hydra.sweep.dir={Path('multirun') / sweep_dir.name}" in resume
    assert "${now" not in resume and "tables written" in rest


def test_a_report_killed_at_any_moment_leaves_no_partial_table(tmp_path):
    """SIGKILL during the tables: each one is absent or whole, never cut short."""
    assert subprocess.run(sweepnet_command() + [
        "-m", "optimizer.lr=0.5,1,2", "trainer.epochs=20000", "report.decision_boundaries=false",
        "hydra.sweep.dir=s"], cwd=tmp_path, capture_output=True).returncode == 0
    sweep_dir = tmp_path / "s"
    whole = {name: len(pd.read_csv(sweep_dir / name)) for name in rundir.SWEEP_TABLES}
    assert whole["sweep_history.csv"] == 60000
    report = Path(sys.executable).parent / "sweepnet-report"
    for delay in (0.6, 0.9, 1.2, 1.5, 1.8, 2.1):
        for name in whole:
            (sweep_dir / name).unlink(missing_ok=True)
        process = subprocess.Popen([str(report), str(sweep_dir), "--no-boundaries"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        for name, rows in whole.items():
            if (sweep_dir / name).exists():
                assert len(pd.read_csv(sweep_dir / name)) == rows, (name, delay)


def test_the_command_exits_quickly_with_everything_written_and_said(tmp_path):
    """The console script leaves without the interpreter's teardown: its output, logs and
    files must all be complete, and its exit status the command's."""
    done = subprocess.run(sweepnet_command() + ["-m", "optimizer.lr=0.5,1", "trainer.epochs=3",
                                                "hydra.sweep.dir=s"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "sweep summary" in done.stdout + done.stderr
    assert "wrote" in (done.stdout + done.stderr).splitlines()[-1]
    assert "job 1 of 2" in (tmp_path / "s" / "1" / "sweepnet.log").read_text()
    assert len(pd.read_csv(tmp_path / "s" / "sweep_summary.csv")) == 2
    bad = subprocess.run(sweepnet_command() + ["optimizer.lr=-1"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.startswith("sweepnet: error: ")

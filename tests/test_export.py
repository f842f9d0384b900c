"""sweepnet-export: a real sweep read back through TensorBoard's and MLflow's own readers.

The references are the files the runs wrote (``history.csv``, ``result.json``,
``sweep_summary.csv``), read here with pandas and json, never sweepnet's exporter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sweepnet import rundir
from sweepnet.analysis.trackers import (
    TRACKERS,
    check_target,
    export,
    export_mlflow,
    export_tensorboard,
    main,
)

#: what each status becomes in TensorBoard's HParams and in MLflow (the export's contract)
TB_STATUS = {"ok": "STATUS_SUCCESS", "diverged": "STATUS_FAILURE", "failed": "STATUS_FAILURE"}
MLFLOW_STATUS = {"ok": "FINISHED", "diverged": "FAILED", "failed": "FAILED"}


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    """Six jobs: learning rates 0.5 and 2 train, 1e9 diverges (its last losses are huge,
    then missing); the sweep directory also holds a ``report.html``."""
    from sweepnet.runner.app import main as sweepnet

    root = tmp_path_factory.mktemp("export")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        assert sweepnet(["-m", "optimizer.lr=0.5,2,1e9", "seed=0,1", "loss=bce_with_logits",
                         "model.output=null", "trainer.epochs=30", "hydra.sweep.dir=sweep"]) == 0
    path = root / "sweep"
    if not (path / "report.html").exists():
        (path / "report.html").write_text("<!doctype html><title>sweep</title>")
    statuses = {result(path / job)["status"] for job in jobs(path)}
    assert statuses == {"ok", "diverged"}, statuses
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A single run with its own figures."""
    from sweepnet.runner.app import main as sweepnet

    root = tmp_path_factory.mktemp("single")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        assert sweepnet(["trainer.epochs=10", "hydra.run.dir=run"]) == 0
    assert list((root / "run").glob("*.png"))
    return root / "run"


def jobs(sweep: Path) -> list[str]:
    return sorted((p.name for p in sweep.iterdir() if (p / "result.json").is_file()), key=int)


def result(job_dir: Path) -> dict:
    return json.loads((job_dir / "result.json").read_text())


def hparams(job_dir: Path) -> dict:
    return rundir.override_values(result(job_dir)["overrides"])


def history(job_dir: Path) -> pd.DataFrame:
    return pd.read_csv(job_dir / "history.csv")


def series(job_dir: Path, column: str) -> pd.DataFrame:
    """A history column's epochs and values, its missing and non-finite values left out."""
    frame = history(job_dir)
    return frame.loc[np.isfinite(frame[column]), ["epoch", column]]


def snapshot(directory: Path) -> dict:
    return {p: p.stat().st_mtime_ns for p in sorted(directory.rglob("*"))}


# --------------------------------------------------------------------------- TensorBoard


def event_run(directory: Path):
    from tensorboard.backend.event_processing import event_accumulator as ea

    accumulator = ea.EventAccumulator(str(directory), size_guidance={ea.SCALARS: 0,
                                                                     ea.TENSORS: 0})
    accumulator.Reload()
    return accumulator


def hparams_data(accumulator) -> dict:
    """``{tag: HParamsPluginData}`` of one TensorBoard run."""
    from tensorboard.plugins.hparams import plugin_data_pb2

    try:
        content = accumulator.PluginTagToContent("hparams")
    except KeyError:  # the run has no hparams data
        return {}
    return {tag: plugin_data_pb2.HParamsPluginData.FromString(raw)
            for tag, raw in content.items()}


def session_hparams(start) -> dict:
    return {name: getattr(value, value.WhichOneof("kind"))
            for name, value in start.hparams.items()}


@pytest.fixture(scope="module")
def tensorboard_installed() -> None:
    pytest.importorskip("tensorboardX", reason="the tensorboard extra is not installed")
    pytest.importorskip("tensorboard", reason="reading back needs tensorboard")


@pytest.fixture(scope="module")
def mlflow_installed() -> None:
    pytest.importorskip("mlflow", reason="the mlflow extra is not installed")


@pytest.fixture(scope="module")
def logdir(sweep_dir, tmp_path_factory, tensorboard_installed) -> Path:
    return export_tensorboard(sweep_dir, tmp_path_factory.mktemp("tb") / "logdir")


def test_each_job_is_a_tensorboard_session_with_its_overrides_and_its_status(sweep_dir, logdir):
    from tensorboard.plugins.hparams import api_pb2

    assert sorted((p.name for p in logdir.iterdir() if p.is_dir()), key=int) == jobs(sweep_dir)
    for job in jobs(sweep_dir):
        data = hparams_data(event_run(logdir / job))
        start = data["_hparams_/session_start_info"].session_start_info
        assert session_hparams(start) == pytest.approx(hparams(sweep_dir / job))
        assert start.group_name == job
        end = data["_hparams_/session_end_info"].session_end_info
        status = result(sweep_dir / job)["status"]
        assert api_pb2.Status.Name(end.status) == TB_STATUS[status]
        assert start.start_time_secs <= end.end_time_secs


def test_each_history_column_is_a_scalar_series_with_the_epochs_and_values_of_history_csv(
        sweep_dir, logdir):
    for job in jobs(sweep_dir):
        run = event_run(logdir / job)
        columns = [c for c in history(sweep_dir / job) if c != "epoch"]
        assert sorted(run.Tags()["scalars"]) == sorted(columns)
        for column in columns:
            expected = series(sweep_dir / job, column)
            events = run.Scalars(column)
            assert [e.step for e in events] == expected["epoch"].tolist(), (job, column)
            with np.errstate(over="ignore"):  # TensorBoard keeps float32: 1e292 is inf there
                np.testing.assert_array_equal(np.float32([e.value for e in events]),
                                              expected[column].to_numpy(np.float32))


def test_the_logdir_root_holds_the_hparams_experiment_of_every_override_and_column(
        sweep_dir, logdir):
    from tensorboard.plugins.hparams import api_pb2

    root = event_run(logdir)
    experiment = hparams_data(root)["_hparams_/experiment"].experiment
    names = {k for job in jobs(sweep_dir) for k in hparams(sweep_dir / job)}
    assert {info.name for info in experiment.hparam_infos} == names
    types = {info.name: api_pb2.DataType.Name(info.type) for info in experiment.hparam_infos}
    assert types["optimizer.lr"] == "DATA_TYPE_FLOAT64" and types["loss"] == "DATA_TYPE_STRING"
    assert [m.name.tag for m in experiment.metric_infos] == \
        [c for c in history(sweep_dir / "0") if c != "epoch"]
    assert root.Tags()["scalars"] == []


def test_exporting_again_replaces_the_runs_without_duplicating_a_step(
        sweep_dir, tensorboard_installed, tmp_path):
    again = tmp_path / "tb"
    assert export_tensorboard(sweep_dir, again) == again
    for old in again.rglob("events.out.tfevents.*"):  # as if written a second earlier
        stamp = old.name.split(".")[3]
        old.rename(old.with_name(old.name.replace(stamp, str(int(stamp) - 1), 1)))
    assert export_tensorboard(sweep_dir, again) == again
    assert len(list(again.glob("events.out.tfevents.*"))) == 1
    for job in jobs(sweep_dir):
        assert len(list((again / job).iterdir())) == 1
        steps = [e.step for e in event_run(again / job).Scalars("loss")]
        assert steps == series(sweep_dir / job, "loss")["epoch"].tolist()


def test_a_job_directory_holding_other_files_is_not_replaced(sweep_dir, tensorboard_installed,
                                                             tmp_path):
    (tmp_path / "tb" / "1").mkdir(parents=True)
    (tmp_path / "tb" / "1" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="notes.txt, which is not a TensorBoard event file"):
        export_tensorboard(sweep_dir, tmp_path / "tb")
    assert [p.name for p in (tmp_path / "tb").rglob("*")] == ["1", "notes.txt"]


def test_a_run_directory_is_exported_as_a_sweep_of_one_job(run_dir, tensorboard_installed,
                                                           tmp_path):
    export_tensorboard(run_dir, tmp_path / "tb")
    run = event_run(tmp_path / "tb" / run_dir.name)
    start = hparams_data(run)["_hparams_/session_start_info"].session_start_info
    assert session_hparams(start) == {"trainer.epochs": 10}
    assert [e.step for e in run.Scalars("val_loss")] == history(run_dir)["epoch"].tolist()


# --------------------------------------------------------------------------- MLflow


@dataclass
class Exported:
    uri: str
    parent: str  # the parent run's id
    base: Path  # the directory holding the store


def mlflow_client(uri: str):
    """MLflow's client on ``uri`` (a directory store is read only when allowed, MLflow 3)."""
    from mlflow.tracking import MlflowClient

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        client = MlflowClient(tracking_uri=uri)
        client.search_experiments(max_results=1)  # builds the store while allowed
    return client


def children(client, parent):
    run = client.get_run(parent)
    return client.search_runs([run.info.experiment_id],
                              filter_string=f"tags.mlflow.parentRunId = '{parent}'")


@pytest.fixture(scope="module", params=["sqlite", "directory"])
def exported(request, sweep_dir, tmp_path_factory, mlflow_installed) -> Exported:
    base = tmp_path_factory.mktemp(f"mlflow-{request.param}")
    uri = f"sqlite:///{base / 'mlflow.db'}" if request.param == "sqlite" else str(base / "mlruns")
    return Exported(uri, export_mlflow(sweep_dir, uri), base)


def test_the_sweep_is_a_parent_run_with_one_child_run_per_job(sweep_dir, exported):
    client = mlflow_client(exported.uri)
    parent = client.get_run(exported.parent)
    assert client.get_experiment(parent.info.experiment_id).name == sweep_dir.name
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["sweepnet.kind"] == "sweep"
    assert parent.data.tags["swept"] == "optimizer.lr, seed"
    every = [set(result(sweep_dir / job)["overrides"]) for job in jobs(sweep_dir)]
    shared = rundir.override_values(sorted(set.intersection(*every)))
    assert parent.data.params == {k: str(v) for k, v in shared.items()}
    assert "optimizer.lr" not in parent.data.params
    kids = children(client, exported.parent)
    assert sorted((r.info.run_name for r in kids), key=int) == jobs(sweep_dir)


def test_each_child_run_holds_its_overrides_verdicts_and_status(sweep_dir, exported):
    summary = pd.read_csv(sweep_dir / rundir.SWEEP_SUMMARY).set_index("job")
    for run in children(mlflow_client(exported.uri), exported.parent):
        job = run.info.run_name
        assert run.data.params == {k: str(v) for k, v in hparams(sweep_dir / job).items()}
        assert run.info.status == MLFLOW_STATUS[result(sweep_dir / job)["status"]]
        row = summary.loc[int(job)]
        for key in ("status", "ending", "stuck_reason"):
            assert run.data.tags[key] == row[key]
        assert run.data.tags["stuck"] == str(row["stuck"]).lower()


def test_each_history_column_is_a_metric_history_equal_to_history_csv(sweep_dir, exported):
    client = mlflow_client(exported.uri)
    for run in children(client, exported.parent):
        job = run.info.run_name
        for column in [c for c in history(sweep_dir / job) if c != "epoch"]:
            expected = series(sweep_dir / job, column)
            logged = sorted(client.get_metric_history(run.info.run_id, column),
                            key=lambda m: m.step)
            assert [m.step for m in logged] == expected["epoch"].tolist(), (job, column)
            np.testing.assert_allclose([m.value for m in logged], expected[column],
                                       rtol=1e-15)


def test_each_child_run_holds_the_summary_metrics_that_are_finite(sweep_dir, exported):
    summary = pd.read_csv(sweep_dir / rundir.SWEEP_SUMMARY).set_index("job")
    for run in children(mlflow_client(exported.uri), exported.parent):
        job = run.info.run_name
        record, metrics = result(sweep_dir / job), run.data.metrics
        for column, kind, metric in rundir.METRICS:
            value = (record.get(kind) or {}).get(metric)
            if value is None:  # a diverged run's final loss
                assert column not in metrics
            else:
                assert metrics[column] == pytest.approx(value, rel=1e-12)
        assert metrics["epochs"] == record["epochs"]
        assert metrics["wall_time"] == pytest.approx(record["wall_time"], rel=1e-12)
        for column in ("convergence_epoch", "n_plateaus", "diverged_epoch"):
            value = summary.loc[int(job), column]
            assert metrics.get(column, np.nan) == pytest.approx(value, nan_ok=True)


def test_the_sweep_figures_and_report_are_artifacts_of_the_parent_run(sweep_dir, exported):
    client = mlflow_client(exported.uri)
    top = [a.path for a in client.list_artifacts(exported.parent)]
    assert sorted(top) == ["figures", "report.html"]
    figures = [a.path for a in client.list_artifacts(exported.parent, "figures")]
    assert figures == sorted(f"figures/{p.name}" for p in sweep_dir.glob("*.png"))
    for run in children(client, exported.parent):  # a job's own files only
        job_dir = sweep_dir / run.info.run_name
        assert [a.path for a in client.list_artifacts(run.info.run_id)] == \
            (["report.html"] if (job_dir / "report.html").exists() else [])


def test_artifacts_stay_beside_the_store_and_no_environment_change_remains(exported):
    assert "MLFLOW_ALLOW_FILE_STORE" not in os.environ
    client = mlflow_client(exported.uri)
    location = client.get_experiment(client.get_run(exported.parent).info.experiment_id) \
        .artifact_location
    where = exported.base / ("mlartifacts" if exported.uri.startswith("sqlite") else "mlruns")
    assert location.startswith(where.as_uri())
    assert list(where.rglob("report.html"))


def test_exporting_again_adds_a_second_parent_and_keeps_the_first(sweep_dir, exported,
                                                                  workdir):
    again = export_mlflow(sweep_dir, exported.uri, experiment="again")
    second = export_mlflow(sweep_dir, exported.uri, experiment="again")
    client = mlflow_client(exported.uri)
    experiment = client.get_experiment_by_name("again")
    parents = client.search_runs([experiment.experiment_id],
                                 filter_string="tags.`sweepnet.kind` = 'sweep'")
    assert {r.info.run_id for r in parents} == {again, second}
    assert len(children(client, again)) == len(children(client, second)) == 6
    assert list(workdir.iterdir()) == []  # nothing written where the command ran


def test_a_run_directory_is_a_parent_with_one_child_holding_its_figures(run_dir, mlflow_installed,
                                                                         tmp_path):
    uri = (tmp_path / "mlruns").as_uri()
    parent = export_mlflow(run_dir, uri)
    client = mlflow_client(uri)
    assert client.get_run(parent).data.params == {"trainer.epochs": "10"}
    assert client.list_artifacts(parent) == []
    (child,) = children(client, parent)
    figures = [a.path for a in client.list_artifacts(child.info.run_id, "figures")]
    assert figures == sorted(f"figures/{p.name}" for p in run_dir.glob("*.png"))


@pytest.mark.parametrize("status, tb_status, mlflow_status", [
    ("failed", "STATUS_FAILURE", "FAILED"), ("interrupted", "STATUS_UNKNOWN", "KILLED")])
def test_a_run_that_never_trained_is_exported_with_its_status_and_error(
        tensorboard_installed, mlflow_installed, tmp_path, status, tb_status, mlflow_status):
    from tensorboard.plugins.hparams import api_pb2

    run = tmp_path / "run"
    rundir.claim(run, rundir.RUN)
    rundir.write_result(run, {"status": status, "overrides": ["optimizer.lr=0.1"], "epochs": 0,
                              "wall_time": 0.5, "error": "RuntimeError: numerical trouble"})
    export_tensorboard(run, tmp_path / "tb")
    events = event_run(tmp_path / "tb" / "run")
    end = hparams_data(events)["_hparams_/session_end_info"].session_end_info
    assert api_pb2.Status.Name(end.status) == tb_status
    assert events.Tags()["scalars"] == []
    uri = str(tmp_path / "mlruns")
    parent = export_mlflow(run, uri)
    (child,) = children(mlflow_client(uri), parent)
    assert child.info.status == mlflow_status
    assert child.data.tags["error"] == "RuntimeError: numerical trouble"
    assert child.data.params == {"optimizer.lr": "0.1"}


# --------------------------------------------------------------------------- the command


def test_the_command_says_what_it_wrote_and_how_to_view_it(sweep_dir, tensorboard_installed,
                                                           tmp_path, capsys):
    assert main(["tensorboard", str(sweep_dir), str(tmp_path / "tb")]) == 0
    out = capsys.readouterr().out
    assert f"wrote 6 runs of {sweep_dir} to {tmp_path / 'tb'}" in out
    assert f"tensorboard --logdir {tmp_path / 'tb'}" in out
    pytest.importorskip("mlflow", reason="the mlflow extra is not installed")
    assert main(["mlflow", str(sweep_dir), str(tmp_path / "mlruns"), "--experiment", "e"]) == 0
    out = capsys.readouterr().out
    assert "wrote 6 runs" in out and "MLflow experiment 'e'" in out
    assert f"mlflow ui --backend-store-uri {(tmp_path / 'mlruns').as_uri()}" in out


def bad_inputs(sweep: Path, tmp: Path) -> dict[str, tuple[list[str], str]]:
    """Each kind of bad input: (arguments, what the message says)."""
    (tmp / "notes").mkdir()
    (tmp / "notes" / "notes.txt").write_text("mine")
    (tmp / "empty").mkdir()
    (tmp / "empty" / rundir.MARKER).write_text("sweep\n")
    (tmp / "file.txt").write_text("mine")
    (tmp / "database").mkdir()
    return {
        "not a sweep": (["tensorboard", str(tmp / "notes"), str(tmp / "tb")],
                        "neither a run nor a sweep directory"),
        "no directory": (["tensorboard", str(tmp / "nowhere"), str(tmp / "tb")],
                         "no run or sweep directory at"),
        "nothing finished": (["mlflow", str(tmp / "empty"), str(tmp / "ml")],
                             "has no run that ended yet"),
        "logdir is a file": (["tensorboard", str(sweep), str(tmp / "file.txt")],
                             "file.txt is a file"),
        "logdir is a sweep": (["tensorboard", str(sweep), str(sweep)],
                              "is a sweepnet sweep directory"),
        "bad scheme": (["mlflow", str(sweep), "ftp://host/x"],
                       "unsupported tracking URI 'ftp://host/x': use sqlite:///PATH.db"),
        "store is a file": (["mlflow", str(sweep), str(tmp / "file.txt")],
                            "file.txt is a file; a file store is a directory"),
        "sqlite in a directory": (["mlflow", str(sweep), f"sqlite:///{tmp / 'database'}"],
                                  "is a directory, not a database file"),
        "unreachable server": (["mlflow", str(sweep), "http://127.0.0.1:1"],
                               "cannot use the MLflow tracking store http://127.0.0.1:1"),
        "not a database": (["mlflow", str(sweep), f"sqlite:///{tmp / 'file.txt'}"],
                           "file is not a database"),
        "no experiment name": (["mlflow", str(sweep), str(tmp / "ml"), "--experiment", ""],
                               "an MLflow experiment needs a name"),
    }


@pytest.mark.parametrize("case", ["not a sweep", "no directory", "nothing finished",
                                  "logdir is a file", "logdir is a sweep", "bad scheme",
                                  "store is a file", "sqlite in a directory",
                                  "unreachable server", "not a database",
                                  "no experiment name"])
def test_bad_input_is_one_line_and_exit_2_and_nothing_written(sweep_dir, tmp_path, capsys,
                                                              case):
    if case in ("logdir is a file", "logdir is a sweep"):
        pytest.importorskip("tensorboardX", reason="the tensorboard extra is not installed")
    if case in ("unreachable server", "not a database"):
        pytest.importorskip("mlflow", reason="the mlflow extra is not installed")
    args, message = bad_inputs(sweep_dir, tmp_path)[case]
    before, sweep_before = snapshot(tmp_path), snapshot(sweep_dir)
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("sweepnet-export: error: ")
    assert captured.err.count("\n") == 1 and message in captured.err, captured.err
    assert snapshot(tmp_path) == before and snapshot(sweep_dir) == sweep_before


@pytest.mark.parametrize("tracker, package, extra", [
    ("tensorboard", "tensorboardX", "tensorboard"), ("mlflow", "mlflow", "mlflow")])
def test_a_missing_package_names_the_extra_to_install(sweep_dir, tmp_path, capsys, monkeypatch,
                                                      tracker, package, extra):
    for name in [package, *(m for m in sys.modules if m.startswith(f"{package}."))]:
        monkeypatch.setitem(sys.modules, name, None)  # what an uninstalled package does
    assert main([tracker, str(sweep_dir), str(tmp_path / "target")]) == 2
    err = capsys.readouterr().err
    assert f'pip install "sweepnet[{extra}]"' in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_export_chooses_the_tracker_by_name(sweep_dir, tensorboard_installed, tmp_path):
    assert TRACKERS == ("tensorboard", "mlflow")
    assert export(sweep_dir, "tensorboard", tmp_path / "tb") == tmp_path / "tb"
    assert (tmp_path / "tb" / "0").is_dir()
    with pytest.raises(ValueError, match="Did you mean 'tensorboard'"):
        export(sweep_dir, "tensorbord", tmp_path / "other")
    assert not (tmp_path / "other").exists()


def test_a_target_is_checked_before_anything_is_exported(sweep_dir, tensorboard_installed,
                                                         mlflow_installed, tmp_path, monkeypatch):
    check_target("tensorboard", tmp_path / "tb")
    check_target("mlflow", f"sqlite:///{tmp_path / 'mlflow.db'}")
    check_target("mlflow", tmp_path / "mlruns")
    for tracker, target, message in [("tensorboard", sweep_dir, "is a sweepnet sweep directory"),
                                     ("mlflow", "ftp://host/x", "unsupported tracking URI"),
                                     ("mlfow", "x", "Did you mean 'mlflow'")]:
        with pytest.raises(ValueError, match=message):
            check_target(tracker, target)
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    with pytest.raises(ImportError, match=r'sqlalchemy is not installed: .*"sweepnet\[mlflow\]"'):
        check_target("mlflow", f"sqlite:///{tmp_path / 'mlflow.db'}")
    check_target("mlflow", tmp_path / "mlruns")  # a file store needs no database
    assert list(tmp_path.iterdir()) == []


def test_the_module_imports_without_the_tracker_packages():
    code = ("import sys\n"
            "sys.modules.update(dict.fromkeys(['tensorboardX', 'tensorboard', 'mlflow']))\n"
            "from sweepnet.analysis import trackers\n"
            "assert trackers.TRACKERS == ('tensorboard', 'mlflow')\n"
            "assert not [m for m, v in sys.modules.items() if v is not None\n"
            "            and m.split('.')[0] in ('tensorboardX', 'mlflow', 'torch')]\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------- report.export

def test_report_export_writes_the_sweep_into_both_trackers_when_it_ends(
        workdir, tensorboard_installed, mlflow_installed):
    from sweepnet.runner.app import main as sweepnet

    assert sweepnet(["-m", "optimizer.lr=0.5,2", "trainer.epochs=15", "hydra.sweep.dir=s",
                     "report.export=[tensorboard,mlflow]",
                     f"report.tensorboard_dir={workdir / 'tb'}"]) == 0
    for job in ("0", "1"):  # the logdir chosen, read back by TensorBoard
        scalars = event_run(workdir / "tb" / job).Scalars("loss")
        expected = series(workdir / "s" / job, "loss")
        assert [s.step for s in scalars] == expected["epoch"].tolist()
        np.testing.assert_allclose([s.value for s in scalars], expected["loss"], rtol=1e-6)
    client = mlflow_client(f"sqlite:///{workdir / 's' / 'mlflow.db'}")  # the default store
    (parent,) = client.search_runs([client.get_experiment_by_name("s").experiment_id],
                                   filter_string="tags.`sweepnet.kind` = 'sweep'")
    assert sorted(r.data.params["optimizer.lr"] for r in children(client, parent.info.run_id)) \
        == ["0.5", "2"]


@pytest.mark.parametrize("setting, expected", [
    ("report.export=[tensorbord]", "Did you mean 'tensorboard'"),
    ("report.export=[mlflow]", "unsupported tracking URI"),
    ("report.export=tensorboard", "a file"),
])
def test_a_bad_report_export_is_refused_before_anything_trains(workdir, capsys, setting,
                                                               expected):
    from sweepnet.runner.app import main as sweepnet

    (workdir / "taken").write_text("a file, not a logdir")
    extra = {"report.export=[mlflow]": ["report.mlflow_uri=ftp://host/x"],
             "report.export=tensorboard": [f"report.tensorboard_dir={workdir / 'taken'}"]}
    assert sweepnet(["-m", "optimizer.lr=0.5,2", "trainer.epochs=5", "hydra.sweep.dir=s",
                     setting, *extra.get(setting, [])]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sweepnet: error: ") and expected in err, err
    assert not (workdir / "s").exists()

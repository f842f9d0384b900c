"""The `sweepnet` command: configs, runs, sweeps, launchers, resume and bad input."""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_module

import sweepnet as sn
from conftest import refusing_huge_activations
from sweepnet import registry, rundir
from sweepnet.analysis import load
from sweepnet.runner.app import main
from sweepnet.runner.build import ConfigError, build

CONF = Path(sn.__file__).parent / "conf"
TIMING = ["time", "wall_time"]


def compose_config(overrides):
    with initialize_config_module(config_module="sweepnet.conf", version_base=None):
        return compose("config", overrides=overrides)


def shipped_options():
    for group in sorted(p for p in CONF.iterdir() if p.is_dir() and p.name != "__pycache__"):
        for option in sorted(group.glob("*.yaml")):
            yield group.name, option.stem


@pytest.fixture(scope="module")
def breast_cancer_csv(tmp_path_factory):
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = pd.DataFrame({"diagnosis": np.where(data.target == 0, "M", "B"),
                          "radius_mean": data.data["mean radius"],
                          "texture_mean": data.data["mean texture"]})
    path = tmp_path_factory.mktemp("data") / "bdiag.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("group, option", list(shipped_options()))
def test_every_shipped_config_composes_and_builds(group, option, breast_cancer_csv):
    overrides = [f"{group}={option}"]
    if option in ("bce_with_logits", "cross_entropy"):
        overrides.append("model.output=null")
    if option == "cross_entropy":
        overrides += ["dataset=digits", "dataset.n_class=10"]
    if group == "dataset" and option == "iris":  # three classes
        overrides += ["loss=cross_entropy", "model.output=null"]
    if option == "csv":
        overrides += [f"dataset.path={breast_cancer_csv}", "dataset.target=diagnosis",
                      "dataset.positive=M"]
    cfg = compose_config(overrides)
    experiment = build(cfg)
    assert experiment.epochs >= 1
    assert experiment.model.forward(experiment.X_train[:2]).shape[0] == 2


def test_defaults_are_tutorial_003():
    cfg = compose_config([])
    experiment = build(cfg)
    assert (cfg.dataset.name, cfg.dataset.n_samples, cfg.dataset.noise) == ("moons", 1000, 0.2)
    assert [repr(layer) for layer in experiment.model] == [
        "Linear(2 -> 16)", "ReLU()", "Linear(16 -> 1)", "Sigmoid()"]
    assert (cfg.loss.name, cfg.optimizer.name, cfg.optimizer.lr) == ("bce", "sgd", 1.0)
    assert cfg.trainer.batch_size is None and cfg.trainer.epochs == 1000


def test_single_run_writes_history_result_and_model(workdir):
    assert main(["trainer=fast", "optimizer.lr=0.5"]) == 0
    (run_dir,) = (workdir / "outputs" / "runs").iterdir()
    history = pd.read_csv(run_dir / "history.csv")
    assert list(history.columns) == ["epoch", "loss", "val_loss", "val_accuracy", "time"]
    assert len(history) == 20
    result = json.loads((run_dir / "result.json").read_text())
    assert result["status"] == "ok" and result["epochs"] == 20 and result["seed"] == 0
    assert result["overrides"] == ["trainer=fast", "optimizer.lr=0.5"]
    assert result["final"]["loss"] == pytest.approx(history["loss"].iloc[-1])
    assert set(result["versions"]) >= {"sweepnet", "numpy", "hydra-core"}
    weights = np.load(run_dir / "model.npz", allow_pickle=False)
    assert sorted(weights.files) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert (run_dir / ".hydra" / "config.yaml").exists()
    for plot in ("loss_curves.png", "val_loss.png", "val_accuracy.png",
                 "decision_boundary.png"):
        assert (run_dir / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", plot


def sweep(workdir, *args, name="sweep"):
    sweep_dir = workdir / name
    code = main(["-m", *args, f"hydra.sweep.dir={sweep_dir}"])
    return code, sweep_dir


def test_sweep_in_process_writes_long_history_and_summary(workdir):
    code, sweep_dir = sweep(workdir, "optimizer.lr=0.5,1", "model.hidden=[4],[8]",
                            "trainer.epochs=15")
    assert code == 0
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
    history = pd.read_csv(sweep_dir / "sweep_history.csv")
    assert list(summary.columns[:4]) == ["job", "optimizer.lr", "model.hidden", "status"]
    assert len(summary) == 4 and (summary["status"] == "ok").all()
    assert len(history) == 4 * 15
    assert list(history.columns[:4]) == ["job", "optimizer.lr", "model.hidden", "epoch"]
    # the frames load() returns are the tables on disk
    results = load(sweep_dir)
    pd.testing.assert_frame_equal(results.summary, summary, check_dtype=False)
    pd.testing.assert_frame_equal(results.history, history, check_dtype=False)
    # the README's pivot: one column per run, for any number of swept parameters
    wide = results.history.pivot_table(index="epoch", columns=results.parameters,
                                       values="loss")
    assert wide.shape == (15, 4)
    assert wide[(1.0, "[8]")].tolist() == history[history["job"] == 3]["loss"].tolist()


def test_sweep_as_a_real_subprocess(tmp_path):
    script = Path(sys.executable).parent / "sweepnet"
    command = [str(script)] if script.exists() else [sys.executable, "-m",
                                                     "sweepnet.runner.app"]
    result = subprocess.run(command + ["-m", "optimizer.lr=0.2,2", "trainer.epochs=10",
                                       "hydra.sweep.dir=sweep"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    summary = pd.read_csv(tmp_path / "sweep" / "sweep_summary.csv")
    assert summary["optimizer.lr"].tolist() == [0.2, 2.0]
    assert "job 1 of 2: optimizer.lr=2" in result.stderr + result.stdout


@pytest.mark.skipif(importlib.util.find_spec("hydra_plugins.hydra_joblib_launcher") is None,
                    reason="hydra-joblib-launcher (extra 'parallel') is not installed")
def test_joblib_launcher_gives_the_same_tables_as_the_default_launcher(workdir):
    args = ["optimizer.lr=0.3,1,3", "trainer.epochs=25", "trainer.batch_size=64"]
    assert sweep(workdir, *args, name="serial")[0] == 0
    assert sweep(workdir, *args, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                 name="parallel")[0] == 0
    for table in ("sweep_summary.csv", "sweep_history.csv"):
        serial = pd.read_csv(workdir / "serial" / table).drop(columns=TIMING, errors="ignore")
        parallel = pd.read_csv(workdir / "parallel" / table).drop(columns=TIMING,
                                                                   errors="ignore")
        pd.testing.assert_frame_equal(serial, parallel, check_exact=True)


def test_resume_skips_finished_jobs_and_reruns_the_rest(workdir):
    args = ["optimizer.lr=0.5,1,2", "trainer.epochs=10"]
    assert sweep(workdir, *args)[0] == 0
    sweep_dir = workdir / "sweep"
    stamp = (sweep_dir / "0" / "history.csv").stat().st_mtime_ns
    (sweep_dir / "1" / "result.json").unlink()  # as if the sweep died during job 1
    (sweep_dir / "2" / "result.json").write_text(
        json.dumps({"status": "failed", "overrides": ["optimizer.lr=2", "trainer.epochs=10"]}))
    assert sweep(workdir, *args)[0] == 0
    assert (sweep_dir / "0" / "history.csv").stat().st_mtime_ns == stamp
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
    assert (summary["status"] == "ok").all() and len(summary) == 3


def test_a_sweep_dir_of_other_jobs_is_refused_untouched(workdir, capsys):
    assert sweep(workdir, "optimizer.lr=0.5,1", "trainer.epochs=5")[0] == 0
    before = (workdir / "sweep" / "0" / "result.json").read_text()
    assert sweep(workdir, "optimizer.lr=0.1,0.2", "trainer.epochs=5")[0] == 2
    assert "holds a run of other overrides" in capsys.readouterr().err
    assert (workdir / "sweep" / "0" / "result.json").read_text() == before


def test_swept_values_are_clean_in_tables_and_metadata(workdir):
    code, sweep_dir = sweep(workdir, "optimizer.lr=range(0.1,0.4,0.1)", "trainer.epochs=3")
    assert code == 0
    text = (sweep_dir / "sweep_summary.csv").read_text()
    assert "0.30000000000000004" not in text and ",0.3," in text
    result = json.loads((sweep_dir / "2" / "result.json").read_text())
    assert "optimizer.lr=0.3" in result["overrides"]


def test_diverged_and_failed_jobs_are_recorded_and_the_sweep_finishes(workdir):
    @registry.layers.register("breaks_in_training")
    class BreaksInTraining(sn.ReLU):
        def forward(self, x):
            if x.shape[-2] > 1:  # the shape check before training passes one sample
                raise RuntimeError("numerical trouble in a plugin")
            return super().forward(x)

    try:
        code, sweep_dir = sweep(workdir, "model.activation=relu,breaks_in_training",
                                "optimizer.lr=0.1,1e9", "loss=mse", "model.output=null",
                                "trainer.epochs=50")
    finally:
        registry.layers.unregister("breaks_in_training")
    assert code == 0
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
    status = dict(zip(zip(summary["model.activation"], summary["optimizer.lr"]),
                      summary["status"]))
    assert status[("relu", 0.1)] == "ok"
    assert status[("relu", 1e9)] == "diverged"
    diverged_job = summary.loc[summary["status"] == "diverged", "job"].iloc[0]
    strict = json.loads((sweep_dir / str(diverged_job) / "result.json").read_text(),
                        parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    assert strict["final"]["loss"] is None
    assert status[("breaks_in_training", 0.1)] == "failed"
    failed = summary[summary["status"] == "failed"]
    assert failed["error"].str.contains("numerical trouble in a plugin").all()
    assert "numerical trouble" in (sweep_dir / str(failed["job"].iloc[0]) /
                                   "sweepnet.log").read_text()


BAD_INPUT = [
    (["optimizer.name=adamm"], "unknown optimizer 'adamm'. Did you mean 'adam'?"),
    (["model.activation=rleu"], "unknown layer 'rleu'. Did you mean 'relu'?"),
    (["dataset=nope"], "dataset=nope: no such option"),
    (["optimizer.lr=abc"], "lr must be a number, got 'abc'"),
    (["dataset.noise=abc"], "dataset.noise must be a number, got 'abc'"),
    (["dataset.n_samples=1.5"], "dataset.n_samples must be an integer, got 1.5"),
    (["optimizer.lr=-1"], r"lr must be in (0.0, inf), got -1.0"),
    (["optimizer.lr=0"], r"lr must be in (0.0, inf), got 0.0"),
    (["trainer.epochs=0"], "trainer.epochs must be a positive integer, got 0"),
    (["model.hidden=[16,0]"], "model.hidden[1] must be a positive integer, got 0"),
    (["model=layers", "model.layers=[{name:linear,out_features:4},{name:relu},{name:linear}]"],
     "BCE takes probabilities, but the network ends in Linear(4 -> 1)"),
    (["loss=cross_entropy"], "CrossEntropy takes logits, but the network ends in Sigmoid()"),
    (["dataset=digits", "dataset.n_class=10"], "10 classes"),
    (["dataset=csv", "dataset.path=missing.csv", "dataset.target=y"], "missing.csv"),
    (["optimizer.lr=0.1,0.2"], "gives several values: add -m to sweep"),
    (["report.format=jpg"], "report.format must be one of ('png', 'svg', 'pdf')"),
    (["trainer.log_every=abc"], "trainer.log_every must be a non-negative integer"),
    (["model=layers", "model.layers=[relu]"], "model.layers[0] must be a mapping"),
    (["model=layers", "model.layers=[{name:linear,out_features:4,dtype:int8},{name:linear},"
      "{name:sigmoid}]"], "dtype come from the data"),
    (["optimizer=adam", "optimizer.eps=0"], "eps must be in (0.0, inf)"),
    (["experiment=lr_sweep", "optimizer.lr=0"], "needs a positive optimizer.lr"),
    (["-m", "optimizer.lr=1,2", "hydra.sweep.subdir=x"], "hydra.sweep.subdir cannot be changed"),
    (["model.hidden=abc"], "model.hidden must be a list of layer widths like [16, 16]"),
    (["trainer.batch_size=-1"], "trainer.batch_size must be a positive integer or null, got -1"),
    (["trainer.shuffle=3"], "trainer.shuffle must be true, false or cumulative, got 3"),
    (["trainer.shuffle=sometimes"], "trainer.shuffle must be true, false or cumulative"),
    (["trainer.early_stopping=true", "trainer.monitor=val_accuracy",
      "dataset.split.test_size=0"], "trainer.monitor=val_accuracy needs a validation split"),
    (["trainer.early_stopping=true", "trainer.n_iter_no_change=0"],
     "trainer.n_iter_no_change must be a positive integer"),
    (["trainer.early_stopping=yes"], "trainer.early_stopping must be true or false"),
    (["trainer.drop_last=1"], "trainer.drop_last must be true or false, got 1"),
    (["trainer.shuffle_rng=global"], "trainer.shuffle_rng must be 'own'"),
    (["baseline=sklearn_stop"], "baseline must be null, 'sklearn'"),
    (["model.init=randn"], "unknown initializer 'randn'; available: "),
    (["dataset.split.stratify=maybe"], "dataset.split.stratify must be true or false"),
    (["dataset.split.test_size=1.5"], "0 <= test_size < 1"),
    (["optimizer=adam", "optimizer.betas=[0.9]"], "betas must be two numbers"),
    (["model.output=softmax"], "a Softmax over a single output, which is always 1"),
    (["-m", "optimizer.lr=0.1,-2"], "job 1 (optimizer.lr=-2): optimizer: lr must be in"),
    (["dataset.seed=-1"], "dataset.seed must be a non-negative integer, got -1"),
    (["-m", "optimizer.lr=0.1,1", "report.x=model.hidden"],
     "report role 'model.hidden' was not swept; the swept parameters that can take a role: "
     "optimizer.lr"),
    (["-m", "optimizer.lr=0.1,1", "seed=0,1", "report.hue=seed"], "'seed' is a replicate"),
    (["report.replicates=3"], "report.replicates must be a list of parameter names, got 3"),
    (["report.log_scale=yes"], "report.log_scale must be true or false, got 'yes'"),
    (["+report.colour=lr"], "report: unknown keys ['colour']"),
    # keys that nothing reads, and options that do not exist, are typos: refused, not ignored
    (["experiment=lr_swep"], "experiment=lr_swep: there is no experiment 'lr_swep'; did you "
                             "mean experiment=lr_sweep?"),
    (["-m", "experiment=lr_sweep,lr_swep"], "did you mean experiment=lr_sweep?"),
    (["dataset=moonz"], "moonz"),
    (["+trainer.epoch=5"], "trainer.epoch is not a key sweepnet reads; did you mean "
                           "trainer.epochs?"),
    (["+trainer.batchsize=8"], "did you mean trainer.batch_size?"),
    (["+seeed=1"], "seeed is not a key sweepnet reads; did you mean seed?"),
    (["+model.actvation=tanh"], "model.actvation is not a key sweepnet reads; did you mean "
                                "model.activation?"),
    (["+dataset.nosie=0"], "does not take nosie"),
    (["+loss.reduce=0"], "does not take reduce"),
    # config that would run code
    (["+hydra.callbacks.x._target_=shutil.copyfile"], "_target_ (and _partial_, _args_) "
                                                       "cannot be set"),
    (["+dataset._target_=os.system"], "cannot be set"),
    (["hydra.callbacks.sweep_report._target_=builtins.print"], "cannot be set"),
    (["-m", "optimizer.lr=1,1"], "the sweep lists a value twice"),
    # absurd sizes are refused before any array is allocated
    (["model.hidden=[10000000000]"], "model.hidden: layers of widths [2, 10000000000, 1] have "
                                     "40,000,000,001 parameters"),
    (["model.hidden=[100000,100000]"], "use smaller layers"),
    (["model=layers", "model.layers=[{name:linear,out_features:300000},{name:relu},"
      "{name:linear,out_features:300000},{name:relu},{name:linear},{name:sigmoid}]"],
     "model.layers[2].out_features: layers of widths [300000, 300000]"),
    # output directories that cannot be written
    (["hydra.run.dir=outputs/keep.txt"], "outputs/keep.txt is a file, not a directory"),
    (["-m", "optimizer.lr=1,2", "hydra.sweep.dir=outputs/keep.txt/sweep"],
     "lies under outputs/keep.txt, which is a file"),
    (["-m", "optimizer.lr=0.5,1", "seed=0,0"], "the sweep lists a value twice"),
]


@pytest.mark.parametrize("args, message", BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_exits_with_one_message_before_any_run(workdir, capsys, args, message):
    (workdir / "outputs").mkdir()
    (workdir / "outputs" / "keep.txt").write_text("earlier results")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("sweepnet: error: ")
    assert message in err
    assert "Traceback" not in err
    assert [p.name for p in (workdir / "outputs").iterdir()] == ["keep.txt"]
    assert (workdir / "outputs" / "keep.txt").read_text() == "earlier results"


CSV_PROBLEMS = {  # name: (file text, target, what the hint must set)
    "semicolons": ("a;b;d\n1;2;1\n3;4;0\n5;6;1\n7;8;0\n9;1;1\n", "d", "delimiter"),
    "tabs": ("a\tb\td\n1\t2\t1\n3\t4\t0\n5\t6\t1\n7\t8\t0\n9\t1\t1\n", "d",
             "delimiter"),
    "pipes": ("a|b|d\n1|2|1\n3|4|0\n5|6|1\n7|8|0\n9|1|1\n", "d", "delimiter"),
    "two text classes": ("a,b,d\n1,2,M\n3,4,B\n5,6,M\n7,8,B\n9,1,M\n", "d", "positive"),
}


@pytest.mark.parametrize("text, target, key", CSV_PROBLEMS.values(), ids=CSV_PROBLEMS.keys())
def test_dataset_hints_are_overrides_that_fix_the_problem(workdir, capsys, text, target, key):
    """A hint names the key with its group in valid Hydra syntax, quoted for the shell:
    pasted onto the command line, it makes the command work."""
    import re
    import shlex

    (workdir / "data.csv").write_text(text)
    args = ["dataset=csv", "dataset.path=data.csv", f"dataset.target={target}",
            "trainer.epochs=2", "dataset.split.test_size=0"]
    assert main(args) == 2
    err = capsys.readouterr().err
    hints = [h for h in shlex.split(err.replace("(", " ").replace(")", " "))
             if re.match(r"[\w.]+=", h) and not h.startswith("dataset.path")]
    assert [h.partition("=")[0] for h in hints] == [f"dataset.{key}"], err
    assert not re.search(rf"(?<!dataset\.){key}=", err), err  # no bare, group-less key
    assert main([*args, hints[0]]) == 0, capsys.readouterr().err


def test_checking_and_training_a_sweep_show_progress(workdir, capsys, monkeypatch):
    from functools import partial

    from sweepnet import progress
    from sweepnet.runner import observers, plan

    monkeypatch.setattr(plan, "Progress", partial(progress.Progress, delay=0, every=0))
    monkeypatch.setattr(observers, "Progress", partial(progress.Progress, delay=0, every=0))
    assert sweep(workdir, "optimizer.lr=0.5,1,2", "trainer.epochs=2")[0] == 0
    err = capsys.readouterr().err.splitlines()
    lines = [line for line in err
             if line.startswith("sweepnet: checking the jobs before any runs:")]
    assert [line.split(":")[-1].split()[0] for line in lines] == ["0/3", "1/3", "2/3", "3/3"]
    training = [line for line in err if line.startswith("sweepnet: training: model-epochs")]
    assert "3/6 (stack 1: 3 of 3 jobs training" in training[0]
    assert "6/6 (stack 1: 3 of 3 jobs training" in training[1]
    assert training[-1].startswith("sweepnet: training: model-epochs 6/6 (")


def test_build_error_names_the_key():
    with pytest.raises(ConfigError, match=r"optimizer: the optimizer Adam does not take "
                                          r"momentum"):
        build(compose_config(["optimizer=adam", "+optimizer.momentum=0.9"]))
    # switched-off parameters of the other optimizer are dropped
    assert isinstance(build(compose_config(["optimizer.name=adam"])).trainer.optimizer, sn.Adam)


@pytest.mark.skipif(importlib.util.find_spec("hydra_plugins.hydra_submitit_launcher") is None,
                    reason="hydra-submitit-launcher (extra 'cluster') is not installed")
def test_submitit_local_launcher_runs_jobs_in_separate_processes(workdir):
    args = ["optimizer.lr=0.5,1", "trainer.epochs=10"]
    assert sweep(workdir, *args, name="serial")[0] == 0
    assert sweep(workdir, *args, "hydra/launcher=submitit_local", name="submitit")[0] == 0
    assert (workdir / "submitit" / ".submitit").is_dir()  # submitit's own job records
    serial = pd.read_csv(workdir / "serial" / "sweep_history.csv").drop(columns="time")
    submitit = pd.read_csv(workdir / "submitit" / "sweep_history.csv").drop(columns="time")
    pd.testing.assert_frame_equal(serial, submitit, check_exact=True)


def test_sklearn_baselines_are_listed_beside_the_runs(workdir):
    code, sweep_dir = sweep(workdir, "optimizer.lr=0.5,1", "trainer.epochs=200",
                            "baseline=sklearn")
    assert code == 0
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
    for column in ("sklearn_logreg_val_accuracy", "sklearn_mlp_final_loss",
                   "sklearn_mlp_val_accuracy"):
        assert summary[column].between(0, 1).all(), column
    # same seed, same split, same architecture and optimizer: MLPClassifier's loss curve
    # ends where sweepnet's does
    np.testing.assert_allclose(summary["sklearn_mlp_final_loss"], summary["final_loss"],
                               rtol=0, atol=1e-10)


def test_report_options_give_svg_plots_on_a_log_scale(workdir):
    code, sweep_dir = sweep(workdir, "optimizer.lr=0.5,1", "trainer.epochs=5",
                            "report.format=svg", "report.log_scale=true",
                            "report.decision_boundaries=false")
    assert code == 0
    svg = (sweep_dir / "loss_curves.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert not list(sweep_dir.glob("*.png")) and not list(sweep_dir.glob("decision*"))


def test_two_sweeps_started_together_get_their_own_directories(workdir):
    for _ in range(2):
        assert main(["-m", "optimizer.lr=1", "trainer.epochs=2"]) == 0
    assert len(list((workdir / "outputs" / "sweeps").iterdir())) == 2


def test_an_interrupted_sweep_keeps_its_results_and_says_how_to_resume(workdir, capsys):
    calls = {"n": 0}

    @registry.layers.register("interrupts_once")
    class InterruptsOnce(sn.ReLU):
        def forward(self, x):
            if x.shape[-2] > 1 and calls["n"] == 0:  # the second job, like a Ctrl-C
                calls["n"] += 1
                raise KeyboardInterrupt
            return super().forward(x)

    args = ["-m", "model.activation=relu,interrupts_once,tanh", "trainer.epochs=5"]
    try:
        assert main(args) == 130
        err = capsys.readouterr().err
        assert "interrupted; 1 finished job(s) and 1 interrupted one(s)" in err
        assert "Traceback" not in err
        resume = err.split("Resume with:\n  sweepnet ")[1].strip().split()
        sweep_dir = Path(resume[-1].split("=", 1)[1])
        summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
        assert summary["status"].tolist() == ["ok", "interrupted"]
        assert main(resume) == 0
    finally:
        registry.layers.unregister("interrupts_once")
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
    assert summary["job"].tolist() == [0, 1, 2] and (summary["status"] == "ok").all()


def test_a_swept_config_group_named_like_a_metric_gets_its_own_column(workdir):
    code, sweep_dir = sweep(workdir, "loss=bce,mse", "trainer.epochs=3")
    assert code == 0
    history = pd.read_csv(sweep_dir / "sweep_history.csv")
    assert list(history.columns[:4]) == ["job", "loss (config)", "epoch", "loss"]
    assert set(history["loss (config)"]) == {"bce", "mse"}


def test_a_run_dir_of_another_run_is_refused_untouched(workdir, capsys):
    assert main(["trainer=fast", "optimizer.lr=0.5", "hydra.run.dir=r1"]) == 0
    before = (workdir / "r1" / "result.json").read_text()
    assert main(["trainer=fast", "optimizer.lr=0.7", "hydra.run.dir=r1"]) == 2
    assert "r1 holds a run of other overrides" in capsys.readouterr().err
    assert (workdir / "r1" / "result.json").read_text() == before


def test_a_smaller_sweep_into_a_bigger_sweeps_dir_is_refused(workdir, capsys):
    assert sweep(workdir, "optimizer.lr=0.1,0.2", "trainer.epochs=3")[0] == 0
    assert sweep(workdir, "optimizer.lr=0.1", "trainer.epochs=3")[0] == 2
    assert "holds results of jobs 1" in capsys.readouterr().err


def test_dataset_seed_defaults_to_seed_and_can_hold_the_data_fixed(workdir):
    """seed=0,1 draws other data; with dataset.seed=0 only the weights and batches change."""
    from sweepnet.rundir import read_surface

    def training_data(*args, name):
        code, sweep_dir = sweep(workdir, "seed=0,1", "trainer.epochs=2", *args, name=name)
        assert code == 0
        return [read_surface(sweep_dir / str(job))["X"] for job in (0, 1)], sweep_dir

    (a, b), _ = training_data(name="both")
    assert a.shape == b.shape and not np.array_equal(a, b)
    (c, d), fixed = training_data("dataset.seed=0", name="fixed")
    np.testing.assert_array_equal(c, d)
    np.testing.assert_array_equal(a, c)  # dataset.seed=0 is what seed=0 drew
    weights = [np.load(fixed / str(job) / "model.npz")["0.weight"] for job in (0, 1)]
    assert not np.array_equal(*weights)
    records = [json.loads((fixed / str(job) / "result.json").read_text()) for job in (0, 1)]
    assert [(r["seed"], r["data_seed"]) for r in records] == [(0, 0), (1, 0)]


def test_the_summary_has_final_and_best_validation_metrics(workdir):
    code, sweep_dir = sweep(workdir, "optimizer.lr=0.5,1", "trainer.epochs=30")
    assert code == 0
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
    for job in (0, 1):
        history = pd.read_csv(sweep_dir / str(job) / "history.csv")
        row = summary.set_index("job").loc[job]
        assert row["final_val_loss"] == pytest.approx(history["val_loss"].iloc[-1], rel=1e-12)
        assert row["final_val_accuracy"] == history["val_accuracy"].iloc[-1]
        assert row["best_val_accuracy"] == history["val_accuracy"].max()
        assert row["best_val_loss"] == pytest.approx(history["val_loss"].min(), rel=1e-12)


def test_the_multirun_flag_may_come_last(workdir):
    assert main(["optimizer.lr=0.5,2", "trainer.epochs=3", "-m"]) == 0
    (sweep_dir,) = (workdir / "outputs" / "sweeps").iterdir()
    assert len(pd.read_csv(sweep_dir / "sweep_summary.csv")) == 2


def test_a_callback_injected_through_a_config_group_is_refused(workdir, capsys):
    """The same check holds for a callback that arrives in a config, not an override."""
    from omegaconf import OmegaConf

    from sweepnet.runner.checks import ConfigError, refuse_code

    root = OmegaConf.create({"hydra": {"callbacks": {"evil": {"_target_": "shutil.rmtree"}}}})
    with pytest.raises(ConfigError, match="hydra.callbacks.evil: sweepnet's configs name "
                                          "components through the registry"):
        refuse_code(root)
    root = OmegaConf.create({"hydra": {"callbacks": {"x": {"name": "harmless"}}}})
    with pytest.raises(ConfigError, match=r"hydra.callbacks \(x\): sweepnet runs no Hydra"):
        refuse_code(root)


def test_resume_reruns_a_job_whose_files_do_not_check_out(workdir):
    code, sweep_dir = sweep(workdir, "optimizer.lr=0.5,1", "trainer.epochs=20")
    assert code == 0
    complete = pd.read_csv(sweep_dir / "1" / "history.csv").drop(columns="time")
    lines = (sweep_dir / "1" / "history.csv").read_text().splitlines()
    (sweep_dir / "1" / "history.csv").write_text("\n".join(lines[:5]))
    untouched = (sweep_dir / "0" / "result.json").stat().st_mtime_ns
    code, _ = sweep(workdir, "optimizer.lr=0.5,1", "trainer.epochs=20")
    assert code == 0
    again = pd.read_csv(sweep_dir / "1" / "history.csv").drop(columns="time")
    pd.testing.assert_frame_equal(again, complete)  # trained again, to the same numbers
    assert (sweep_dir / "0" / "result.json").stat().st_mtime_ns == untouched  # skipped


def test_a_read_only_output_directory_is_a_message(workdir, capsys, monkeypatch):
    import os

    (workdir / "locked").mkdir()
    real_access = os.access
    locked = (workdir / "locked").resolve()
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path).resolve() == locked
                        else real_access(path, mode))  # as root, every directory is writable
    assert main(["hydra.run.dir=locked/run"]) == 2
    assert "hydra.run.dir: cannot write into " in capsys.readouterr().err
    assert not (workdir / "locked" / "run").exists()


def test_a_very_long_run_gets_a_warning_with_its_estimated_time(workdir, capsys, monkeypatch):
    from sweepnet.runner import app

    ran = []
    monkeypatch.setattr(app, "run", lambda plan: ran.append(True) or 0)  # train nothing
    assert main(["trainer.epochs=1000000000"]) == 0 and ran
    err = capsys.readouterr().err
    assert "warning: config trains 1,000,000,000 epochs: about " in err
    assert re.search(r"about [1-9][\d.,]* (hours|days) at ", err) and "ms per epoch" in err
    assert main(["trainer.epochs=200000"]) == 0  # a minute or so: not "about 0.0 hours"
    assert re.search(r"about [1-9][\d.,]* (s|minutes) at ", capsys.readouterr().err)
    assert main(["trainer.epochs=1000"]) == 0
    assert "warning" not in capsys.readouterr().err


def _files(directory: Path) -> set[str]:
    """What a sweep or job directory holds, engine and launcher logs aside (``*.log``,
    hidden folders such as submitit's ``.submitit``)."""
    return {p.name for p in directory.iterdir()
            if not p.name.startswith(".") and p.suffix != ".log"}


def assert_same_sweep(left: Path, right: Path) -> None:
    """Two sweep directories hold the same numbers: the same files in every job and in
    the sweep, every array of every ``.npz`` (weights, surfaces, snapshots), records,
    configs and tables; only the clock differs (``time``, ``wall_time``)."""
    jobs = sorted(p.name for p in left.iterdir() if p.name.isdigit())
    assert jobs == sorted(p.name for p in right.iterdir() if p.name.isdigit()) and jobs
    assert _files(left) == _files(right)
    for job in jobs:
        a, b = left / job, right / job
        assert _files(a) == _files(b), job  # a checkpoint left behind shows here
        if (a / "history.csv").exists():  # a failed job has none
            pd.testing.assert_frame_equal(
                pd.read_csv(a / "history.csv").drop(columns="time"),
                pd.read_csv(b / "history.csv").drop(columns="time"),
                check_exact=True, obj=f"job {job}'s history")
        ra, rb = (json.loads((d / "result.json").read_text()) for d in (a, b))
        for record in (ra, rb):  # the clock, and the frames a failure passed through
            record.pop("wall_time")
            record.pop("traceback", None)
        assert ra == rb, job
        for name in sorted(n for n in _files(a) if n.endswith(".npz")):
            with np.load(a / name) as fa, np.load(b / name) as fb:
                assert sorted(fa) == sorted(fb), f"{job}/{name}"
                for key in fa:
                    np.testing.assert_array_equal(fa[key], fb[key],
                                                  err_msg=f"{job}/{name} {key}")
        assert (a / ".hydra" / "config.yaml").read_text() == \
            (b / ".hydra" / "config.yaml").read_text()
        assert (a / ".hydra" / "overrides.yaml").read_text() == \
            (b / ".hydra" / "overrides.yaml").read_text()
    for table in sorted(n for n in _files(left) if n.endswith(".csv")):
        ta, tb = (pd.read_csv(d / table) for d in (left, right))
        drop = [c for c in ("time", "wall_time") if c in ta]
        pd.testing.assert_frame_equal(ta.drop(columns=drop), tb.drop(columns=drop),
                                      check_exact=True, obj=table)


STACKED_SWEEPS = {
    "lr x seed, shuffled mini-batches, two widths": [
        "optimizer.lr=0.2,1,3", "seed=0,1", "model.hidden=[4],[8]", "trainer.batch_size=32",
        "trainer.epochs=15"],
    "adam with betas, float32": [
        "optimizer=adam", "optimizer.lr=0.01,0.05", "optimizer.betas=[0.9,0.999],[0.8,0.99]",
        "trainer.dtype=float32", "trainer.epochs=12", "trainer.batch_size=64"],
    "momentum and nesterov, L2 penalty, invscaling": [
        "optimizer.lr=0.1,0.5", "optimizer.momentum=0.5,0.9", "optimizer.nesterov=false,true",
        "trainer.alpha=0.01,0.1", "trainer.schedule=invscaling", "trainer.batch_size=48",
        "trainer.epochs=10"],
    "adam, scikit-learn's variant, adaptive rates": [
        "optimizer=adam", "optimizer.variant=sklearn", "optimizer.lr=0.01,0.1",
        "trainer.schedule=adaptive", "trainer.early_stopping=true", "trainer.tol=0.01",
        "trainer.n_iter_no_change=2", "trainer.epochs=40"],
    "per-job epoch budgets (experiment=lr_sweep)": [
        "experiment=lr_sweep", "trainer.epochs='${epochs_for_budget:20,${optimizer.lr}}'"],
    "a diverging member": [
        "optimizer.lr=0.01,1e9", "loss=mse", "model.output=null", "trainer.epochs=20",
        "seed=0,1"],
    "early stopping (trains alone), on the loss and on validation accuracy": [
        "optimizer.lr=2,0.5", "trainer.early_stopping=true", "trainer.epochs=300",
        "trainer.monitor=loss,val_accuracy", "trainer.batch_size=100"],
    "tutorial 001's loader: drop_last, cumulative shuffling from the weights' generator": [
        "experiment=tutorial_001", "seed=9,10", "optimizer.lr=0.1,0.3", "baseline=null"],
    "breast cancer, standardized, validation": [
        "dataset=breast_cancer", "dataset.split.scale=standard", "optimizer.lr=0.1,1",
        "seed=0,1", "trainer.batch_size=64", "trainer.epochs=5"],
}


@pytest.mark.parametrize("args", STACKED_SWEEPS.values(), ids=STACKED_SWEEPS.keys())
def test_stacked_sweeps_write_what_one_by_one_sweeps_write(workdir, args):
    assert sweep(workdir, *args, name="stacked")[0] == 0
    assert sweep(workdir, *args, "hydra/launcher=basic", name="basic")[0] == 0
    launcher = "hydra_plugins.sweepnet_launcher.stacked_launcher.StackedLauncher"
    assert launcher in (workdir / "stacked" / "multirun.yaml").read_text()
    assert "BasicLauncher" in (workdir / "basic" / "multirun.yaml").read_text()
    assert_same_sweep(workdir / "stacked", workdir / "basic")


def test_a_stacked_sweep_resumes_only_what_is_missing(workdir):
    args = ["optimizer.lr=0.5,1", "seed=0,1", "trainer.epochs=10"]
    assert sweep(workdir, *args, name="basic")[0] == 0
    code, sweep_dir = sweep(workdir, *args)
    assert code == 0
    (sweep_dir / "1" / "result.json").unlink()
    (sweep_dir / "2" / "history.csv").write_text("epoch,loss\n1,0.5\n")  # does not check out
    finished = {job: (sweep_dir / job / "result.json").stat().st_mtime_ns for job in "03"}
    assert sweep(workdir, *args)[0] == 0
    assert {job: (sweep_dir / job / "result.json").stat().st_mtime_ns for job in "03"} == \
        finished  # skipped, not trained again
    assert_same_sweep(sweep_dir, workdir / "basic")


def test_a_job_that_fails_in_a_stack_fails_alone(workdir):
    """An error in one stacked job (here: a plugin refusing huge activations, which only the
    lr=1e9 job produces) fails that job only, as one by one: the stack is retrained job by
    job and the others' files equal the one-by-one sweep's."""

    args = ["model.activation=refuses_huge", "optimizer.lr=0.1,1e9", "loss=mse",
            "model.output=null", "trainer.epochs=20"]
    with refusing_huge_activations():
        assert sweep(workdir, *args, name="stacked")[0] == 0
        assert sweep(workdir, *args, "hydra/launcher=basic", name="basic")[0] == 0
    statuses = [json.loads((workdir / "stacked" / j / "result.json").read_text())["status"]
                for j in "01"]
    assert statuses == ["ok", "failed"]
    assert_same_sweep(workdir / "stacked", workdir / "basic")


def test_ctrl_c_keeps_finished_stack_members_ok_and_the_others_interrupted(workdir, capsys):
    calls = {"n": 0}

    @registry.layers.register("interrupts_later")
    class InterruptsLater(sn.ReLU):
        def forward(self, x):
            if x.shape[-2] > 1:  # training and validation passes, not shape checks
                calls["n"] += 1
                if calls["n"] == 40:  # epoch 20: the 5-epoch job has left the stack
                    raise KeyboardInterrupt
            return super().forward(x)

    try:
        assert main(["-m", "model.activation=interrupts_later", "trainer.epochs=5,100",
                     "hydra.sweep.dir=s"]) == 130
    finally:
        registry.layers.unregister("interrupts_later")
    assert "1 finished job(s) and 1 interrupted one(s)" in capsys.readouterr().err
    short, long = (rundir.check_run(workdir / "s" / j) for j in "01")
    assert short[2] is None and short[0]["status"] == "ok" and len(short[1]) == 5
    assert long[2] is None and long[0]["status"] == "interrupted" and len(long[1]) == 19


def test_early_stopping_is_recorded_where_mlpclassifier_stops(workdir):
    """Tutorial 003's study with scikit-learn's stopping rule: lr 2 stops after 48 epochs."""
    import warnings

    from sklearn.neural_network import MLPClassifier

    assert main(["trainer.early_stopping=true", "seed=99", "dataset.seed=0",
                 "dataset.split.test_size=0", "optimizer.lr=2", "hydra.run.dir=r",
                 "report.decision_boundaries=false"]) == 0
    result = json.loads((workdir / "r" / "result.json").read_text())
    from sklearn.datasets import make_moons

    X, y = make_moons(1000, noise=0.2, random_state=0)
    clf = MLPClassifier((16,), solver="sgd", learning_rate_init=2.0, momentum=0.0, alpha=0.0,
                        batch_size=1000, max_iter=1000, random_state=99)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    assert result["epochs"] == result["stopped"]["epoch"] == clf.n_iter_ == 48
    assert result["final"]["loss"] == pytest.approx(clf.loss_curve_[-1], abs=1e-12)
    assert "did not improve by more than tol=0.0001" in result["stopped"]["reason"]


def test_help_is_sweepnets_own(capsys):
    """``sweepnet --help``: how to run and sweep, the groups and presets, the registered
    components (a plugin's too), the other commands; not Hydra's stock text."""

    @registry.layers.register("help_probe")
    class HelpProbe(sn.ReLU):
        pass

    try:
        assert main(["--help"]) == 0
    finally:
        registry.layers.unregister("help_probe")
    out = capsys.readouterr().out
    for text in ("sweepnet -m optimizer.lr=", "experiment: escape_plateau", "lr_sweep",
                 "optimizer: adam, sgd", "help_probe", "baseline:", "sweepnet-report",
                 "sweepnet-compare", "sweepnet-export", "sweepnet-plugins", "--multirun"):
        assert text in out, text
    assert "powered by Hydra" not in out and "shell-completion" not in out

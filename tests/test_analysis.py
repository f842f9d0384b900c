"""Verdicts on real sweeps (pinned), and the sweep-level rules: references, tables."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from labelled_curves import real, synthetic
from sweepnet.analysis import analyze, divergence_epoch


def test_divergence_epoch_for_non_finite_and_exploding_losses():
    assert divergence_epoch([0.7, 0.6, np.inf, np.nan]) == 3
    assert divergence_epoch(0.7 * 2.0 ** np.arange(10)) == 5  # 0.7 * 16 > 10 * 0.7
    assert divergence_epoch(np.linspace(1, 0.1, 10)) is None


def frames(curves: list, **columns) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A sweep's history and summary from labelled curves (their start, levels and scale)."""
    history = pd.concat([pd.DataFrame({"job": j, "epoch": np.arange(1, len(c.loss) + 1),
                                       "loss": c.loss}) for j, c in enumerate(curves)])
    summary = pd.DataFrame({
        "job": range(len(curves)), "status": "ok", "final_loss": [c.loss[-1] for c in curves],
        "start": [c.start for c in curves],
        "constant_loss": [c.levels.get("constant") for c in curves],
        "linear_loss": [c.levels.get("linear") for c in curves],
        "updates_per_epoch": [c.updates_per_epoch for c in curves],
        "effective_lr": [c.effective_lr for c in curves], **columns})
    return history, summary


CURVES = {c.name: c for c in synthetic() + real()}
DEFAULT_START = [CURVES[f"default_start_lr{lr}"] for lr in ("2", "1", "0.5", "0.3", "0.2", "0.1")]


def test_a_verdict_never_changes_when_runs_from_other_starts_join():
    alone = analyze(*frames(DEFAULT_START))[0]
    others = [CURVES[name] for name in ("lr_sweep_lr1", "to_zero", "tutorial_003_deep",
                                        "escapes_from_the_same_start")]
    joined = analyze(*frames(DEFAULT_START + others))[0]
    columns = ["ending", "stuck", "stuck_reference", "stuck_reason", "convergence_epoch",
               "n_plateaus", "longest_plateau"]
    pd.testing.assert_frame_equal(joined[columns].iloc[:6], alone[columns])
    assert alone["stuck"].tolist() == [False, True, True, True, True, True]
    assert (alone["stuck_reference"].iloc[1:] == "job 0").all()


def test_runs_without_a_recorded_start_are_judged_on_their_own():
    curves = [CURVES["default_start_lr2"], CURVES["default_start_lr1"]]
    history, summary = frames(curves)
    summary["start"] = None  # written before starts were recorded
    result = analyze(history, summary)[0]
    assert result["stuck"].tolist() == [False, False]
    assert result["stuck_reference"].tolist() == ["none", "none"]


def test_the_tables_keep_their_columns_and_place_plateaus_on_the_lr_time_axis():
    history, summary = frames(DEFAULT_START)
    result, plateaus = analyze(history, summary)
    for column in ("job", "convergence_epoch", "n_plateaus", "longest_plateau", "stuck",
                   "diverged", "ending", "stuck_reason", "oscillating"):
        assert column in result
    assert result["stuck"].dtype == bool and result["stuck"].notna().all()
    assert list(plateaus.columns[:6]) == ["job", "start", "end", "length", "level", "escaped"]
    assert result["n_plateaus"].sum() == len(plateaus)
    lr2 = plateaus[plateaus["job"] == 0].iloc[0]
    assert lr2["start_lr_time"] == 2 * (lr2["start"] - 0.5)
    assert lr2["end_lr_time"] == 2 * (lr2["end"] - 0.5)


def test_a_failed_run_without_history_is_reported_not_judged():
    history, summary = frames(DEFAULT_START[:2])
    summary = pd.concat([summary, pd.DataFrame({"job": [2], "status": ["failed"]})],
                        ignore_index=True)
    result = analyze(history, summary)[0]
    assert result.loc[2, "stuck"] == False  # noqa: E712 (a numpy bool)
    assert result.loc[2, "stuck_reason"] == "no history"


# tutorial 003's study from sweepnet's default start (seed 0, Glorot, 20% held out), where
# the low rates end stuck on the plateau; experiment=lr_sweep itself starts from
# MLPClassifier's weights (seed 99) on all the data
STUCK_SWEEP = ["experiment=lr_sweep", "dataset.split.test_size=0.2", "baseline=null"]


@pytest.fixture(scope="module")
def lr_sweep(tmp_path_factory):
    import os

    from sweepnet.analysis import load
    from sweepnet.runner.app import main

    directory = tmp_path_factory.mktemp("lr_sweep")
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        assert main([*STUCK_SWEEP, "seed=0", "hydra.sweep.dir=sweep"]) == 0
    finally:
        os.chdir(cwd)
    return directory / "sweep", load(directory / "sweep")


def test_from_the_default_start_lr_up_to_1_end_stuck_and_lr_2_escapes(lr_sweep):
    sweep_dir, _ = lr_sweep
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv").set_index("optimizer.lr")
    # what the data say (seed 0, make_moons(1000, noise=0.2), 2-16-1, full batch, 1000/lr
    # epochs): every rate up to 1 ends on the plateau near loss 0.25; rate 2 escapes it
    low = [0.1, 0.2, 0.3, 0.5, 1.0]
    assert summary.loc[low, "stuck"].all() and not summary.loc[2.0, "stuck"]
    assert (summary.loc[low, "ending"] == "plateau").all()
    assert (summary.loc[low, "stuck_reference"] == f"job {summary.loc[2.0, 'job']}").all()
    assert summary.loc[low, "convergence_epoch"].isna().all()
    assert summary.loc[2.0, "ending"] == "converged"
    found = pd.read_csv(sweep_dir / "sweep_plateaus.csv")
    lr2 = found[found["job"] == summary.loc[2.0, "job"]]
    assert len(lr2) == 1  # the plateau it escaped; its converged tail is no plateau
    assert lr2["escaped"].iloc[0] and 0.25 < lr2["level"].iloc[0] < 0.3
    for lr in low:
        (last,) = found[found["job"] == summary.loc[lr, "job"]].itertuples()
        assert not last.escaped and last.end == summary.loc[lr, "epochs"]
        assert 0.245 < last.level < 0.255
        assert 8 < last.start_lr_time < 25  # on the lr x epoch axis: one place for all rates


@pytest.fixture(scope="module")
def flagship(tmp_path_factory):
    """``sweepnet experiment=lr_sweep``: tutorial 003's study from MLPClassifier's weights."""
    return run_sweep(tmp_path_factory.mktemp("flagship"), ["experiment=lr_sweep"])


def run_sweep(directory, overrides):
    import os

    from sweepnet.runner.app import main

    cwd = os.getcwd()
    os.chdir(directory)
    try:
        assert main([*overrides, "hydra.sweep.dir=sweep"]) == 0
    finally:
        os.chdir(cwd)
    return directory / "sweep"


def test_the_flagship_sweep_finds_the_shoulder_every_rate_passes_and_no_converged_tail(
        flagship):
    summary = pd.read_csv(flagship / "sweep_summary.csv")
    plateaus = pd.read_csv(flagship / "sweep_plateaus.csv")
    # one plateau per run: the shoulder at 0.27-0.29 that spans lr x epoch 20-80
    assert sorted(plateaus["job"]) == sorted(summary["job"])
    assert plateaus["escaped"].all()
    assert plateaus["level"].between(0.26, 0.29).all()
    assert plateaus["start_lr_time"].between(15, 30).all()
    assert plateaus["end_lr_time"].between(60, 130).all()
    assert (summary["ending"] == "converged").all() and not summary["stuck"].any()
    assert (summary["n_plateaus"] == 1).all()
    # lr 2 alternates between two losses at its end (the thick band of the loss curves)
    assert summary.set_index("optimizer.lr")["oscillating"].to_dict() == {
        2.0: True, 1.0: False, 0.5: False, 0.3: False, 0.2: False, 0.1: False}


def test_a_run_is_not_stuck_because_a_run_on_other_data_went_lower(tmp_path):
    both = run_sweep(tmp_path, ["-m", "dataset=moons,digits", "optimizer.lr=2",
                                "trainer.epochs=2000", "report.decision_boundaries=false"])
    summary = pd.read_csv(both / "sweep_summary.csv").set_index("dataset")
    assert summary.loc["digits", "final_loss"] < 1e-3 < summary.loc["moons", "final_loss"]
    assert not summary["stuck"].any()
    assert summary.loc["moons", "stuck_reference"] == "none"
    assert summary["start"].nunique() == 2


def test_a_single_run_stuck_at_the_constant_output_says_so(tmp_path, capsys):
    import os

    from sweepnet.runner.app import main

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["experiment=tutorial_003_deep", "hydra.run.dir=deep",
                     "baseline=null"]) == 0
    finally:
        os.chdir(cwd)
    record = json.loads((tmp_path / "deep" / "result.json").read_text())
    assert record["levels"]["constant"] == pytest.approx(math.log(2), rel=1e-6)
    verdict = record["verdict"]
    assert (verdict["ending"], verdict["stuck"], verdict["reference"]) == (
        "plateau", True, "constant")
    assert verdict["plateaus"] == [{"start": 1, "end": 1000, "level": pytest.approx(
        math.log(2), rel=1e-3), "escaped": False}]
    assert "run: stuck at the constant-output loss 0.693 from epoch 1" in capsys.readouterr().out


def test_lr_sweep_writes_its_tables_and_plots_from_the_run_files(lr_sweep):
    sweep_dir, _ = lr_sweep
    for name, rows in (("sweep_history.csv", 21833), ("sweep_summary.csv", 6),
                       ("sweep_groups.csv", 6)):
        assert len(pd.read_csv(sweep_dir / name)) == rows, name
    n_plateaus = pd.read_csv(sweep_dir / "sweep_summary.csv")["n_plateaus"].sum()
    assert len(pd.read_csv(sweep_dir / "sweep_plateaus.csv")) == n_plateaus == 6
    for name in ("loss_curves.png", "val_loss.png", "convergence.png", "val_accuracy.png",
                 "decision_boundaries.png", "0/decision_surface.npz"):
        assert (sweep_dir / name).stat().st_size > 5000, name
    assert not list(sweep_dir.glob("*/decision_boundary.png"))  # one grid, not one per run


def test_the_stuck_flags_of_seed_0_do_not_change_when_seeds_join_the_sweep(lr_sweep, tmp_path):
    import os

    from sweepnet.analysis import load
    from sweepnet.runner.app import main

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main([*STUCK_SWEEP, "seed=0,1,2,3,4", "hydra.sweep.dir=seeds",
                     "report.decision_boundaries=false"]) == 0
    finally:
        os.chdir(cwd)
    alone = lr_sweep[1].summary.set_index("optimizer.lr")
    seeds = load(tmp_path / "seeds").summary
    seed0 = seeds[seeds["seed"] == 0].set_index("optimizer.lr")
    assert seed0["final_loss"].to_dict() == alone["final_loss"].to_dict()  # the same runs
    assert seed0["stuck"].to_dict() == alone["stuck"].to_dict()
    assert not alone.loc[2.0, "stuck"] and alone.loc[1.0, "stuck"]
    # the grid has 6 groups of 5 seeds
    groups = pd.read_csv(tmp_path / "seeds" / "sweep_groups.csv")
    assert len(groups) == 6 and (groups["n"] == 5).all()
    by_lr = seeds.groupby("optimizer.lr")["final_loss"]
    np.testing.assert_allclose(groups.set_index("optimizer.lr")["final_loss_mean"],
                               by_lr.mean(), rtol=1e-12)
    np.testing.assert_allclose(groups.set_index("optimizer.lr")["final_loss_max"],
                               by_lr.max(), rtol=1e-12)
    stuck = seeds.groupby("optimizer.lr")["stuck"].mean()
    np.testing.assert_allclose(groups.set_index("optimizer.lr")["stuck_fraction"], stuck)


def test_report_rebuilds_tables_and_plots_of_a_partial_sweep(lr_sweep, tmp_path, capsys):
    import shutil

    from sweepnet.analysis.report import main as report_main

    sweep_dir = tmp_path / "copy"
    shutil.copytree(lr_sweep[0], sweep_dir)
    for name in ("sweep_summary.csv", "sweep_history.csv", "loss_curves.png"):
        (sweep_dir / name).unlink()
    (sweep_dir / "3" / "result.json").unlink()  # job 3 still running, or crashed
    assert report_main([str(sweep_dir), "--svg", "--no-boundaries"]) == 0
    out = capsys.readouterr().out
    assert "unfinished (no result.json yet): 3" in out
    assert "stuck" in out and "convergence_epoch" in out
    assert f"wrote {sweep_dir}:" in out and out.count("loss_curves.svg") == 1
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
    assert sorted(summary["job"]) == [0, 1, 2, 4, 5]
    assert (sweep_dir / "loss_curves.svg").read_text().lstrip().startswith("<?xml")


def test_report_of_a_missing_directory_is_a_clear_error(tmp_path, capsys):
    from sweepnet.analysis.report import main as report_main

    assert report_main([str(tmp_path / "nope")]) == 2
    assert "no directory at" in capsys.readouterr().err


def test_a_bad_file_is_named_and_the_rest_of_the_sweep_is_still_reported(lr_sweep, tmp_path,
                                                                         capsys):
    import json
    import shutil

    from sweepnet.analysis.report import main as report_main

    sweep_dir = tmp_path / "copy"
    shutil.copytree(lr_sweep[0], sweep_dir)
    (sweep_dir / "0" / "history.csv").write_text("")                       # empty
    history = (sweep_dir / "1" / "history.csv").read_text().splitlines()
    (sweep_dir / "1" / "history.csv").write_text("\n".join(history[:45]))  # truncated
    (sweep_dir / "2" / "result.json").write_text("{not json")               # garbage
    record = json.loads((sweep_dir / "3" / "result.json").read_text())
    (sweep_dir / "3" / "result.json").write_text(json.dumps({**record, "status": "great"}))
    shutil.rmtree(sweep_dir / "4")                                           # deleted
    assert report_main([str(sweep_dir), "--no-boundaries"]) == 0
    out = capsys.readouterr().out
    assert "left out: job 0: history.csv is missing, empty or unreadable" in out
    assert "left out: job 1: history.csv has 44 epochs but result.json says 1000" in out
    assert "left out: job 2: result.json is unreadable (JSONDecodeError" in out
    assert "left out: job 3: result.json is not a run record (status 'great'" in out
    assert "left out: job 4: no directory" in out
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
    assert summary["job"].tolist() == [5]   # the one run that checks out is reported
    assert set(pd.read_csv(sweep_dir / "sweep_history.csv")["job"]) == {5}


@pytest.mark.parametrize("contents", ["runs", "sweeps", "nothing", "other files"])
def test_a_folder_that_is_neither_a_run_nor_a_sweep_is_refused_untouched(
        lr_sweep, tmp_path, capsys, contents):
    import shutil

    import sweepnet.results
    from sweepnet.analysis.report import main as report_main

    folder = tmp_path / "outputs"
    folder.mkdir()
    if contents == "runs":  # unrelated single runs, as outputs/runs holds them
        for job, name in ((0, "2026-12-01_10-00-00-000001"), (5, "2026-12-01_11-00-00-000002")):
            shutil.copytree(lr_sweep[0] / str(job), folder / name)
            (folder / name / ".sweepnet").write_text("run\n")
    elif contents == "sweeps":
        shutil.copytree(lr_sweep[0], folder / "2026-12-01_10-00-00-000001")
    elif contents == "other files":
        (folder / "notes.txt").write_text("precious")
        (folder / "data").mkdir()
    before = sorted((p, p.stat().st_mtime_ns) for p in folder.rglob("*"))
    assert report_main([str(folder)]) == 2
    err = capsys.readouterr().err
    assert "is neither a run nor a sweep directory" in err
    if contents in ("runs", "sweeps"):
        kind = "2 run directories" if contents == "runs" else "1 sweep directory"
        assert kind in err and f"sweepnet-report {folder}/2026-12-01_10-00-00-000001" in err
    else:
        assert "nothing sweepnet wrote is in it" in err
    assert sorted((p, p.stat().st_mtime_ns) for p in folder.rglob("*")) == before
    with pytest.raises(ValueError, match="neither a run nor a sweep"):
        sweepnet.results.load(folder)

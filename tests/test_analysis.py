"""Curve analysis on synthetic curves with known answers, and on the real lr_sweep."""

import numpy as np
import pandas as pd
import pytest

from sweepnet.analysis import analyze, convergence_epoch, divergence_epoch, plateaus


def reference_convergence(loss, tol, window):
    """Straight loop over the definition: 1 + the end of the last window improving by > tol."""
    last_end = None
    for start in range(len(loss) - window):
        if loss[start] - loss[start + window] > tol:
            last_end = start + window
    if last_end is None:
        return 1
    return None if last_end >= len(loss) - 1 else last_end + 1


@pytest.mark.parametrize("scale", [20.0, 50.0, 200.0])
def test_convergence_epoch_of_exponential_decay_matches_the_definition(scale):
    epochs = np.arange(1, 3001)
    loss = 0.1 + np.exp(-epochs / scale)
    found = convergence_epoch(loss, tol=1e-4, window=10)
    assert found == reference_convergence(loss, 1e-4, 10)
    # analytically: the last improving window starts where 0.1 + e^{-t/s}(1 - e^{-10/s}) = tol
    analytic = scale * np.log((1 - np.exp(-10 / scale)) / 1e-4) + 10
    assert abs(found - analytic) <= 2


def test_a_curve_still_improving_at_the_end_has_not_converged():
    assert convergence_epoch(np.linspace(1.0, 0.5, 100)) is None
    assert convergence_epoch(np.full(50, 0.3)) == 1  # flat from the start


def two_stage_curve():
    """Falls from 2 to 1 (epochs 1-20), flat at 1 until 220, falls to 0.1 by 260, then flat."""
    loss = np.concatenate([np.linspace(2.0, 1.0, 20), np.full(200, 1.0),
                           np.linspace(1.0, 0.1, 40), np.full(240, 0.1)])
    return loss


def test_plateaus_are_found_with_start_end_level_and_escape():
    found = plateaus(two_stage_curve(), threshold=1e-4, window=50)
    assert len(found) == 2
    first, last = found.iloc[0], found.iloc[1]
    assert (first["start"], first["level"], first["escaped"]) == (20, 1.0, True)
    assert 219 <= first["end"] <= 221
    assert first["length"] == first["end"] - first["start"] + 1
    assert 259 <= last["start"] <= 261 and last["end"] == 500
    assert last["level"] == pytest.approx(0.1) and not last["escaped"]


def test_short_flat_stretches_are_not_plateaus():
    loss = np.concatenate([np.linspace(2, 1, 100), np.full(30, 1.0), np.linspace(1, 0.1, 100)])
    assert plateaus(loss, window=50).empty


def test_divergence_epoch_for_non_finite_and_exploding_losses():
    assert divergence_epoch([0.7, 0.6, np.inf, np.nan]) == 3
    assert divergence_epoch(0.7 * 2.0 ** np.arange(10)) == 5  # 0.7 * 16 > 10 * 0.7
    assert divergence_epoch(np.linspace(1, 0.1, 10)) is None


def curves_frame(curves: list, **columns) -> tuple[pd.DataFrame, pd.DataFrame]:
    history = pd.concat([pd.DataFrame({"job": j, "epoch": np.arange(1, len(c) + 1), "loss": c})
                         for j, c in enumerate(curves)])
    summary = pd.DataFrame({"job": range(len(curves)), "status": "ok",
                            "final_loss": [c[-1] for c in curves], **columns})
    return history, summary


def test_analyze_marks_runs_stuck_on_a_plateau_above_the_sweeps_best():
    good, stuck = two_stage_curve(), np.concatenate([np.linspace(2, 1, 20), np.full(480, 1.0)])
    diverged = np.concatenate([np.linspace(2, 1, 20), [np.inf]])
    history, summary = curves_frame([good, stuck, diverged])
    summary.loc[2, "status"] = "diverged"
    result, found = analyze(history, summary)
    assert result["stuck"].tolist() == [False, True, False]
    assert result["diverged"].tolist() == [False, False, True]
    assert result["diverged_epoch"].tolist()[:2] == [pd.NA, pd.NA]
    assert result["diverged_epoch"].iloc[2] == 21
    assert result["n_plateaus"].tolist() == [2, 1, 0]
    assert result["longest_plateau"].iloc[1] == 481
    assert set(found["job"]) == {0, 1}


def test_stuck_compares_a_run_only_with_runs_of_the_same_replicate_values():
    """A stuck verdict cannot change when runs of other seeds join the sweep."""
    low = np.concatenate([np.linspace(2, 0.5, 20), np.full(480, 0.5)])    # best of seed 0
    high = np.concatenate([np.linspace(2, 1.0, 20), np.full(480, 1.0)])   # 2x seed 0's best
    better = np.concatenate([np.linspace(2, 0.1, 20), np.full(480, 0.1)])  # another seed
    alone_history, alone = curves_frame([low, high], seed=[0, 0])
    flags_alone = analyze(alone_history, alone, replicates=["seed"])[0]["stuck"].tolist()
    history, summary = curves_frame([low, high, better, high], seed=[0, 0, 1, 1])
    flags = analyze(history, summary, replicates=["seed"])[0]["stuck"].tolist()
    assert flags_alone == [False, True]
    assert flags[:2] == flags_alone      # seed 1's better run does not make seed 0's "low" stuck
    assert flags[2:] == [False, True]
    # without replicates the whole sweep is the reference: the old, flipping rule
    assert analyze(history, summary)[0]["stuck"].tolist()[:2] == [True, True]


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


def test_lr_sweep_low_learning_rates_end_stuck_on_the_plateau_and_lr_2_escapes(lr_sweep):
    sweep_dir, _ = lr_sweep
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv").set_index("optimizer.lr")
    # what the data say (seed 0, make_moons(1000, noise=0.2), 2-16-1, full batch, 1000/lr
    # epochs): every rate up to 1 ends on a plateau near loss 0.25; rate 2 escapes it
    assert summary.loc[[0.1, 0.2, 0.3, 0.5, 1.0], "stuck"].all()
    assert not summary.loc[2.0, "stuck"]
    assert summary.loc[2.0, "final_loss"] < 0.5 * summary.loc[0.1, "final_loss"]
    found = pd.read_csv(sweep_dir / "sweep_plateaus.csv")
    job_of_lr2 = summary.loc[2.0, "job"]
    first = found[found["job"] == job_of_lr2].iloc[0]
    assert first["escaped"] and 0.24 < first["level"] < 0.3
    for lr in (0.1, 0.2, 0.3, 0.5, 1.0):
        last = found[found["job"] == summary.loc[lr, "job"]].iloc[-1]
        assert not last["escaped"] and last["end"] == summary.loc[lr, "epochs"]
        assert 0.24 < last["level"] < 0.26


def test_lr_sweep_writes_its_tables_and_plots_from_the_run_files(lr_sweep):
    sweep_dir, _ = lr_sweep
    for name, rows in (("sweep_history.csv", 21833), ("sweep_summary.csv", 6),
                       ("sweep_groups.csv", 6)):
        assert len(pd.read_csv(sweep_dir / name)) == rows, name
    n_plateaus = pd.read_csv(sweep_dir / "sweep_summary.csv")["n_plateaus"].sum()
    assert len(pd.read_csv(sweep_dir / "sweep_plateaus.csv")) == n_plateaus >= 6
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

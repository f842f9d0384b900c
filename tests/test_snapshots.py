"""Snapshots of a network during training: what they hold, in a stack, across a resume,
and what the runner and the report make of them."""

import numpy as np
import pytest

import sweepnet as sn
from sweepnet.layers import mlp
from sweepnet.snapshots import LOG_EPOCHS, Snapshots, nearest, plateau_middle
from sweepnet.training import fit_stack


def moons(seed=0, n=120):
    from sklearn.datasets import make_moons

    return make_moons(n, noise=0.2, random_state=seed)


def trainer(lr=0.5, seed=0, snapshots=None, batch_size=32, momentum=0.0):
    model = mlp([2, 8, 1], activation="tanh", output="sigmoid", seed=seed)
    return sn.Trainer(model, sn.BCE(), sn.SGD(lr, momentum=momentum), batch_size=batch_size,
                      seed=seed, snapshots=snapshots)


def test_a_snapshot_is_the_network_a_run_stopped_at_that_epoch_ends_with():
    X, y = moons()
    kept = trainer(snapshots=[3, 17, 40])
    kept.fit(X, y, 40)
    assert sorted(kept.snapshots_) == [3, 17, 40]
    for epoch, state in kept.snapshots_.items():
        stopped = trainer()
        stopped.fit(X, y, epoch)
        for key, value in stopped.model.state_dict().items():
            np.testing.assert_array_equal(state[key], value)
        model = mlp([2, 8, 1], activation="tanh", output="sigmoid", seed=1)
        model.load_state_dict(state)
        np.testing.assert_array_equal(model.forward(X), stopped.model.forward(X))
    assert kept.snapshots_[40] is not kept.model.state_dict()  # copies, not the live arrays


def test_every_member_of_a_stack_keeps_its_own_snapshots():
    X, y = moons()
    specs = [dict(lr=0.5, seed=0, momentum=0.5), dict(lr=1.0, seed=1, momentum=0.9),
             dict(lr=0.1, seed=2, momentum=0.3)]
    budgets = [30, 12, 25]
    stacked = [trainer(snapshots="log", **spec) for spec in specs]
    fit_stack(stacked, [(X, y)] * 3, budgets)
    for spec, budget, got in zip(specs, budgets, stacked):
        alone = trainer(snapshots="log", **spec)
        alone.fit(X, y, budget)
        assert sorted(got.snapshots_) == sorted(e for e in LOG_EPOCHS if e <= budget)
        for epoch, state in alone.snapshots_.items():
            for key, value in state.items():
                np.testing.assert_array_equal(got.snapshots_[epoch][key], value)


def test_snapshots_go_on_across_a_continued_fit_and_a_checkpoint():
    X, y = moons()
    whole = trainer(snapshots="log")
    whole.fit(X, y, 50)
    first = trainer(snapshots="log")
    first.fit(X, y, 20)
    resumed = trainer(snapshots="log")
    resumed.set_state(first.get_state())
    resumed.fit(X, y, 30)
    assert sorted(resumed.snapshots_) == sorted(whole.snapshots_)
    for epoch, state in whole.snapshots_.items():
        for key, value in state.items():
            np.testing.assert_array_equal(resumed.snapshots_[epoch][key], value)
    fresh = trainer(snapshots="log")
    fresh.fit(X, y, 5)
    fresh.fit(X, y, 3)  # a continued fit keeps what the first one kept
    assert sorted(fresh.snapshots_) == [1, 2, 3, 4, 5, 6, 8]


def test_log_epochs_are_about_ten_per_decade_and_bad_choices_are_refused():
    assert sorted(e for e in LOG_EPOCHS if e <= 100) == [
        1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 32, 40, 50, 63, 79, 100]
    assert len([e for e in LOG_EPOCHS if e <= 10_000]) == 38  # 28 up to 1000, then 10 a decade
    for bad in ("plateaus", [0], [1.5], [], [True]):
        with pytest.raises(ValueError, match="snapshots must be 'log' or"):
            Snapshots(bad)


def test_the_middle_of_a_plateau_is_taken_on_the_time_axis():
    assert plateau_middle(10.5, 1000.5) == pytest.approx(100.5)
    assert nearest([1, 50, 100, 126, 158], 100.5) == 100
    assert nearest([79, 126], 100) == 126  # log(125.5/99.5)=0.232 < log(99.5/78.5)=0.237
    assert nearest([], 10) is None


# --------------------------------------------------------------------------- the runner


def test_chosen_epochs_keep_the_network_a_run_of_that_many_epochs_ends_with(workdir):
    from sweepnet import rundir
    from sweepnet.runner.app import main

    common = ["trainer.batch_size=64", "optimizer.lr=0.5"]
    assert main([*common, "trainer.epochs=30", "report.snapshots=[5,12]",
                 "hydra.run.dir=kept"]) == 0
    kept = rundir.read_snapshots(workdir / "kept")
    assert sorted(kept) == [5, 12]
    surface = rundir.read_surface(workdir / "kept")
    assert surface["snapshot_epochs"].tolist() == [5, 12]
    for k, epoch in enumerate((5, 12)):
        assert main([*common, f"trainer.epochs={epoch}", "report.snapshots=null",
                     f"hydra.run.dir=stopped{epoch}"]) == 0
        stopped = workdir / f"stopped{epoch}"
        model = np.load(stopped / "model.npz")
        for key, value in kept[epoch].items():
            np.testing.assert_array_equal(value, model[key])
        np.testing.assert_array_equal(surface["snapshot_z"][k], rundir.read_surface(stopped)["z"])
        assert not (stopped / rundir.SNAPSHOTS).exists()
    assert (workdir / "kept" / "snapshot_boundaries.png").is_file()


def test_the_plateau_figure_draws_the_snapshot_nearest_each_stuck_runs_plateau(workdir):
    """The lr_sweep from the default start: lr <= 1 end stuck on the 0.25 plateau, lr 2
    leaves it. Each run saved the output at the snapshot nearest the middle of its
    plateau, and plateau_boundaries.png draws it beside the end."""
    import pandas as pd

    from sweepnet import rundir
    from sweepnet.runner.app import main

    assert main(["-m", "optimizer.lr=0.5,1,2", "trainer.epochs=500",
                 "report.decision_boundaries=true", "hydra.sweep.dir=s"]) == 0
    summary = pd.read_csv(workdir / "s" / "sweep_summary.csv")
    plateaus = pd.read_csv(workdir / "s" / "sweep_plateaus.csv")
    stuck = summary.loc[summary["stuck"], "job"].tolist()
    assert stuck and set(stuck) <= set(plateaus["job"])
    for job in stuck:
        (plateau,) = plateaus[plateaus["job"] == job].itertuples()
        surface = rundir.read_surface(workdir / "s" / str(job))
        kept = sorted(rundir.read_snapshots(workdir / "s" / str(job)))
        assert kept == sorted(e for e in LOG_EPOCHS if e <= 500)
        middle = nearest(kept, plateau_middle(plateau.start, plateau.end))
        assert middle in surface["snapshot_epochs"].tolist()
        assert plateau.start <= middle <= plateau.end
    assert (workdir / "s" / "plateau_boundaries.png").is_file()


def test_no_snapshots_and_bad_choices(workdir, capsys):
    from sweepnet import rundir
    from sweepnet.runner.app import main

    assert main(["trainer=fast", "report.snapshots=null", "hydra.run.dir=r"]) == 0
    assert not (workdir / "r" / rundir.SNAPSHOTS).exists()
    assert "snapshot_epochs" not in rundir.read_surface(workdir / "r")
    for bad in ("report.snapshots=often", "report.snapshots=[0,10]", "report.snapshots=10"):
        assert main(["trainer=fast", bad, "hydra.run.dir=bad"]) == 2
        assert "report.snapshots must be plateaus" in capsys.readouterr().err
    assert not (workdir / "bad").exists()

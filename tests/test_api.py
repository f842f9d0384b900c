"""sweepnet.sweep(): the command's sweep from Python, its tables returned."""

import os
import sys

import pandas as pd
import pytest

import sweepnet
from sweepnet.runner.build import ConfigError


def test_sweep_returns_the_tables_it_wrote_and_leaves_no_state(workdir):
    import sklearn  # noqa: F401  (sets KMP_* variables when first imported: not sweepnet's)

    argv, environment = list(sys.argv), dict(os.environ)
    res = sweepnet.sweep("optimizer.lr=0.5,1", "seed=0,1", "trainer.epochs=20",
                         "report.decision_boundaries=false", sweep_dir="s")
    assert res.path == (workdir / "s").absolute() and res.is_sweep
    assert len(res.summary) == 4 and (res.summary["status"] == "ok").all()
    on_disk = pd.read_csv(workdir / "s" / "sweep_summary.csv")
    pd.testing.assert_series_equal(res.summary["final_loss"].reset_index(drop=True),
                                   on_disk["final_loss"], check_exact=True)
    assert len(res.groups) == 2 and (res.groups["n"] == 2).all()  # seeds are replicates
    assert len(res.history) == 4 * 20
    assert sys.argv == argv and os.environ == environment  # nothing passed through them
    # the same call again: every job is already done, the tables are the same
    again = sweepnet.sweep("optimizer.lr=0.5,1", "seed=0,1", "trainer.epochs=20",
                           "report.decision_boundaries=false", sweep_dir="s")
    pd.testing.assert_frame_equal(again.summary.drop(columns="wall_time"),
                                  res.summary.drop(columns="wall_time"))


def test_sweep_without_a_directory_writes_where_the_command_does(workdir):
    res = sweepnet.sweep("optimizer.lr=1", "trainer=fast", "report.decision_boundaries=false")
    assert res.path.parent == (workdir / "outputs" / "sweeps").absolute()


@pytest.mark.parametrize("overrides, message", [
    (["optimizer.lr=0.5", "+trainer.epoch=3"], "did you mean trainer.epochs"),
    (["experiment=lr_swep"], "lr_sweep"),
    (["optimizer.lr=-1,1"], "lr must be"),
])
def test_a_bad_sweep_raises_before_anything_runs(workdir, overrides, message):
    with pytest.raises(ConfigError, match=message):
        sweepnet.sweep(*overrides, sweep_dir="bad")
    assert not (workdir / "bad").exists() and not (workdir / "outputs").exists()

"""The studies shipped as presets, their verdicts pinned: experiment=escape_plateau."""

import pandas as pd
import pytest

from sweepnet.runner.app import main

#: the epoch each run leaves the plateau (the end of its last escaped plateau)
ESCAPES = {"momentum_0.5": 56, "adam": 354, "init_small": 177, "init_he": 112, "width_64": 63,
           "width_256": 63, "batch_32": 7, "batch_128": 223, "seed_1": 71, "seed_2": 100,
           "seed_3": 158}


@pytest.fixture(scope="module")
def escape_study(tmp_path_factory):
    where = tmp_path_factory.mktemp("escape")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(where)
        assert main(["experiment=escape_plateau", "hydra.sweep.dir=s"]) == 0
    summary = pd.read_csv(where / "s" / "sweep_summary.csv").set_index("escape")
    return where / "s", summary


def test_the_default_start_is_stuck_and_lowering_the_rate_keeps_it_there(escape_study):
    _, summary = escape_study
    for name in ("baseline", "adaptive"):  # adaptive: lr / 5 on the plateau, still there
        run = summary.loc[name]
        assert run["stuck"] and run["ending"] == "plateau", name
        assert run["final_loss"] == pytest.approx(0.25, abs=0.015), name
    invscaling = summary.loc["invscaling"]  # the rate collapses before the plateau
    assert not invscaling["stuck"] and pd.isna(invscaling["escaped_epoch"])
    assert invscaling["final_loss"] > 0.4


def test_momentum_adam_noise_scale_width_and_other_weights_escape(escape_study):
    _, summary = escape_study
    for name in ("momentum_0.9", "nesterov_0.9", "init_large"):  # never on the plateau
        run = summary.loc[name]
        assert run["n_plateaus"] == 0 and run["ending"] == "converged", name
        assert run["final_loss"] < 0.09, name
    for name, epoch in ESCAPES.items():
        run = summary.loc[name]
        assert not run["stuck"], name
        assert epoch / 1.15 <= run["escaped_epoch"] <= epoch * 1.15, name
        assert run["final_loss"] < 0.11, name
    assert summary.loc["width_4", "final_loss"] > 0.25  # four units: another, higher end


def test_the_escape_study_reports_when_on_the_lr_time_axis(escape_study, capsys):
    path, summary = escape_study
    momentum = summary.loc["momentum_0.5"]  # the effective rate lr / (1 - 0.5) = 2
    assert momentum["effective_lr"] == 2.0 and momentum["initial_lr"] == 1.0
    assert momentum["escaped_lr_time"] == 2.0 * (momentum["escaped_epoch"] - 0.5)
    batch = summary.loc["batch_32"]  # 25 updates an epoch
    assert batch["escaped_lr_time"] == 25 * (batch["escaped_epoch"] - 0.5)
    from sweepnet.analysis.report import main as report_main

    assert report_main([str(path)]) == 0
    out = capsys.readouterr().out
    plateaus = pd.read_csv(path / "sweep_plateaus.csv").set_index("job")
    level = plateaus.loc[momentum["job"], "level"]
    assert f"(escape = momentum_0.5): left the plateau at {level:.3g} at epoch" in out
    assert "effective lr 2 = lr 1 / (1 - momentum)" in out
    assert {"loss_lr_time.png", "plateau_boundaries.png"} <= {p.name for p in path.iterdir()}

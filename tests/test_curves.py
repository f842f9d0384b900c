"""The curve reading against the labelled curves (tests/labelled_curves.py)."""

import math

import numpy as np
import pytest

from labelled_curves import Curve, real, synthetic
from sweepnet.analysis.curves import judge, read_curve

CURVES = synthetic() + real()
#: a found plateau's start and end may differ from the label by this factor of τ
TIME_TOLERANCE = 1.6
LEVEL_TOLERANCE = 0.10


def verdict_of(curve: Curve, curves=CURVES):
    reading = read_curve(curve.loss, curve.updates_per_epoch)
    others = [(c.name, read_curve(c.loss, c.updates_per_epoch)) for c in curves
              if curve.start is not None and c.start == curve.start and c.name != curve.name]
    return judge(reading, curve.levels, others)


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_every_labelled_plateau_is_found_and_no_other(curve):
    verdict = verdict_of(curve)
    found = verdict.plateaus
    assert len(found) == len(curve.plateaus), [(p.start, p.end, p.level) for p in found]
    last_epoch = len(curve.loss)
    for label, plateau in zip(curve.plateaus, found):
        assert plateau.level == pytest.approx(label.level, rel=LEVEL_TOLERANCE)
        start = float(curve.tau(plateau.start))
        assert label.start / TIME_TOLERANCE <= start <= label.start * TIME_TOLERANCE
        if label.end is None:
            assert plateau.end == last_epoch
        else:
            end = float(curve.tau(plateau.end))
            assert label.end / TIME_TOLERANCE <= end <= label.end * TIME_TOLERANCE
        assert plateau.escaped == label.escaped


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_each_curve_ends_as_labelled(curve):
    verdict = verdict_of(curve)
    assert (verdict.ending, verdict.stuck, verdict.oscillating) == (
        curve.ending, curve.stuck, curve.oscillating), verdict.reason
    assert (verdict.convergence_epoch is not None) == (curve.ending == "converged")


def test_a_plateau_is_where_it_is_whatever_the_learning_rate():
    sliced = [c for c in CURVES if c.name.startswith("two_drops_lr")]
    starts, ends = [], []
    for curve in sliced:
        (plateau,) = verdict_of(curve).plateaus
        starts.append(float(curve.tau(plateau.start)))
        ends.append(float(curve.tau(plateau.end)))
    assert max(starts) / min(starts) < 1.25 and max(ends) / min(ends) < 1.25


def test_the_stuck_verdict_names_its_reference():
    by_name = {c.name: c for c in CURVES}
    deep = verdict_of(by_name["tutorial_003_deep"])
    assert deep.reference == "constant" and deep.reason.startswith(
        "stuck at the constant-output loss 0.693 from epoch 1")
    stuck = verdict_of(by_name["default_start_lr0.1"])
    assert stuck.reference == "default_start_lr2"
    assert "from the same start" in stuck.reason
    alone = verdict_of(by_name["default_start_lr0.1"], curves=[])
    assert (alone.ending, alone.stuck, alone.reference) == ("converged", False, "none")


def test_a_flat_end_above_the_linear_models_loss_is_stuck_at_or_below_it_converged():
    curve = next(c for c in CURVES if c.name == "default_start_lr0.1")
    reading = read_curve(curve.loss)  # ends flat at 0.2497
    above = judge(reading, {"linear": 0.2497 / 1.05})
    assert above.stuck and above.reference == "linear" and "above the linear" in above.reason
    for linear in (0.2497, 0.289):  # at the linear loss (it may be the best); below it
        verdict = judge(reading, {"linear": linear})
        assert not verdict.stuck and verdict.ending == "converged"


def test_divergence_and_instability_are_endings_not_plateaus():
    loss = np.concatenate([np.linspace(0.7, 0.3, 50), [0.5, 3.0, np.inf]])
    verdict = judge(read_curve(loss))
    assert (verdict.ending, verdict.diverged_epoch, verdict.stuck) == ("diverged", 53, False)
    rising = np.concatenate([np.linspace(0.7, 0.3, 200), np.linspace(0.3, 0.6, 200)])
    verdict = judge(read_curve(rising))
    assert verdict.ending == "unstable" and not verdict.stuck
    assert judge(read_curve(np.array([np.nan]))).ending == "diverged"


def test_a_curve_too_short_to_tell_is_still_descending():
    verdict = judge(read_curve(np.linspace(0.7, 0.4, 5)))
    assert verdict.ending == "descending" and verdict.convergence_epoch is None
    assert math.isclose(verdict.level, 0.4)


def test_a_scheduled_run_is_read_on_the_time_its_rates_add_up_to():
    """A learning-rate schedule makes time run slower as the rate decays: the same τ curve,
    sampled at the τ a decaying rate reaches, shows its plateau where the label puts it in
    the reading, in the plateaus table and on the lr x epoch axis."""
    import pandas as pd

    from labelled_curves import ONSET, TWO, _between, _drops
    from sweepnet.analysis.curves import analyze
    from sweepnet.analysis.plots.curves import on_lr_time

    epochs = np.arange(1, 5001)
    lr = 2.0 / epochs ** 0.25  # invscaling's shape
    tau = np.cumsum(lr) - lr / 2
    loss = _drops(tau, 0.05, TWO, ONSET)
    label = _between(ONSET, TWO[0], 0.35)
    (plateau,) = read_curve(loss, 1, lr=lr).plateaus
    assert label.start / TIME_TOLERANCE <= tau[plateau.start - 1] <= label.start * TIME_TOLERANCE
    assert label.end / TIME_TOLERANCE <= tau[plateau.end - 1] <= label.end * TIME_TOLERANCE
    history = pd.DataFrame({"job": 0, "epoch": epochs, "loss": loss, "lr": lr})
    summary = pd.DataFrame({"job": [0], "status": ["ok"], "effective_lr": [2.0],
                            "updates_per_epoch": [1]})
    _, plateaus = analyze(history, summary)
    assert plateaus["start_lr_time"].tolist() == [tau[plateau.start - 1]]
    assert plateaus["end_lr_time"].tolist() == [tau[plateau.end - 1]]
    timed, _, timed_plateaus = on_lr_time(history, summary, plateaus)
    np.testing.assert_allclose(timed["epoch"], tau, rtol=1e-12)
    np.testing.assert_allclose(timed_plateaus[["start", "end"]].to_numpy()[0],
                               tau[[plateau.start - 1, plateau.end - 1]], rtol=1e-12)
    constant = history.drop(columns="lr")  # without its rates the run would be misplaced
    timed, _, _ = on_lr_time(constant, summary, None)
    np.testing.assert_allclose(timed["epoch"], 2.0 * (epochs - 0.5))

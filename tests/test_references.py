"""What verdicts are judged against: trivial loss levels, a run's start, its time scale."""

import math

import numpy as np
import pytest
from scipy.optimize import minimize

from sweepnet import BCE, MSE, SGD, Adam, BCEWithLogits, CrossEntropy, Trainer, mlp
from sweepnet.runner.references import linear_loss, start_id, time_scale, trivial_levels

rng = np.random.default_rng(0)
LABELS = (rng.random(200) < 0.3).astype(float).reshape(-1, 1)
CLASSES = np.eye(3)[rng.choice(3, 200, p=[0.5, 0.3, 0.2])]
TARGETS = rng.normal(size=(200, 2)) * [1.0, 3.0] + [0.5, -1.0]


def best_constant(loss, Y, outputs):
    """The lowest loss of a constant output, found numerically (an independent reference)."""
    def value(c):
        return loss.forward(np.tile(outputs(c), (len(Y), 1)), Y)

    start = np.zeros(Y.shape[1])
    return minimize(value, start, method="Nelder-Mead",
                    options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000}).fun


@pytest.mark.parametrize("loss, Y, outputs", [
    (BCE(), LABELS, lambda c: 1 / (1 + np.exp(-c))),
    (BCEWithLogits(), LABELS, lambda c: c),
    (CrossEntropy(), CLASSES, lambda c: c),
    (MSE(), TARGETS, lambda c: c),
], ids=["bce", "bce_with_logits", "cross_entropy", "mse"])
def test_the_constant_loss_is_the_lowest_loss_of_any_constant_output(loss, Y, outputs):
    assert loss.constant_loss(Y) == pytest.approx(best_constant(loss, Y, outputs), rel=1e-7)


def test_the_constant_loss_of_balanced_labels_is_ln_2_and_sums_with_reduction_sum():
    balanced = np.array([[0.0], [1.0]] * 50)
    assert BCE().constant_loss(balanced) == pytest.approx(math.log(2))
    assert BCE(reduction="sum").constant_loss(balanced) == pytest.approx(100 * math.log(2))


def test_the_linear_level_is_scikit_learns_logistic_regression_loss():
    from sklearn.datasets import make_moons
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    X, y = make_moons(400, noise=0.2, random_state=0)
    reference = LogisticRegression(C=np.inf, max_iter=10_000).fit(X, y)
    expected = log_loss(y, reference.predict_proba(X))
    found = linear_loss(BCE(), X, y.reshape(-1, 1).astype(float))
    assert found == pytest.approx(expected, rel=1e-4)
    assert linear_loss(BCEWithLogits(), X, y.reshape(-1, 1).astype(float)) == pytest.approx(
        expected, rel=1e-4)


def test_only_a_network_with_a_hidden_layer_gets_a_linear_level():
    X = rng.normal(size=(100, 2))
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(float)
    deep = Trainer(mlp([2, 8, 1]), BCE(), SGD(0.1))
    shallow = Trainer(mlp([2, 1]), BCE(), SGD(0.1))
    assert trivial_levels(deep, X, y)["linear"] is not None
    assert trivial_levels(shallow, X, y)["linear"] is None  # it *is* a linear model
    assert trivial_levels(shallow, X, y)["constant"] == pytest.approx(
        BCE().constant_loss(y.reshape(-1, 1)))


def test_a_start_is_the_same_for_runs_that_differ_only_in_optimizer_and_budget():
    X = rng.normal(size=(50, 2))
    y = (X[:, 0] > 0).astype(float)

    def start(seed=0, width=4, data=X, loss=None):
        model = mlp([2, width, 1], seed=seed)
        return start_id(model, loss or BCE(), data, y)

    assert start() == start()                   # another learning rate: same weights
    assert start(seed=1) != start()             # other initial weights
    assert start(width=5) != start()            # another architecture
    assert start(data=X + 1e-9) != start()      # other data
    assert start(loss=BCE(reduction="sum")) != start()


def test_the_time_scale_counts_updates_and_the_momentum_of_the_step():
    trainer = Trainer(mlp([2, 4, 1]), BCE(), SGD(0.1, momentum=0.9), batch_size=32)
    assert time_scale(trainer, 100) == {"updates_per_epoch": 4, "effective_lr": 1.0,
                                        "initial_lr": 0.1}
    trainer = Trainer(mlp([2, 4, 1]), BCE(), Adam(0.01), batch_size=32, drop_last=True)
    assert time_scale(trainer, 100) == {"updates_per_epoch": 3, "effective_lr": 0.01,
                                        "initial_lr": 0.01}
    # a schedule moved the rate: the time scale is the one training started with
    trainer = Trainer(mlp([2, 4, 1]), BCE(), SGD(0.5, momentum=0.5), schedule="invscaling")
    trainer.fit(np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2, 3)
    assert trainer.optimizer.lr < 0.5
    assert time_scale(trainer, 20) == {"updates_per_epoch": 1, "effective_lr": 1.0,
                                       "initial_lr": 0.5}
    assert time_scale(Trainer(mlp([2, 1]), BCE(), SGD(0.3)), 100)["updates_per_epoch"] == 1

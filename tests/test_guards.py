"""Guards a mutation pass found missing: each test fails when one rule of the code is broken.

Optimizer maths against plain-numpy references (no PyTorch needed), a stack member whose
gradient turns NaN, scikit-learn's early stopping at ``tol=0``, atomic writes that fail
half-way, the flatness threshold of the plateau rule from both sides, and a directory's
kind refused by ``rundir.claim`` itself.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import sweepnet as sn
from sweepnet import rundir
from sweepnet.analysis.curves import RULE, judge, read_curve
from sweepnet.layers import Layer

# --------------------------------------------------------------------------- optimizers


class Params(Layer):
    """A layer that only holds a weight and a bias, with gradients set from outside."""

    def __init__(self, rng):
        super().__init__()
        self.params = {"weight": rng.normal(size=(3, 2)), "bias": rng.normal(size=2)}


def run_steps(optimizer, steps=6):
    rng = np.random.default_rng(0)
    layer = Params(rng)
    start = {k: v.copy() for k, v in layer.params.items()}
    grads = [{k: rng.normal(size=v.shape) for k, v in layer.params.items()}
             for _ in range(steps)]
    for g in grads:
        layer.grads = g
        optimizer.step([layer])
    return start, grads, layer.params


def test_adam_follows_its_formula_with_bias_correction():
    lr, (b1, b2), eps = 0.05, (0.8, 0.95), 1e-6
    start, grads, found = run_steps(sn.Adam(lr, betas=(b1, b2), eps=eps))
    for name, theta in start.items():
        theta, m, v = theta.copy(), np.zeros_like(theta), np.zeros_like(theta)
        for t, g in enumerate(grads, start=1):
            m = b1 * m + (1 - b1) * g[name]
            v = b2 * v + (1 - b2) * g[name] ** 2
            m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
            theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(found[name], theta, rtol=1e-12, atol=1e-14)


def test_adam_sklearn_variant_adds_eps_to_the_uncorrected_root():
    lr, (b1, b2), eps = 0.05, (0.8, 0.95), 1e-3  # a large eps: the variants differ
    start, grads, found = run_steps(sn.Adam(lr, betas=(b1, b2), eps=eps, variant="sklearn"))
    for name, theta in start.items():
        theta, m, v = theta.copy(), np.zeros_like(theta), np.zeros_like(theta)
        for t, g in enumerate(grads, start=1):
            m = b1 * m + (1 - b1) * g[name]
            v = b2 * v + (1 - b2) * g[name] ** 2
            theta = theta - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
        np.testing.assert_allclose(found[name], theta, rtol=1e-12, atol=1e-14)
    _, _, pytorch = run_steps(sn.Adam(lr, betas=(b1, b2), eps=eps))
    assert not np.allclose(pytorch["weight"], found["weight"], rtol=1e-6)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_follows_its_momentum_formula(nesterov):
    lr, mu = 0.1, 0.7
    start, grads, found = run_steps(sn.SGD(lr, momentum=mu, nesterov=nesterov))
    for name, theta in start.items():
        theta, velocity = theta.copy(), np.zeros_like(theta)
        for g in grads:
            grad = g[name]
            velocity = mu * velocity - lr * grad
            theta = theta + (mu * velocity - lr * grad if nesterov else velocity)
        np.testing.assert_allclose(found[name], theta, rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- stacks


def test_a_stack_member_whose_gradient_turns_nan_keeps_its_last_weights():
    """lr 1e300 overflows the weights at once; the next batch's loss and gradient are
    inf and NaN. Alone the run stops before that update; in a stack the member is frozen
    by putting its values back (a multiplied mask would write 0 * NaN = NaN into them)."""
    X, y = make_moons(64, noise=0.2, random_state=0)

    def make(lr):
        return sn.Trainer(sn.mlp([2, 4, 1], output=None, seed=1), sn.MSE(), sn.SGD(lr),
                          batch_size=16, seed=0)

    alone = make(1e300)
    alone.fit(X, y, 3)
    assert alone.status_ == "diverged"
    stacked = [make(1e300), make(0.1)]
    sn.fit_stack(stacked, [(X, y)] * 2, [3, 3])
    reference = make(0.1)
    reference.fit(X, y, 3)
    for got, want in ((stacked[0], alone), (stacked[1], reference)):
        for key, value in want.model.state_dict().items():
            np.testing.assert_array_equal(got.model.state_dict()[key], value)
    assert not any(np.isnan(v).any() for v in stacked[0].model.state_dict().values())


# --------------------------------------------------------------------------- early stopping


@pytest.fixture(scope="module")
def moons():
    return make_moons(1000, noise=0.2, random_state=0)


def test_tol_0_stops_where_scikit_learn_stops_when_the_loss_stands_still(moons):
    """A learning rate so small that no weight moves: every loss equals the first one,
    which at ``tol=0`` is no worse than the best (``>``, not ``>=``, ``best - tol``):
    neither stops."""
    X, y = moons
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier((16,), solver="sgd", momentum=0.0, alpha=0.0, tol=0.0,
                            learning_rate_init=1e-300, batch_size=len(X), shuffle=False,
                            max_iter=100, random_state=99).fit(X, y)
    trainer = sn.Trainer(sn.mlp([2, 16, 1], seed=99), sn.BCE(), sn.SGD(1e-300),
                         early_stopping=sn.EarlyStopping(tol=0.0, n_iter_no_change=10))
    history = trainer.fit(X, y, 100)
    assert len(set(history["loss"])) == 1
    assert len(history) == clf.n_iter_ == 100 and history.attrs["stopped"] is None


def test_tol_0_on_validation_accuracy_counts_equal_scores_as_no_improvement(moons):
    """Accuracies repeat: an equal score counts (``<``, not ``<=``, ``best + tol``) and
    does not replace the best epoch's weights (``>``, not ``>=``)."""
    X, y = moons
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier((16,), solver="sgd", momentum=0.0, alpha=0.0, tol=0.0,
                            learning_rate_init=0.5, batch_size=64, max_iter=300,
                            early_stopping=True, validation_fraction=0.1,
                            random_state=7).fit(X, y)
    rng = np.random.RandomState(7)
    model = sn.mlp([2, 16, 1], seed=rng)
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=rng, test_size=0.1,
                                                      stratify=y)
    trainer = sn.Trainer(model, sn.BCE(), sn.SGD(0.5), batch_size=64, seed=rng,
                         shuffle="cumulative",
                         early_stopping=sn.EarlyStopping(tol=0.0, monitor="val_accuracy"))
    history = trainer.fit(X_train, y_train, 300, validation_data=(X_val, y_val))
    assert len(history) == clf.n_iter_ < 300
    scores = np.asarray(clf.validation_scores_)  # the best score is reached twice (25, 51)
    assert np.flatnonzero(scores == scores.max()).size > 1
    for layer, coef in zip([model[0], model[2]], clf.coefs_):
        np.testing.assert_allclose(layer.weight, coef, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- atomic writes


def test_a_write_that_fails_half_way_leaves_the_old_file_whole(tmp_path):
    target = tmp_path / "sweep_summary.csv"
    rundir.write_table(target, pd.DataFrame({"job": [0, 1], "final_loss": [0.1, 0.2]}))
    before = target.read_bytes()

    def half_then_fail(path):
        path.write_text("job,final_lo")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        rundir.write_atomic(target, half_then_fail)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep_summary.csv"]  # no temp

    class Failing(pd.DataFrame):
        def to_csv(self, path, **kwargs):
            open(path, "w").write("job")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rundir.write_table(target, Failing({"job": [5]}))
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep_summary.csv"]


# --------------------------------------------------------------------------- plateau rule


def shoulder(ratio: float) -> np.ndarray:
    """A curve whose speed on log time (``-dL/d ln τ``) is 1 for two decades of time,
    ``ratio`` for the next decade, 1 for one more, then 0.02 (edges smoothed over a tenth
    of an e-fold): a shoulder as flat as ``ratio`` of the speed around it."""
    epochs = np.arange(1, 30_001)
    u = np.log((epochs - 0.5) / 0.5)  # ln τ / τ_1 for any lr, one update per epoch
    decade = math.log(10)

    def step(at):  # 0 before ``at`` decades, 1 after
        return 1 / (1 + np.exp(-(u - at * decade) / 0.1))

    speed = 1 - (1 - ratio) * (step(2) - step(3)) - 0.98 * step(4)
    loss = 0.6 - 0.04 * np.concatenate([[0], np.cumsum((speed[1:] + speed[:-1]) / 2
                                                          * np.diff(u))])
    return loss


@pytest.mark.parametrize("ratio, plateau", [(0.8 * RULE.flat, True), (1.2 * RULE.flat, False)])
def test_the_flatness_threshold_decides_from_both_sides(ratio, plateau):
    assert RULE.flat == 0.25
    found = judge(read_curve(shoulder(ratio))).plateaus
    assert (len(found) == 1) == plateau, [(p.start, p.end) for p in found]


# --------------------------------------------------------------------------- ownership


def test_claim_refuses_a_directory_of_the_other_kind_and_writes_nothing(tmp_path):
    run, sweep = tmp_path / "run", tmp_path / "sweep"
    rundir.claim(run, rundir.RUN)
    rundir.claim(sweep, rundir.SWEEP)
    rundir.claim(run, rundir.RUN)  # again: its own kind is fine
    for path, kind, other in ((run, rundir.SWEEP, "run"), (sweep, rundir.RUN, "sweep")):
        before = sorted(p.name for p in path.iterdir())
        with pytest.raises(ValueError, match=f"is a {other} directory; a {kind} cannot"):
            rundir.claim(path, kind)
        assert sorted(p.name for p in path.iterdir()) == before
        assert (path / rundir.MARKER).read_text() == other + "\n"

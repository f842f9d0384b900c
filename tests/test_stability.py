"""Sigmoid and the binary cross entropies stay finite and silent at extreme inputs."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import sweepnet as sn
from sweepnet.layers import sigmoid

EXTREME = np.array([[-1000.0], [-745.0], [-40.0], [0.0], [40.0], [745.0], [1000.0]])


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_finite_and_warning_free_at_extremes(dtype):
    x = EXTREME.astype(dtype)
    layer = sn.Sigmoid()
    y = layer.forward(x)
    assert y.dtype == dtype
    assert np.all(np.isfinite(y)) and np.all((y >= 0) & (y <= 1))
    assert y[0, 0] < 1e-30 and y[-1, 0] == 1.0
    assert np.all(np.isfinite(layer.backward(np.ones_like(x))))


def test_sigmoid_keeps_relative_precision_for_small_outputs():
    # σ(-x) = exp(-x) / (1 + exp(-x)) ~ exp(-x) for large x
    for x in (-40.0, -300.0, -700.0):
        assert sigmoid(np.array([x]))[0] == pytest.approx(np.exp(x), rel=1e-12)


@pytest.mark.parametrize("p", [0.0, 1.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_bce_is_finite_at_probability_zero_and_one(p, y):
    loss = sn.BCE()
    value = loss.forward(np.array([[p]]), np.array([[y]]))
    assert np.isfinite(value)
    assert np.all(np.isfinite(loss.backward()))
    if p == y:
        assert value < 1e-12
    else:
        assert value > 30  # -log(eps) ~ 36: confidently wrong is expensive, not infinite


def test_bce_with_logits_is_finite_and_exact_at_extreme_logits():
    loss = sn.BCEWithLogits(reduction="sum")
    z = np.array([[-1000.0], [1000.0]])
    assert loss.forward(z, np.array([[0.0], [1.0]])) == 0.0
    assert loss.forward(z, np.array([[1.0], [0.0]])) == pytest.approx(2000.0)
    assert np.all(np.isfinite(loss.backward()))


def test_cross_entropy_is_finite_at_extreme_logits():
    loss = sn.CrossEntropy()
    z = np.array([[1000.0, -1000.0, 0.0]])
    assert loss.forward(z, np.array([[0.0, 1.0, 0.0]])) == pytest.approx(2000.0)
    assert np.all(np.isfinite(loss.backward()))


def test_clipped_cross_entropy_is_scikit_learns_log_loss_where_probabilities_saturate():
    """clip=True: scikit-learn's log loss, probabilities clipped to [eps, 1 - eps]; the
    gradient stays softmax(z) - y. Unclipped, a sure wrong class costs its full logit gap."""
    from sklearn.metrics import log_loss
    from sklearn.utils.extmath import softmax

    z = np.array([[1000.0, -1000.0, 0.0], [2.0, 1.0, 0.5], [0.0, 60.0, -60.0]])
    y = np.array([1, 0, 1])
    clipped, plain = sn.CrossEntropy(clip=True), sn.CrossEntropy()
    onehot = clipped.prepare_targets(y, 3)
    probabilities = softmax(z.copy())
    assert clipped.forward(z, onehot) == pytest.approx(
        log_loss(y, probabilities, labels=[0, 1, 2]), rel=1e-12)
    assert clipped.forward(z, onehot) < 13 < plain.forward(z, onehot)  # 36/3 vs 2000/3
    plain.forward(z, onehot)
    np.testing.assert_array_equal(clipped.backward(), plain.backward())
    with pytest.raises(ValueError, match="clip must be true or false"):
        sn.CrossEntropy(clip="yes")


finite = st.floats(-1e4, 1e4, allow_nan=False)


@given(arrays(np.float64, st.integers(1, 50), elements=finite))
def test_sigmoid_lies_in_the_unit_interval_and_is_monotonic(x):
    y = sigmoid(x)
    assert np.all((y >= 0) & (y <= 1))
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(y[order]) >= 0)


@given(arrays(np.float64, st.integers(1, 50), elements=finite))
def test_sigmoid_is_symmetric(x):
    np.testing.assert_allclose(sigmoid(-x), 1 - sigmoid(x), rtol=0, atol=1e-15)
    np.testing.assert_allclose(sigmoid(np.zeros_like(x)), 0.5)

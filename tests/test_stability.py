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

"""Finite-difference checks of every layer and loss (the bar of scikit-learn's test_gradient)."""

import numpy as np
import pytest

import sweepnet as sn
from conftest import numerical_gradient, relative_error

TOL = 1e-7


def away_from_kinks(x, margin=1e-3):
    """Move entries away from 0, where ReLU-like derivatives jump."""
    return np.where(np.abs(x) < margin, margin * 10, x)


LAYERS = {
    "linear": lambda: sn.Linear(4, 3, rng=1),
    "linear_torch_init": lambda: sn.Linear(4, 3, init="torch_uniform", rng=2),
    "relu": sn.ReLU,
    "leaky_relu": lambda: sn.LeakyReLU(0.1),
    "sigmoid": sn.Sigmoid,
    "tanh": sn.Tanh,
    "identity": sn.Identity,
    "softmax": sn.Softmax,
}


@pytest.mark.parametrize("name", LAYERS)
def test_layer_gradients_match_central_differences(name, rng):
    layer = LAYERS[name]()
    x = away_from_kinks(rng.normal(size=(5, 4)))
    weights = rng.normal(size=layer.forward(x).shape)

    def objective():
        return float(np.sum(layer.forward(x) * weights))

    objective()
    grad_x = layer.backward(weights)
    assert relative_error(grad_x, numerical_gradient(objective, x)) < TOL
    for key, param in layer.params.items():
        analytic = layer.grads[key].copy()
        assert relative_error(analytic, numerical_gradient(objective, param)) < TOL, key


def test_linear_backward_params_sets_the_same_grads_as_backward(rng):
    layer = sn.Linear(3, 2, rng=0)
    x, g = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    layer.forward(x)
    layer.backward(g)
    expected = {k: v.copy() for k, v in layer.grads.items()}
    layer.backward_params(g)
    for k in expected:
        np.testing.assert_array_equal(layer.grads[k], expected[k])


@pytest.mark.parametrize("x_shape", [(4, 5, 3), (5, 3)], ids=["per-model input", "shared input"])
def test_linear_broadcasts_over_a_leading_stack_of_models(rng, x_shape):
    # the model-axis layout: weight (M, in, out), bias (M, out); the axis is declared
    layers = [sn.Linear(3, 2, rng=seed) for seed in range(4)]
    stacked = layers[0].for_stack(layers)
    assert stacked.models == 4 and stacked.weight.shape == (4, 3, 2)
    stacked.params["weight"] = rng.normal(size=(4, 3, 2))
    stacked.params["bias"] = rng.normal(size=(4, 2))
    x = rng.normal(size=x_shape)
    out = stacked.forward(x)
    assert out.shape == (4, 5, 2)
    weights = rng.normal(size=out.shape)

    def objective():
        return float(np.sum(stacked.forward(x) * weights))

    stacked.forward(x)
    stacked.backward(weights)
    for key in ("weight", "bias"):
        analytic = stacked.grads[key].copy()
        assert analytic.shape == stacked.params[key].shape
        assert relative_error(analytic, numerical_gradient(objective, stacked.params[key])) < TOL


def test_a_custom_activation_needs_only_its_function_and_derivative(rng):
    class Cube(sn.Activation):
        def function(self, x):
            return x**3

        def derivative(self, x):
            return 3 * x**2

    layer, x = Cube(), rng.normal(size=(4, 3))
    weights = rng.normal(size=(4, 3))

    def objective():
        return float(np.sum(layer.forward(x) * weights))

    objective()
    assert relative_error(layer.backward(weights), numerical_gradient(objective, x)) < TOL


def binary_targets(rng, shape):
    return (rng.random(shape) > 0.5).astype(float)


LOSSES = {
    "bce": (sn.BCE, lambda r: r.uniform(0.05, 0.95, (6, 3)), binary_targets),
    "bce_soft_labels": (sn.BCE, lambda r: r.uniform(0.05, 0.95, (6, 1)),
                        lambda r, s: r.random(s)),
    "bce_with_logits": (sn.BCEWithLogits, lambda r: r.normal(0, 3, (6, 2)), binary_targets),
    "cross_entropy": (sn.CrossEntropy, lambda r: r.normal(0, 2, (6, 4)),
                      lambda r, s: np.eye(s[1])[r.integers(0, s[1], s[0])]),
    "mse": (sn.MSE, lambda r: r.normal(size=(6, 2)), lambda r, s: r.normal(size=s)),
}


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", LOSSES)
def test_loss_gradients_match_central_differences(name, reduction, rng):
    cls, make_pred, make_target = LOSSES[name]
    loss = cls(reduction=reduction)
    y_pred = make_pred(rng)
    y_true = make_target(rng, y_pred.shape)

    loss.forward(y_pred, y_true)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda: loss.forward(y_pred, y_true), y_pred)
    assert relative_error(analytic, numeric) < TOL


def test_bce_fused_with_sigmoid_is_the_gradient_wrt_logits(rng):
    z, y = rng.normal(0, 2, (8, 2)), binary_targets(rng, (8, 2))
    sigmoid, loss = sn.Sigmoid(), sn.BCE()
    assert loss.fuses_with(sigmoid)

    def objective():
        return loss.forward(sigmoid.forward(z), y)

    objective()
    assert relative_error(loss.backward_fused(), numerical_gradient(objective, z)) < TOL


def test_whole_network_gradient_matches_central_differences(rng):
    model = sn.mlp([3, 5, 4, 2], activation="tanh", output=None, seed=0)
    loss = sn.CrossEntropy()
    x, y = rng.normal(size=(7, 3)), np.eye(2)[rng.integers(0, 2, 7)]

    def objective():
        return loss.forward(model.forward(x), y)

    objective()
    model.backward(loss.backward())
    for i, name, param in list(model.parameters()):
        analytic = model[i].grads[name].copy()
        assert relative_error(analytic, numerical_gradient(objective, param)) < TOL, (i, name)


@pytest.mark.parametrize("models", [None, 3])
def test_the_l2_gradient_is_the_penaltys_derivative(rng, models):
    """regularization: dL/dW += α W / n is the derivative of 0.5 α Σ‖W‖² / n, per model in a
    stack (each model its own α), and biases get nothing."""
    from sweepnet.regularization import add_l2_gradient, l2_penalty

    layers = [sn.Linear(3, 4, rng=1), sn.ReLU(), sn.Linear(4, 2, rng=2)]
    if models is not None:
        layers = [layer.for_stack([layer] * models) if layer.params else layer
                  for layer in layers]
    alpha = 0.3 if models is None else np.array([0.3, 1.0, 0.0])
    n = 7
    for layer in layers:
        layer.grads = {k: np.zeros_like(v) for k, v in layer.params.items()}
    add_l2_gradient(layers, alpha, n, models)
    pick = np.ones(models) if models is not None else 1.0  # weights of each model's sum

    def objective():
        return float(np.sum(l2_penalty(layers, alpha, n, models) * pick))

    for layer in layers:
        for key, param in layer.params.items():
            numeric = numerical_gradient(objective, param)
            if key == "bias":
                assert not layer.grads[key].any() and np.allclose(numeric, 0)
            else:
                assert relative_error(layer.grads[key], numeric) < TOL

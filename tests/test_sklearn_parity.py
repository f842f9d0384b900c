"""sweepnet reproduces scikit-learn's MLPClassifier (solver="sgd") to 1e-10."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import sweepnet as sn

SEED = 99


@pytest.fixture(scope="module")
def moons():
    return make_moons(1000, noise=0.2, random_state=0)


def fit_sklearn(X, y, activation, epochs, lr, batch_size, momentum=0.0, nesterov=False):
    clf = MLPClassifier(
        hidden_layer_sizes=(16,), activation=activation, solver="sgd",
        learning_rate="constant", learning_rate_init=lr, momentum=momentum,
        nesterovs_momentum=nesterov, alpha=0.0, batch_size=batch_size, shuffle=False,
        tol=0.0, n_iter_no_change=epochs + 1, max_iter=epochs, random_state=SEED,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.n_iter_ == epochs
    return clf


def fit_sweepnet(X, y, activation, epochs, lr, batch_size, momentum=0.0, nesterov=False):
    # same seed, no weights copied: sweepnet draws scikit-learn's initial weights itself
    model = sn.mlp([2, 16, 1], activation=activation, output="sigmoid", seed=SEED)
    trainer = sn.Trainer(model, sn.BCE(), sn.SGD(lr, momentum=momentum, nesterov=nesterov),
                         batch_size=batch_size, shuffle=False)
    return model, trainer.fit(X, y, epochs)


def assert_same_fit(clf, model, history):
    np.testing.assert_allclose(history["loss"], clf.loss_curve_, rtol=0, atol=1e-10)
    linears = [layer for layer in model if isinstance(layer, sn.Linear)]
    for layer, coef, intercept in zip(linears, clf.coefs_, clf.intercepts_):
        np.testing.assert_allclose(layer.weight, coef, rtol=0, atol=1e-10)
        np.testing.assert_allclose(layer.bias, intercept, rtol=0, atol=1e-10)


def test_mlp_seed_draws_scikit_learns_initial_weights():
    for sk_activation, activation in (("relu", "relu"), ("logistic", "sigmoid")):
        clf = MLPClassifier(hidden_layer_sizes=(16,), activation=sk_activation,
                            random_state=SEED)
        clf._random_state = np.random.RandomState(SEED)
        clf.activation = sk_activation
        expected = [clf._init_coef(a, b, np.float64) for a, b in ((2, 16), (16, 1))]
        model = sn.mlp([2, 16, 1], activation=activation, seed=SEED)
        for layer, (coef, intercept) in zip([model[0], model[2]], expected):
            np.testing.assert_array_equal(layer.weight, coef)
            np.testing.assert_array_equal(layer.bias, intercept)


@pytest.mark.parametrize("sk_activation, activation", [("relu", "relu"),
                                                       ("logistic", "sigmoid")])
def test_full_batch_gradient_descent_matches_mlpclassifier(moons, sk_activation, activation):
    X, y = moons
    clf = fit_sklearn(X, y, sk_activation, epochs=1000, lr=1.0, batch_size=len(X))
    model, history = fit_sweepnet(X, y, activation, epochs=1000, lr=1.0, batch_size=None)
    assert len(history) == 1000
    assert_same_fit(clf, model, history)


@pytest.mark.parametrize("nesterov", [False, True])
def test_minibatch_momentum_matches_mlpclassifier(moons, nesterov):
    X, y = moons
    # 1000 is not a multiple of 96: the last, partial batch of 40 is used too
    kwargs = dict(epochs=60, lr=0.05, batch_size=96, momentum=0.9, nesterov=nesterov)
    clf = fit_sklearn(X, y, "relu", **kwargs)
    model, history = fit_sweepnet(X, y, "relu", **kwargs)
    assert_same_fit(clf, model, history)

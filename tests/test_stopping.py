"""Early stopping by scikit-learn's rule, and continued fits."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import sweepnet as sn


@pytest.fixture(scope="module")
def moons():
    return make_moons(1000, noise=0.2, random_state=0)


def sklearn_fit(X, y, **kwargs):
    clf = MLPClassifier((16,), solver="sgd", momentum=0.0, alpha=0.0, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    return clf


@pytest.mark.parametrize("lr, n_iter", [(2.0, 48), (0.1, 298)])
def test_stops_on_the_training_loss_at_mlpclassifiers_epoch(moons, lr, n_iter):
    """Tutorial 003's setting: scikit-learn stops these two rates on the plateau."""
    X, y = moons
    clf = sklearn_fit(X, y, learning_rate_init=lr, batch_size=len(X), max_iter=2000,
                      shuffle=False, random_state=99)
    trainer = sn.Trainer(sn.mlp([2, 16, 1], seed=99), sn.BCE(), sn.SGD(lr),
                         early_stopping=sn.EarlyStopping(tol=1e-4, n_iter_no_change=10))
    history = trainer.fit(X, y, 2000)
    assert clf.n_iter_ == n_iter == len(history)
    np.testing.assert_allclose(history["loss"], clf.loss_curve_, rtol=0, atol=1e-12)
    assert history.attrs["stopped"]["epoch"] == n_iter
    assert "training loss did not improve by more than tol=0.0001 for 11 epochs" in \
        history.attrs["stopped"]["reason"]


@pytest.mark.parametrize("random_state", [3, 11])
def test_stops_on_validation_accuracy_as_mlpclassifier_early_stopping(moons, random_state):
    """MLPClassifier(early_stopping=True): one RandomState draws the weights, then the
    validation split, then (cumulatively) the batch orders; the best epoch's weights
    are kept. The same with the engine, to the last bit of its curve and weights."""
    X, y = moons
    clf = sklearn_fit(X, y, learning_rate_init=0.5, batch_size=64, max_iter=500,
                      early_stopping=True, validation_fraction=0.1, random_state=random_state)
    rng = np.random.RandomState(random_state)
    model = sn.mlp([2, 16, 1], seed=rng)
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=rng, test_size=0.1,
                                                      stratify=y)
    trainer = sn.Trainer(model, sn.BCE(), sn.SGD(0.5), batch_size=64, seed=rng,
                         shuffle="cumulative",
                         early_stopping=sn.EarlyStopping(monitor="val_accuracy"))
    history = trainer.fit(X_train, y_train, 500, validation_data=(X_val, y_val))
    assert len(history) == clf.n_iter_ < 500
    np.testing.assert_allclose(history["loss"], clf.loss_curve_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(history["val_accuracy"], clf.validation_scores_, atol=1e-12)
    for layer, coef in zip([model[0], model[2]], clf.coefs_):
        np.testing.assert_allclose(layer.weight, coef, rtol=0, atol=1e-12)


def test_a_second_fit_continues_epochs_history_and_optimizer_state(moons):
    X, y = moons

    def trainer():
        return sn.Trainer(sn.mlp([2, 8, 1], seed=1), sn.BCE(), sn.Adam(0.01), batch_size=100,
                          seed=2)

    once = trainer()
    whole = once.fit(X, y, 15)
    twice = trainer()
    twice.fit(X, y, 10)
    continued = twice.fit(X, y, 5)
    assert continued["epoch"].tolist() == list(range(1, 16))
    assert continued is twice.history_
    np.testing.assert_array_equal(continued["loss"], whole["loss"])
    np.testing.assert_array_equal(twice.model[0].weight, once.model[0].weight)


@pytest.mark.parametrize("kwargs, message", [
    ({"tol": -1}, "tol must be a number >= 0"),
    ({"n_iter_no_change": 0}, "n_iter_no_change must be a positive integer"),
    ({"monitor": "accuracy"}, "monitor must be one of"),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sn.EarlyStopping(**kwargs)


def test_validation_accuracy_needs_validation_data(moons):
    X, y = moons
    trainer = sn.Trainer(sn.mlp([2, 4, 1]), sn.BCE(), sn.SGD(0.1),
                         early_stopping=sn.EarlyStopping(monitor="val_accuracy"))
    with pytest.raises(ValueError, match="needs validation data"):
        trainer.fit(X, y, 3)


def test_on_the_validation_loss_lower_is_better_and_the_best_weights_are_kept():
    stopper = sn.EarlyStopping(tol=0.01, n_iter_no_change=2, monitor="val_loss")
    assert stopper.keeps_best
    reasons = [stopper.update({"loss": 9.0, "val_loss": v}) for v in (1.0, 0.5, 0.495, 0.6, 0.7)]
    assert reasons[:4] == [None] * 4 and "validation loss" in reasons[4]
    assert stopper.best == 0.495 and stopper.improved is False

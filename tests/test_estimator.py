"""NetClassifier: a scikit-learn estimator on sweepnet's engine."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_moons
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sweepnet.estimator import NetClassifier, NetRegressor

#: every check scikit-learn's suite runs is expected to pass: no entry
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


@parametrize_with_checks([NetClassifier(epochs=50, random_state=0),
                          NetRegressor(epochs=200, random_state=0)],
                         expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)  # 50 epochs on the checks' data
        check(estimator)


@pytest.fixture(scope="module")
def moons():
    return make_moons(1000, noise=0.2, random_state=0)


def mlp_classifier(X, y, **kwargs):
    """scikit-learn's MLPClassifier with plain SGD and no L2 penalty, fitted."""
    clf = MLPClassifier(solver="sgd", momentum=0.0, alpha=0.0, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clf.fit(X, y)


def test_loss_curve_equals_mlpclassifiers_on_tutorial_003(moons):
    """Full-batch SGD at lr 1 on make_moons, random_state=99: the engine's parity with
    MLPClassifier (1e-10), through the estimator, stopping rule included."""
    X, y = moons
    settings = dict(hidden_layer_sizes=(16,), batch_size=len(X), random_state=99)
    reference = mlp_classifier(X, y, learning_rate_init=1.0, max_iter=1000, **settings)
    ours = NetClassifier(optimizer="sgd", lr=1.0, epochs=1000, alpha=0.0, **settings).fit(X, y)
    assert ours.n_iter_ == reference.n_iter_ == 420  # both stop by tol=1e-4
    np.testing.assert_allclose(ours.loss_curve_, reference.loss_curve_, rtol=0, atol=1e-10)
    for layer, coef in zip([ours.model_[0], ours.model_[2]], reference.coefs_):
        np.testing.assert_allclose(layer.weight, coef, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-10)
    assert ours.stopped_["epoch"] == 420


@pytest.mark.parametrize("random_state", [0, 5])
def test_early_stopping_stops_at_mlpclassifiers_epoch(moons, random_state):
    X, y = moons
    settings = dict(hidden_layer_sizes=(16,), batch_size=64, random_state=random_state,
                    early_stopping=True, validation_fraction=0.2, n_iter_no_change=5,
                    tol=1e-3)
    reference = mlp_classifier(X, y, learning_rate_init=0.2, max_iter=300, **settings)
    ours = NetClassifier(optimizer="sgd", lr=0.2, epochs=300, alpha=0.0, **settings).fit(X, y)
    assert ours.n_iter_ == reference.n_iter_ < 300
    np.testing.assert_allclose(ours.loss_curve_, reference.loss_curve_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.validation_scores_, reference.validation_scores_)
    assert len(ours.validation_loss_curve_) == ours.n_iter_
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-10)


STRATEGIES = {  # MLPClassifier's settings -> NetClassifier's: schedules, L2, its Adam
    "invscaling nesterov": (dict(solver="sgd", learning_rate="invscaling", power_t=0.3,
                                 momentum=0.9, nesterovs_momentum=True, learning_rate_init=0.2),
                            dict(optimizer="sgd", schedule="invscaling", power_t=0.3, lr=0.2,
                                 optimizer_params={"momentum": 0.9, "nesterov": True})),
    "adaptive": (dict(solver="sgd", learning_rate="adaptive", momentum=0.0,
                      learning_rate_init=0.5, tol=1e-3, n_iter_no_change=3),
                 dict(optimizer="sgd", schedule="adaptive", lr=0.5, tol=1e-3,
                      n_iter_no_change=3)),
    "l2 on partial batches": (dict(solver="sgd", momentum=0.5, nesterovs_momentum=False,
                                   learning_rate_init=0.1, alpha=0.05, batch_size=96),
                              dict(optimizer="sgd", lr=0.1, alpha=0.05, batch_size=96,
                                   optimizer_params={"momentum": 0.5})),
    "adam, defaults": (dict(), dict()),
    "adam, early stopping": (dict(learning_rate_init=0.01, early_stopping=True,
                                  n_iter_no_change=4),
                             dict(lr=0.01, early_stopping=True, n_iter_no_change=4)),
}


@pytest.mark.parametrize("theirs, ours", STRATEGIES.values(), ids=STRATEGIES.keys())
def test_schedules_l2_and_adam_equal_mlpclassifiers(moons, theirs, ours):
    X, y = moons
    common = dict(hidden_layer_sizes=(16,), random_state=3, max_iter=150)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = MLPClassifier(**common, **theirs).fit(X, y)
    common["epochs"] = common.pop("max_iter")
    clf = NetClassifier(**common, **ours).fit(X, y)
    assert clf.n_iter_ == reference.n_iter_
    np.testing.assert_allclose(clf.loss_curve_, reference.loss_curve_, rtol=0, atol=1e-10)
    for layer, coef in zip([clf.model_[0], clf.model_[2]], reference.coefs_):
        np.testing.assert_allclose(layer.weight, coef, rtol=0, atol=1e-10)
    if theirs.get("learning_rate") == "adaptive":
        assert clf.history_["lr"].iloc[-1] < 0.5 / 5  # it fell at least twice
        assert clf.trainer_.optimizer.lr == pytest.approx(reference._optimizer.learning_rate)


def test_warm_start_continues_epochs_and_optimizer_state(moons):
    X, y = moons
    settings = dict(hidden_layer_sizes=(8,), batch_size=100, tol=0.0, n_iter_no_change=1000,
                    random_state=1, lr=0.01)
    whole = NetClassifier(epochs=30, **settings).fit(X, y)
    warm = NetClassifier(epochs=10, warm_start=True, **settings)
    for _ in range(3):
        warm.fit(X, y)
    assert warm.n_iter_ == 30 and warm.history_["epoch"].tolist() == list(range(1, 31))
    np.testing.assert_array_equal(warm.loss_curve_, whole.loss_curve_)
    cold = NetClassifier(epochs=10, **settings).fit(X, y).fit(X, y)
    assert cold.n_iter_ == 10  # without warm_start, a fit starts again


def test_multiclass_pipeline_and_cross_validation():
    X, y = load_iris(return_X_y=True)
    y = np.array(["setosa", "versicolor", "virginica"])[y]
    pipeline = make_pipeline(StandardScaler(),
                             NetClassifier(hidden_layer_sizes=(16,), lr=0.01, epochs=200,
                                           random_state=0))
    scores = cross_val_score(pipeline, X, y, cv=3)
    assert scores.mean() > 0.9
    pipeline.fit(X, y)
    assert set(pipeline.predict(X)) <= set(y)
    proba = pipeline.predict_proba(X)
    assert proba.shape == (150, 3) and np.allclose(proba.sum(axis=1), 1)


@pytest.mark.usefixtures("swish_installed")
def test_grid_search_over_a_plugin_activation(moons):
    """examples/plugins' swish, installed, is a value of the grid like relu."""
    X, y = moons
    search = GridSearchCV(NetClassifier(hidden_layer_sizes=(8,), lr=0.01, epochs=30,
                                        random_state=0),
                          {"activation": ["relu", "swish"]}, cv=3).fit(X[:300], y[:300])
    assert [p["activation"] for p in search.cv_results_["params"]] == ["relu", "swish"]
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert type(search.best_estimator_.model_[1]).__name__ in ("ReLU", "Swish")


def test_unknown_component_names_list_the_registered_ones(moons):
    X, y = moons
    with pytest.raises(Exception, match="swishh"):
        NetClassifier(activation="swishh").fit(X, y)
    assert "sweepnet" in sys.modules


@pytest.mark.parametrize("loss", ["bce", "bce_with_logits", "cross_entropy"])
def test_every_classification_loss_gives_the_same_kind_of_classifier(moons, loss):
    X, y = moons
    clf = NetClassifier(hidden_layer_sizes=(8,), loss=loss, lr=0.01, epochs=100,
                        random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (1000, 2) and np.allclose(proba.sum(axis=1), 1)
    assert clf.score(X, y) > 0.8
    expected_outputs = 2 if loss == "cross_entropy" else 1
    assert clf.model_[-1 if loss != "bce" else -2].weight.shape[-1] == expected_outputs


def test_a_loss_that_cannot_classify_is_refused(moons):
    X, y = moons
    with pytest.raises(ValueError, match="must be a classification loss"):
        NetClassifier(loss="mse").fit(X, y)
    iris_X, iris_y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="use cross_entropy"):
        NetClassifier(loss="bce").fit(iris_X, iris_y)


@pytest.mark.parametrize("loss", ["bce_with_logits", "cross_entropy"])
def test_a_diverging_fit_says_so(moons, loss):
    X, y = moons
    with pytest.raises(ValueError, match="training diverged: the loss became non-finite"):
        NetClassifier(loss=loss, optimizer="sgd", lr=1e12, epochs=50,
                      random_state=0).fit(X * 1e3, y)


# --------------------------------------------------------------------------- scikit-learn habits

PARTIAL = {"sgd": (dict(solver="sgd"), dict(optimizer="sgd")),
           "adam": (dict(solver="adam"), dict()),
           "adaptive": (dict(solver="sgd", learning_rate="adaptive", tol=1e9, n_iter_no_change=2),
                        dict(optimizer="sgd", schedule="adaptive", tol=1e9, n_iter_no_change=2))}


@pytest.mark.parametrize("theirs_, ours", PARTIAL.values(), ids=PARTIAL.keys())
def test_partial_fit_equals_mlpclassifiers(moons, theirs_, ours):
    """One epoch per call, from the data's own order each time, no early stopping (the rule
    still counts: "adaptive" lowers the rate): the loss of every call and the weights after
    them as MLPClassifier's partial_fit."""
    X, y = moons
    theirs = MLPClassifier(hidden_layer_sizes=(8,), random_state=2, learning_rate_init=0.05,
                           momentum=0.0, batch_size=128, **theirs_)
    mine = NetClassifier(hidden_layer_sizes=(8,), random_state=2, lr=0.05, batch_size=128,
                         **ours)
    halves = [(X[:500], y[:500]), (X[500:], y[500:])]
    for step in range(14):  # past n_iter_no_change: partial_fit never stops
        part = halves[step % 2]
        theirs.partial_fit(*part, classes=[0, 1])
        mine.partial_fit(*part, classes=[0, 1])
    assert mine.n_iter_ == len(theirs.loss_curve_) == 14
    np.testing.assert_allclose(mine.loss_curve_, theirs.loss_curve_, rtol=0, atol=1e-10)
    for layer, coef in zip([mine.model_[0], mine.model_[2]], theirs.coefs_):
        np.testing.assert_allclose(layer.weight, coef, rtol=0, atol=1e-10)
    if theirs_["solver"] == "sgd":  # (Adam's learning_rate is its bias-corrected step)
        assert mine.trainer_.optimizer.lr == pytest.approx(theirs._optimizer.learning_rate)


def test_partial_fit_needs_the_classes_first_and_keeps_them(moons):
    X, y = moons
    with pytest.raises(ValueError, match="first partial_fit needs classes="):
        NetClassifier().partial_fit(X, y)
    clf = NetClassifier(hidden_layer_sizes=(4,)).partial_fit(X[y == 0], y[y == 0],
                                                              classes=[0, 1])
    assert list(clf.classes_) == [0, 1] and clf.predict_proba(X).shape == (len(X), 2)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X[:10], np.full(10, 7))
    with pytest.raises(ValueError, match="early_stopping=True is for fit"):
        NetClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1])
    refused = NetClassifier(epochs=0)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        refused.fit(X, y)
    with pytest.raises(NotFittedError):  # a refused fit leaves nothing that predicts
        refused.predict(X)


def test_a_fit_that_uses_every_epoch_warns_as_mlpclassifier(moons):
    X, y = moons
    with pytest.warns(ConvergenceWarning):
        MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="all 20 epochs trained"):
        NetClassifier(hidden_layer_sizes=(8,), epochs=20, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # stopped by its rule: no warning
        clf = NetClassifier(hidden_layer_sizes=(8,), epochs=500, tol=1e-2,
                            random_state=0).fit(X, y)
        assert clf.stopped_ is not None
        NetClassifier(hidden_layer_sizes=(8,), random_state=0).partial_fit(X, y, [0, 1])


def test_verbose_prints_the_lines_mlpclassifier_prints(moons, capsys):
    X, y = moons
    settings = dict(hidden_layer_sizes=(8,), random_state=1, batch_size=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier(solver="sgd", momentum=0.0, alpha=0.0, learning_rate_init=0.1,
                      max_iter=5, verbose=True, **settings).fit(X, y)
        theirs = capsys.readouterr().out.splitlines()
        NetClassifier(optimizer="sgd", lr=0.1, alpha=0.0, epochs=5, verbose=True,
                      **settings).fit(X, y)
    mine = capsys.readouterr().out.splitlines()
    assert mine == [line for line in theirs if line.startswith("Iteration")] and len(mine) == 5


@pytest.mark.parametrize("optimizer, params, named", [
    ("adam", {"weight_decay": 0.1}, "weight_decay"),
    ("sgd", {"momentun": 0.9}, "momentun"),
])
def test_optimizer_params_it_does_not_take_are_named(moons, optimizer, params, named):
    X, y = moons
    with pytest.raises(ValueError, match=f"takes no {named}; it takes .*") as error:
        NetClassifier(optimizer=optimizer, optimizer_params=params, epochs=2).fit(X, y)
    assert ("momentum" if optimizer == "sgd" else "betas") in str(error.value)


def test_the_regressor_fits_a_curve_and_stops_on_held_out_loss():
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, size=(600, 1))
    y = np.sin(X[:, 0]) + 0.05 * rng.normal(size=600)
    reg = NetRegressor(hidden_layer_sizes=(32,), activation="tanh", lr=0.01, epochs=400,
                       random_state=0, early_stopping=True, tol=0.0, n_iter_no_change=10
                       ).fit(X, y)
    assert reg.score(X, y) > 0.95 and reg.predict(X).shape == (600,)
    assert reg.stopped_ is not None and "validation loss" in reg.stopped_["reason"]
    best = int(np.argmin(reg.validation_loss_curve_))  # 11 epochs without a better one
    assert reg.n_iter_ == best + 1 + 11
    both = NetRegressor(hidden_layer_sizes=(16,), epochs=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        both.fit(X, np.column_stack([y, -y]))
    assert both.predict(X).shape == (600, 2)
    step = NetRegressor(hidden_layer_sizes=(16,), random_state=0)
    for _ in range(3):
        step.partial_fit(X, y)
    assert step.n_iter_ == 3
    with pytest.raises(ValueError, match="regression loss"):
        NetRegressor(loss="bce").fit(X, y)
    with pytest.raises(ValueError, match="y has 2 output.s. per sample; the fitted network has 1"):
        step.partial_fit(X, np.column_stack([y, y]))
    step.partial_fit(X, y[:, None])  # (n, 1) is one output, as (n,)
    assert step.n_iter_ == 4

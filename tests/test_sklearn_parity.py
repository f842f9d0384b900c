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


def test_a_stack_with_schedules_and_l2_equals_mlpclassifiers(moons):
    """Three networks with their own rate, L2 strength and momentum, trained as one stack
    with invscaling, shuffled mini-batches and the stopping rule, each equal to its
    MLPClassifier to 1e-10."""
    X, y = moons
    settings = [(0.2, 1e-4, 0.9), (0.5, 1e-2, 0.5), (0.05, 1.0, 0.2)]
    trainers, references = [], []
    for lr, alpha, momentum in settings:
        clf = MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", learning_rate="invscaling",
                            power_t=0.4, learning_rate_init=lr, alpha=alpha, momentum=momentum,
                            nesterovs_momentum=False, batch_size=128, max_iter=40,
                            n_iter_no_change=3, tol=1e-3, random_state=SEED)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            references.append(clf.fit(X, y))
        rng = np.random.RandomState(SEED)  # draws the weights, then the batch orders
        model = sn.mlp([2, 16, 1], activation="relu", output="sigmoid", seed=rng)
        trainers.append(sn.Trainer(model, sn.BCE(), sn.SGD(lr, momentum=momentum),
                                   batch_size=128, shuffle="cumulative", seed=rng, alpha=alpha,
                                   schedule=sn.Schedule("invscaling", power_t=0.4),
                                   early_stopping=sn.EarlyStopping(1e-3, 3)))
    histories = sn.fit_stack(trainers, [(X, y)] * 3, [40] * 3)
    assert len({len(h) for h in histories}) > 1  # they stop at different epochs
    for clf, trainer, history in zip(references, trainers, histories):
        assert len(history) == clf.n_iter_
        assert_same_fit(clf, trainer.model, history)


#: scikit-learn's gallery study (examples/neural_networks/plot_mlp_training_curves.py): its
#: MLPClassifier parameters, SGD at 0.2 on two schedules x three momenta, and Adam at 0.01
GALLERY_STRATEGIES = {
    f"{name}{suffix}": {"solver": "sgd", "learning_rate": schedule, "learning_rate_init": 0.2,
                        "momentum": momentum, "nesterovs_momentum": nesterov}
    for name, schedule in (("constant", "constant"), ("inv_scaling", "invscaling"))
    for suffix, momentum, nesterov in (("", 0, False), ("_momentum", 0.9, False),
                                       ("_nesterov", 0.9, True))
} | {"adam": {"solver": "adam", "learning_rate_init": 0.01}}


def gallery_data():
    from sklearn import datasets

    return {"iris": datasets.load_iris(return_X_y=True),
            "digits": datasets.load_digits(return_X_y=True),
            "circles": datasets.make_circles(noise=0.2, factor=0.5, random_state=1),
            "moons": datasets.make_moons(noise=0.3, random_state=0)}


def test_the_learning_strategies_preset_is_scikit_learns_gallery_study(tmp_path, monkeypatch):
    """experiment=learning_strategies: every one of the 28 loss curves equals MLPClassifier's
    loss_curve_ to 1e-9, stopping at the same epoch; the report draws one panel per data set
    with one line per strategy."""
    import pandas as pd
    from matplotlib.colors import to_hex
    from sklearn.preprocessing import MinMaxScaler

    from sweepnet.analysis import load
    from sweepnet.analysis.plots import plot_curves
    from sweepnet.runner.app import main

    monkeypatch.chdir(tmp_path)
    assert main(["experiment=learning_strategies", "hydra.sweep.dir=s"]) == 0
    summary = pd.read_csv("s/sweep_summary.csv")
    history = pd.read_csv("s/sweep_history.csv")
    assert len(summary) == 28 and (summary["status"] == "ok").all()
    assert sorted(set(zip(summary["gallery"], summary["strategy"]))) == sorted(
        (data, strategy) for data in gallery_data() for strategy in GALLERY_STRATEGIES)
    stopped_early = 0
    for (name, (X, y)) in gallery_data().items():
        X = MinMaxScaler().fit_transform(X)
        epochs = 15 if name == "digits" else 400
        for strategy, params in GALLERY_STRATEGIES.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                reference = MLPClassifier(random_state=0, max_iter=epochs, **params).fit(X, y)
            (job,) = summary.loc[(summary["gallery"] == name)
                                 & (summary["strategy"] == strategy), "job"]
            ours = history.loc[history["job"] == job, "loss"].to_numpy()
            assert ours.size == reference.n_iter_, (name, strategy)
            np.testing.assert_allclose(ours, reference.loss_curve_, rtol=0, atol=1e-9)
            stopped_early += reference.n_iter_ < epochs
    assert stopped_early >= 10  # the stopping rule is exercised, not only the budget
    assert (tmp_path / "s" / "loss_curves.png").is_file()
    sweep = load("s")
    figure = plot_curves(sweep.history, sweep.summary, sweep.plateaus, sweep.roles,
                         tmp_path / "gallery.png")
    axes = [ax for ax in figure.axes if ax.get_title()]
    assert sorted(ax.get_title() for ax in axes) == [
        f"gallery = {name}" for name in sorted(gallery_data())]
    for ax in axes:  # a colour per strategy (an oscillating run adds its two-epoch mean)
        assert len({to_hex(line.get_color()) for line in ax.get_lines()
                    if line.get_xdata().size > 1}) == 7

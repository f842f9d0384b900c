"""Trainer behaviour: history, batching, determinism, divergence, dtypes, shape errors."""

import numpy as np
import pytest
from sklearn.datasets import make_moons

import sweepnet as sn


@pytest.fixture(scope="module")
def moons():
    return make_moons(200, noise=0.2, random_state=1)


def make_trainer(batch_size=None, seed=0, lr=0.5, dtype=np.float64, shuffle=True,
                 drop_last=False):
    model = sn.mlp([2, 8, 1], seed=0, dtype=dtype)
    return sn.Trainer(model, sn.BCE(), sn.SGD(lr), batch_size=batch_size, shuffle=shuffle,
                      seed=seed, drop_last=drop_last)


def test_history_has_one_row_per_epoch_with_validation_columns(moons):
    X, y = moons
    history = make_trainer().fit(X[:150], y[:150], 5, validation_data=(X[150:], y[150:]))
    assert list(history.columns) == ["epoch", "loss", "val_loss", "val_accuracy", "time"]
    assert history["epoch"].tolist() == [1, 2, 3, 4, 5]
    assert history.attrs["status"] == "ok"
    assert history["time"].is_monotonic_increasing
    assert history["val_accuracy"].between(0, 1).all()


def test_loss_is_taken_before_each_update(moons):
    X, y = moons
    model = sn.mlp([2, 8, 1], seed=0)
    first = sn.BCE().forward(model.forward(X), y.reshape(-1, 1).astype(float))
    history = sn.Trainer(model, sn.BCE(), sn.SGD(0.5)).fit(X, y, 1)
    assert history["loss"].iloc[0] == first


def test_last_partial_batch_is_used_not_dropped():
    X = np.arange(10.0).reshape(-1, 1)
    y = (X[:, 0] > 4).astype(float)

    class CountingSGD(sn.SGD):
        steps = 0

        def step(self, layers):
            CountingSGD.steps += 1
            super().step(layers)

    model = sn.mlp([1, 1], output="sigmoid", seed=0)
    sn.Trainer(model, sn.BCE(), CountingSGD(0.1), batch_size=4).fit(X, y, 2)
    assert CountingSGD.steps == 2 * 3  # batches of 4, 4 and 2


def test_drop_last_trains_on_the_full_batches_only(moons):
    """Unshuffled, dropping the last partial batch is training on the samples before it."""
    X, y = moons  # 200 samples in batches of 48: 4 full batches, 8 dropped
    dropped = make_trainer(batch_size=48, shuffle=False, drop_last=True)
    history = dropped.fit(X, y, 5)
    reference = make_trainer(batch_size=48, shuffle=False)
    expected = reference.fit(X[:192], y[:192], 5)
    np.testing.assert_array_equal(history["loss"], expected["loss"])  # the mean over 192
    np.testing.assert_array_equal(dropped.model[0].weight, reference.model[0].weight)
    assert dropped.batch_slices(200)[-1] == slice(144, 192)
    assert make_trainer(batch_size=48).batch_slices(200)[-1] == slice(192, 200)
    assert make_trainer(batch_size=500).batch_slices(200) == [slice(0, 200)]


def test_cumulative_shuffle_permutes_the_last_epochs_order(moons):
    """Each epoch's data is the last epoch's data permuted again, as a loader that shuffles
    its dataset in place: checked against one-epoch fits on data permuted by hand."""
    X, y = moons
    trainer = make_trainer(batch_size=32, shuffle="cumulative", seed=4)
    history = trainer.fit(X, y, 6)
    draws = np.random.default_rng(4)  # the trainer's own generator, replayed
    reference = make_trainer(batch_size=32, shuffle=False)
    Xs, ys, losses = X, y, []
    for _ in range(6):
        order = draws.permutation(len(X))
        Xs, ys = Xs[order], ys[order]
        losses.append(reference.fit(Xs, ys, 1)["loss"].iloc[-1])  # fits continue
    np.testing.assert_array_equal(history["loss"], losses)
    np.testing.assert_array_equal(X[trainer.order_], Xs)


def test_a_trainer_can_continue_the_generator_that_drew_the_weights(moons):
    X, y = moons
    rng = np.random.RandomState(7)
    model = sn.mlp([2, 8, 1], seed=rng)
    trainer = sn.Trainer(model, sn.BCE(), sn.SGD(0.5), batch_size=50, seed=rng)
    assert trainer.rng is rng
    replay = np.random.RandomState(7)
    sn.mlp([2, 8, 1], seed=replay)  # the same weight draws
    assert np.array_equal(trainer.epoch_order(200), replay.permutation(200))


@pytest.mark.parametrize("kwargs, message", [
    ({"shuffle": "sometimes"}, "shuffle must be True, False or 'cumulative'"),
    ({"drop_last": "yes"}, "drop_last must be True or False"),
])
def test_trainer_batching_arguments_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sn.Trainer(sn.mlp([2, 1]), sn.BCE(), sn.SGD(0.1), **kwargs)


def test_same_seed_gives_identical_histories_and_other_seeds_differ(moons):
    X, y = moons
    columns = ["epoch", "loss"]
    first = make_trainer(batch_size=32, seed=7).fit(X, y, 5)[columns]
    second = make_trainer(batch_size=32, seed=7).fit(X, y, 5)[columns]
    other = make_trainer(batch_size=32, seed=8).fit(X, y, 5)[columns]
    assert first.equals(second)
    assert not first.equals(other)


def test_non_finite_loss_stops_training_and_marks_it_diverged():
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1e3, (50, 2))
    y = rng.normal(0, 1e3, 50)
    trainer = sn.Trainer(sn.mlp([2, 4, 1], output=None, seed=0), sn.MSE(), sn.SGD(10.0))
    history = trainer.fit(X, y, 100)
    assert history.attrs["status"] == "diverged" == trainer.status_
    assert len(history) < 100
    assert not np.isfinite(history["loss"].iloc[-1])


def test_float32_is_kept_end_to_end(moons):
    X, y = moons
    trainer = make_trainer(batch_size=50, dtype=np.float32)
    trainer.fit(X, y, 3)
    for layer in trainer.model:
        for key, param in layer.params.items():
            assert param.dtype == np.float32, key
            assert layer.grads[key].dtype == np.float32, key
    assert trainer.model.forward(X.astype(np.float32)).dtype == np.float32


def test_adam_keeps_float32(moons):
    X, y = moons
    model = sn.mlp([2, 8, 1], seed=0, dtype=np.float32)
    sn.Trainer(model, sn.BCE(), sn.Adam(0.01), batch_size=64).fit(X, y, 2)
    assert all(p.dtype == np.float32 for _, _, p in model.parameters())


def test_wrong_input_width_names_the_layer_and_shapes_before_training(moons):
    X, y = moons
    trainer = make_trainer()
    before = trainer.model.state_dict()
    with pytest.raises(sn.ShapeError, match=r"layer 0: Linear\(2 -> 8\) expects inputs with 2 "
                                            r"features.*\(1, 3\)"):
        trainer.fit(np.hstack([X, X[:, :1]]), y, 5)
    for key, value in trainer.model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_mismatched_layers_are_rejected_at_construction():
    with pytest.raises(sn.ShapeError, match=r"layer 2 Linear\(5 -> 1\) expects 5 input "
                                            r"features, but layer 0 Linear\(2 -> 4\) outputs 4"):
        sn.Sequential([sn.Linear(2, 4), sn.ReLU(), sn.Linear(5, 1)])


@pytest.mark.parametrize("labels, message", [
    (np.zeros((200, 2)), r"targets must have shape \(n_samples, 1\) or \(n_samples,\); "
                         r"got \(200, 2\)"),
    (np.zeros(150), r"200 samples of features but labels of shape \(150,\)"),
    (np.full(200, 2.0), r"targets must lie in \[0, 1\]"),
])
def test_bad_labels_are_rejected_before_training(moons, labels, message):
    X, _ = moons
    with pytest.raises(ValueError, match=message):
        make_trainer().fit(X, labels, 1)


def test_loss_shape_mismatch_is_an_error_not_a_silent_broadcast():
    with pytest.raises(sn.ShapeError, match=r"\(4, 1\).*\(4,\)"):
        sn.BCE().forward(np.full((4, 1), 0.5), np.zeros(4))


def test_loss_and_output_layer_must_agree():
    with pytest.raises(ValueError, match="BCE takes probabilities"):
        sn.Trainer(sn.mlp([2, 3, 1], output=None), sn.BCE(), sn.SGD(0.1))
    with pytest.raises(ValueError, match="BCEWithLogits takes logits"):
        sn.Trainer(sn.mlp([2, 3, 1]), sn.BCEWithLogits(), sn.SGD(0.1))


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": 0.0}, r"lr must be in \(0.0, inf\)"),
    ({"lr": 0.1, "momentum": 1.0}, r"momentum must be in \[0.0, 1.0\)"),
])
def test_optimizer_arguments_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sn.SGD(**kwargs)


def test_multiclass_cross_entropy_with_integer_labels_learns_digits_like_sklearn():
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(X / 16.0, y, test_size=0.25,
                                                      stratify=y, random_state=0)
    model = sn.mlp([64, 32, 10], output=None, seed=0)
    history = sn.Trainer(model, sn.CrossEntropy(), sn.Adam(0.01), batch_size=64).fit(
        X_train, y_train, 10, validation_data=(X_val, y_val))
    reference = MLPClassifier((32,), learning_rate_init=0.01, batch_size=64, max_iter=10,
                              random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference.fit(X_train, y_train)
    assert history["val_accuracy"].iloc[-1] >= reference.score(X_val, y_val) - 0.02


def test_tutorial_000_multi_output_bce_with_summed_loss_fits_the_toy_data():
    # three inputs, four sigmoid outputs, per-sample SGD with the summed loss
    X = np.array([[1, 3, 5], [1, 9, 5], [1, 2, 5], [0, 9, 5], [0, 0, 5]], dtype=float)
    Y = np.array([[1, 0, 0, 0]] * 3 + [[0, 0, 0, 0]] * 2, dtype=float)
    model = sn.Sequential([sn.Linear(3, 4, init="scaled_normal", rng=42), sn.Sigmoid()])
    history = sn.Trainer(model, sn.BCE(reduction="sum"), sn.SGD(0.01), batch_size=1,
                         shuffle=False).fit(X, Y, 2000)
    assert history["loss"].iloc[-1] < 0.1 * history["loss"].iloc[0]
    assert np.array_equal(model.forward(X) > 0.5, Y > 0.5)


def test_tutorial_initializers_draw_as_the_tutorials_scripts_do():
    """One RandomState, layer by layer: the numpy tutorials' randn(out, in) (* 0.1) then
    randn(out); PyTorch/Keras-style weights with zero biases that draw nothing."""
    for name, scale in (("standard_normal", 1.0), ("scaled_normal", 0.1)):
        model = sn.mlp([3, 5, 2], init=name, seed=42)
        rng = np.random.RandomState(42)
        for layer in (model[0], model[2]):
            n_in, n_out = layer.weight.shape
            np.testing.assert_array_equal(layer.weight, (rng.randn(n_out, n_in) * scale).T)
            np.testing.assert_array_equal(layer.bias, rng.randn(n_out) * scale)
    for name, bound in (("torch_uniform_zero_bias", lambda i, o: 1 / np.sqrt(i)),
                        ("glorot_uniform_zero_bias", lambda i, o: np.sqrt(6 / (i + o)))):
        model = sn.mlp([3, 5, 2], init=name, seed=9)
        rng = np.random.RandomState(9)
        for layer in (model[0], model[2]):
            n_in, n_out = layer.weight.shape
            b = bound(n_in, n_out)
            np.testing.assert_array_equal(layer.weight, rng.uniform(-b, b, (n_in, n_out)))
            np.testing.assert_array_equal(layer.bias, np.zeros(n_out))


def test_predict_and_predict_proba_of_a_trained_model(moons):
    """Checked against the network's own outputs and against scikit-learn's softmax."""
    from scipy.special import softmax

    X, y = moons
    binary = sn.Trainer(sn.mlp([2, 8, 1], seed=0), sn.BCE(), sn.SGD(0.5))
    binary.fit(X, y, 50)
    p = binary.model.forward(X)
    np.testing.assert_array_equal(binary.predict_proba(X), p)
    np.testing.assert_array_equal(binary.predict(X), (p[:, 0] > 0.5).astype(int))
    assert (binary.predict(X) == y).mean() > 0.8
    logits = sn.Trainer(sn.mlp([2, 8, 1], output=None, seed=0), sn.BCEWithLogits(), sn.SGD(0.5))
    logits.fit(X, y, 5)
    z = logits.model.forward(X)
    np.testing.assert_allclose(logits.predict_proba(X), 1 / (1 + np.exp(-z)), rtol=1e-12)
    multi = sn.Trainer(sn.mlp([2, 8, 3], output=None, seed=0), sn.CrossEntropy(), sn.SGD(0.5))
    labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    multi.fit(X, labels, 20)
    z = multi.model.forward(X)
    np.testing.assert_allclose(multi.predict_proba(X), softmax(z, axis=1), rtol=1e-12)
    np.testing.assert_array_equal(multi.predict(X), z.argmax(axis=1))
    regression = sn.Trainer(sn.mlp([2, 4, 1], output=None, seed=0), sn.MSE(), sn.SGD(0.1))
    regression.fit(X, X[:, 0], 3)
    np.testing.assert_array_equal(regression.predict(X), regression.model.forward(X)[:, 0])
    with pytest.raises(ValueError, match="MSE is not a classification loss"):
        regression.predict_proba(X)

"""Stacked training equals one-by-one training, bit for bit.

Every test trains the same trainers twice: each alone with ``Trainer.fit``
(the reference) and all together with ``fit_stack``, then compares histories
(without the clock), final weights and statuses exactly. Exact equality holds
because a stack runs, per model, the same numpy and BLAS calls on the same
values (checked on this machine's BLAS for every shape used here); a test
that needed a tolerance would say why.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits, make_moons

import sweepnet as sn
from sweepnet.layers import mlp
from sweepnet.stacking import stack_key
from sweepnet.training import fit_stack


def moons(seed, n=200, val=True):
    X, y = make_moons(n, noise=0.25, random_state=seed)
    cut = int(0.8 * n)
    return (X[:cut], y[:cut], X[cut:], y[cut:]) if val else (X, y)


def make(lr=0.5, seed=0, optimizer="sgd", batch_size=32, dtype=np.float64, sizes=(2, 16, 1),
         activation="relu", output="sigmoid", loss=None, shuffle=True, drop_last=False,
         shared_rng=False, stopping=None, alpha=0.0, schedule="constant", power_t=0.5,
         **settings):
    # shared_rng: one RandomState draws the weights, then the batch orders
    rng = np.random.RandomState(seed) if shared_rng else seed
    model = mlp(list(sizes), activation=activation, output=output, seed=rng, dtype=dtype)
    opt = sn.SGD(lr=lr, **settings) if optimizer == "sgd" else sn.Adam(lr=lr, **settings)
    return sn.Trainer(model, loss or sn.BCE(), opt, batch_size=batch_size, shuffle=shuffle,
                      seed=rng, drop_last=drop_last,
                      early_stopping=None if stopping is None else sn.EarlyStopping(**stopping),
                      alpha=alpha, schedule=sn.Schedule(schedule, power_t))


def assert_stack_equals_alone(specs, data, epochs, **common):
    """``specs``: per-model keyword arguments of :func:`make`."""
    alone = []
    for spec, d, e in zip(specs, data, epochs):
        trainer = make(**common, **spec)
        validation = d[2:] if len(d) > 2 else None
        alone.append((trainer.fit(d[0], d[1], e, validation_data=validation), trainer))
    stacked = [make(**common, **spec) for spec in specs]
    histories = fit_stack(stacked, data, epochs)
    for m, ((expected, reference), got, trainer) in enumerate(zip(alone, histories, stacked)):
        pd.testing.assert_frame_equal(got.drop(columns="time"), expected.drop(columns="time"),
                                      check_exact=True, obj=f"model {m}'s history")
        assert trainer.status_ == reference.status_, m
        assert got.attrs["stopped"] == expected.attrs["stopped"], m
        assert trainer.history_ is got
        for key, value in reference.model.state_dict().items():
            np.testing.assert_array_equal(trainer.model.state_dict()[key], value,
                                          err_msg=f"model {m}, {key}")
    return alone


GRID = [{"lr": lr, "seed": seed} for lr in (0.1, 0.5, 2.0) for seed in (0, 1, 2)]


def test_lr_by_seed_grid_with_shuffled_minibatches_and_per_model_data():
    # every seed draws its own data, split and batch order
    assert_stack_equals_alone(GRID, [moons(s["seed"]) for s in GRID], [25] * len(GRID))


def test_shared_data_full_batch_and_unshuffled_minibatches():
    data = [moons(0)] * len(GRID)
    assert_stack_equals_alone(GRID, data, [20] * len(GRID), batch_size=None)
    assert_stack_equals_alone(GRID, data, [20] * len(GRID), batch_size=50, shuffle=False)


@pytest.mark.parametrize("shuffle", [True, "cumulative", False])
def test_drop_last_and_batch_orders_from_the_weights_generator(shuffle):
    # 160 training samples in batches of 48: the last 16 are dropped every epoch
    assert_stack_equals_alone(GRID, [moons(s["seed"]) for s in GRID], [15] * len(GRID),
                              batch_size=48, drop_last=True, shuffle=shuffle, shared_rng=True)


@pytest.mark.parametrize("settings", [{"momentum": 0.9}, {"momentum": 0.9, "nesterov": True},
                                      {"alpha": 1e-1},
                                      {"momentum": 0.5, "alpha": 1.0}])
def test_momentum_nesterov_and_l2_penalty_per_model(settings):
    specs = [{**s, **{k: v * (1 - 0.08 * i) if not isinstance(v, bool) else v
                      for k, v in settings.items()}} for i, s in enumerate(GRID)]
    assert_stack_equals_alone(specs, [moons(s["seed"]) for s in specs], [15] * len(specs))


@pytest.mark.parametrize("variant", ["pytorch", "sklearn"])
def test_adam_with_per_model_betas_and_eps(variant):
    specs = [{"lr": lr, "seed": seed, "betas": (b1, 0.999), "eps": eps, "alpha": alpha}
             for lr, seed, b1, eps, alpha in [(0.01, 0, 0.9, 1e-8, 0.2), (0.05, 1, 0.8, 1e-7, 0.1),
                                              (0.001, 2, 0.95, 1e-8, 1.0),
                                              (0.1, 0, 0.9, 1e-6, 0.01)]]
    assert_stack_equals_alone(specs, [moons(s["seed"]) for s in specs], [20] * len(specs),
                              optimizer="adam", variant=variant)


def test_learning_rate_schedules_per_model():
    invscaling = [{**s, "power_t": 0.25 if i % 2 else 0.5} for i, s in enumerate(GRID)]
    for power_t in (0.25, 0.5):  # power_t is part of the stack key: one stack each
        specs = [s for s in invscaling if s["power_t"] == power_t]
        assert_stack_equals_alone(specs, [moons(s["seed"]) for s in specs], [25] * len(specs),
                                  schedule="invscaling", momentum=0.9)
    # adaptive: the rate falls by 5 each time the stopping rule fires, model by model
    alone = assert_stack_equals_alone(GRID, [moons(s["seed"]) for s in GRID], [120] * len(GRID),
                                      schedule="adaptive",
                                      stopping={"tol": 1e-2, "n_iter_no_change": 3})
    lowered = [sorted(set(h["lr"].round(12))) for h, _ in alone]
    assert any(len(rates) > 2 for rates in lowered)  # several drops somewhere
    for rates, spec in zip(lowered, GRID):
        assert all(np.isclose(r * 5 ** k, spec["lr"]) for k, r in enumerate(rates[::-1]))


def test_per_model_epoch_budgets_leave_the_stack():
    # experiment=lr_sweep's rule: a small learning rate trains longer
    epochs = [round(20 / s["lr"]) for s in GRID]  # 200, 40, 10 epochs
    assert_stack_equals_alone(GRID, [moons(s["seed"]) for s in GRID], epochs)


def test_a_diverging_member_is_frozen_and_the_others_go_on_untouched():
    specs = [{"lr": lr, "seed": s} for lr in (0.01, 0.2, 4.0) for s in (0, 1)]
    alone = assert_stack_equals_alone(specs, [moons(s["seed"], val=False) for s in specs],
                                      [40] * len(specs), output=None, loss=sn.MSE(),
                                      momentum=0.5, batch_size=16)
    statuses = [trainer.status_ for _, trainer in alone]
    assert statuses.count("diverged") == 2 and statuses.count("ok") == 4  # both cases met


def test_float32_models():
    assert_stack_equals_alone(GRID, [moons(s["seed"]) for s in GRID], [15] * len(GRID),
                              dtype=np.float32)
    assert_stack_equals_alone(GRID[:4], [moons(s["seed"]) for s in GRID[:4]], [15] * 4,
                              dtype=np.float32, optimizer="adam")


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "leaky_relu"])
def test_other_activations_and_depth(activation):
    specs = GRID[::2]
    assert_stack_equals_alone(specs, [moons(s["seed"]) for s in specs], [10] * len(specs),
                              sizes=(2, 8, 6, 1), activation=activation)


def test_cross_entropy_on_ten_classes_and_summed_losses():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    data = [(X[:1000], y[:1000], X[1000:], y[1000:])] * 3
    specs = [{"lr": lr} for lr in (0.05, 0.2, 0.5)]
    assert_stack_equals_alone(specs, data, [5] * 3, sizes=(64, 16, 10), output=None,
                              loss=sn.CrossEntropy(), batch_size=64)
    assert_stack_equals_alone(specs, [moons(0)] * 3, [5] * 3,
                              loss=sn.BCE(reduction="sum"))


def test_interrupt_keeps_each_models_weights_and_finished_epochs():
    trainers = [make(**spec) for spec in GRID[:3]]

    def stop(models, rows):
        if rows[0]["epoch"] == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit_stack(trainers, [moons(s["seed"]) for s in GRID[:3]], [10] * 3, on_epoch_end=stop)
    for spec, trainer in zip(GRID[:3], trainers):
        assert trainer.history_["epoch"].tolist() == [1, 2, 3, 4]
        reference = make(**spec)
        reference.fit(*moons(spec["seed"])[:2], 4)
        np.testing.assert_array_equal(trainer.model.layers[0].weight,
                                      reference.model.layers[0].weight)


def test_what_cannot_share_a_stack_is_refused():
    base = stack_key(make())
    assert base is not None and stack_key(make(lr=2, seed=5)) == base
    for other in (make(sizes=(2, 8, 1)), make(activation="tanh"), make(optimizer="adam"),
                  make(momentum=0.9), make(batch_size=16), make(shuffle=False),
                  make(shuffle="cumulative"), make(drop_last=True),
                  make(dtype=np.float32), make(loss=sn.BCE(reduction="sum"))):
        assert stack_key(other) != base
    leaky = [make(activation=lambda a=a: sn.layers.LeakyReLU(a)) for a in (0.01, 0.2)]
    assert stack_key(leaky[0]) != stack_key(leaky[1])  # a layer's settings count

    class Scale(sn.layers.Layer):  # not elementwise-safe as far as the engine knows
        def forward(self, x):
            return 2 * x

        def backward(self, grad_out):
            return 2 * grad_out

    odd = sn.Trainer(sn.layers.Sequential([sn.layers.Linear(2, 1), Scale(),
                                           sn.layers.Sigmoid()]), sn.BCE(), sn.SGD())
    assert stack_key(odd) is None
    with pytest.raises(ValueError, match="cannot share a stack"):
        fit_stack([make(), make(optimizer="adam")], [moons(0)] * 2, [2, 2])
    with pytest.raises(ValueError, match="same shape"):
        fit_stack([make(), make()], [moons(0), moons(0, n=100)], [2, 2])


@pytest.mark.parametrize("stopping", [{"tol": 1e-3, "n_iter_no_change": 3},
                                      {"tol": 0.0, "n_iter_no_change": 4,
                                       "monitor": "val_accuracy"}],
                         ids=["training loss", "validation accuracy"])
def test_early_stopping_stops_each_member_where_it_stops_alone(stopping):
    specs = [{"lr": lr, "seed": seed, "stopping": stopping} for lr in (0.2, 1.0, 3.0)
             for seed in (0, 1)]
    alone = assert_stack_equals_alone(specs, [moons(s["seed"]) for s in specs], [120] * 6,
                                      batch_size=64)
    stops = [history.attrs["stopped"] for history, _ in alone]
    assert sum(stop is not None for stop in stops) >= 3  # most members stop, at their epochs
    assert len({stop["epoch"] for stop in stops if stop}) > 1


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_stack_continues_fits_of_different_lengths_as_each_continues_alone(optimizer):
    """Continued fits (resume, warm start): trained 3, 5 and 8 epochs first, then 10 more
    together; Adam's step counts differ per member."""
    specs = [{"lr": 0.05 if optimizer == "adam" else 0.5, "seed": seed,
              "optimizer": optimizer, "momentum": 0.9} if optimizer == "sgd" else
             {"lr": 0.05, "seed": seed, "optimizer": optimizer} for seed in (0, 1, 2)]
    before = [3, 5, 8]
    data = [moons(s["seed"]) for s in specs]
    whole = []
    for spec, d, k in zip(specs, data, before):
        trainer = make(**spec)
        trainer.fit(d[0], d[1], k + 10, validation_data=d[2:])
        whole.append(trainer)
    continued = []
    for spec, d, k in zip(specs, data, before):
        trainer = make(**spec)
        trainer.fit(d[0], d[1], k, validation_data=d[2:])
        continued.append(trainer)
    histories = fit_stack(continued, data, [10] * 3)
    for reference, trainer, history, k in zip(whole, continued, histories, before):
        assert history["epoch"].tolist() == list(range(1, k + 11))
        pd.testing.assert_frame_equal(history.drop(columns="time"),
                                      reference.history_.drop(columns="time"), check_exact=True)
        for key, value in reference.model.state_dict().items():
            np.testing.assert_array_equal(trainer.model.state_dict()[key], value)
        assert trainer.optimizer.state.keys() == reference.optimizer.state.keys()


def test_a_member_stopped_by_the_epoch_callback_leaves_and_the_others_go_on():
    specs = GRID[:4]
    data = [moons(s["seed"]) for s in specs]

    def prune(models, rows):
        if rows[0]["epoch"] == 5:
            return {1: "pruned at rung 5"}
        return None

    trainers = [make(**spec) for spec in specs]
    histories = fit_stack(trainers, data, [12] * 4, on_epoch_end=prune)
    assert len(histories[1]) == 5
    assert histories[1].attrs["stopped"] == {"epoch": 5, "reason": "pruned at rung 5"}
    for m in (0, 2, 3):
        reference = make(**specs[m])
        expected = reference.fit(data[m][0], data[m][1], 12, validation_data=data[m][2:])
        pd.testing.assert_frame_equal(histories[m].drop(columns="time"),
                                      expected.drop(columns="time"), check_exact=True)
    reference = make(**specs[1])
    reference.fit(data[1][0], data[1][1], 5, validation_data=data[1][2:])
    for key, value in reference.model.state_dict().items():
        np.testing.assert_array_equal(trainers[1].model.state_dict()[key], value)

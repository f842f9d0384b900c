"""Train a stack of networks of one architecture as one numpy pass.

A sweep trains many small networks that differ only in hyperparameters and
seeds. :func:`fit_stack` trains them together: their parameters carry a
leading model axis (``Linear.weight`` ``(M, in, out)``), each numpy call
computes all models at once, and every model gets exactly the numbers it gets
when its :class:`~sweepnet.training.Trainer` fits it alone: the same initial
weights, data, batch order (its trainer's own generator), per-model
hyperparameters, losses reduced per model and never across models.

A model leaves the stack when it has trained its own number of epochs, or at
the end of the epoch in which its loss became non-finite (it is ``diverged``;
from that batch on its parameters are frozen by putting the old values back,
never by multiplying with a mask, since ``0 * nan`` is ``nan``). Its final
weights are written back into its own model, and its trainer gets
``history_`` and ``status_`` as after ``Trainer.fit``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence

import numpy as np

from .layers.activations import Softmax
from .layers.base import Activation
from .layers.linear import Linear
from .layers.sequential import Sequential
from .losses import BCE, MSE, BCEWithLogits, CrossEntropy
from .optimizers import SGD, Adam
from .training import DIVERGED, OK, Trainer

#: losses and optimizers whose maths is written for a model axis
STACKABLE_LOSSES = (BCE, BCEWithLogits, CrossEntropy, MSE)
STACKABLE_OPTIMIZERS = (SGD, Adam)


def _settings(obj) -> tuple:
    """An object's constructor settings (not its arrays or caches), comparable."""
    return tuple(sorted((k, repr(v)) for k, v in vars(obj).items()
                        if k not in ("params", "grads", "state")
                        and not isinstance(v, np.ndarray)))


def stack_key(trainer: Trainer) -> tuple | None:
    """What trainers must share to train as one stack, or ``None`` if it cannot stack.

    Equal keys mean the same architecture (layer types, settings, shapes,
    dtype), the same loss, the same optimizer code path (its ``stack_key``),
    batch size, shuffling and ``drop_last``. Stackable layers are ``Linear`` and parameter-free
    elementwise activations (``Activation`` subclasses, plugins included) and
    ``Softmax``; built-in losses and optimizers only.
    """
    layers = []
    for layer in trainer.model.layers:
        if type(layer) is Linear:
            layers.append((Linear, tuple((n, a.shape, a.dtype.str)
                                         for n, a in layer.params.items())))
        elif isinstance(layer, (Activation, Softmax)) and not layer.params:
            layers.append((type(layer), _settings(layer)))
        else:
            return None
    loss, optimizer = trainer.loss, trainer.optimizer
    if type(loss) not in STACKABLE_LOSSES or type(optimizer) not in STACKABLE_OPTIMIZERS:
        return None
    if getattr(trainer, "early_stopping", None) is not None:  # trains alone, for now
        return None
    return (tuple(layers), type(loss), _settings(loss), optimizer.stack_key(),
            trainer.batch_size, trainer.shuffle, trainer.drop_last)


def _stack_models(models: Sequence[Sequential]) -> Sequential:
    """One network whose parameters hold ``models``' parameters along a new first axis."""
    layers = []
    for group in zip(*(m.layers for m in models)):
        layer = copy.copy(group[0])
        layer.params = {name: np.stack([each.params[name] for each in group])
                        for name in group[0].params}
        layer.grads = {}
        layers.append(layer)
    return Sequential(layers)


def _same_data(arrays: list[np.ndarray]) -> bool:
    first = arrays[0]
    return all(a is first or np.array_equal(a, first) for a in arrays[1:])


class _Data:
    """A stack's data: features shared ``(n, d)`` or per model ``(M, n, d)``; targets
    always per model ``(M, n, k)``."""

    def __init__(self, pairs: list[tuple[np.ndarray, np.ndarray]]) -> None:
        xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
        if len({(x.shape, y.shape) for x, y in pairs}) != 1:
            raise ValueError("every model of a stack needs data of the same shape, got "
                             f"{sorted({(x.shape, y.shape) for x, y in pairs})}")
        self.shared = _same_data(xs)
        self.X = xs[0] if self.shared else np.stack(xs)
        self.Y = np.stack(ys)
        self.n = xs[0].shape[0]

    def keep(self, models: np.ndarray) -> None:
        if not self.shared:
            self.X = self.X[models]
        self.Y = self.Y[models]

    def batches(self, slices: list[slice], orders: np.ndarray | None):
        """The epoch's mini-batches, each model's rows in its own order."""
        X, Y, n = self.X, self.Y, self.n
        if orders is not None:  # each model's rows in its order: one flat take (~10x faster
            m = len(Y)          # than X[rows, orders])
            flat = (orders + np.arange(m)[:, None] * n).ravel()
            X = np.take(X, orders.ravel(), axis=0) if self.shared else \
                np.take(X.reshape(m * n, -1), flat, axis=0)
            X = X.reshape(m, n, -1)
            Y = np.take(Y.reshape(m * n, -1), flat, axis=0).reshape(m, n, -1)
        if X.ndim == 2:
            return [(X[s], Y[:, s]) for s in slices]
        return [(X[:, s], Y[:, s]) for s in slices]


def _fit_alone(trainer: Trainer, data: tuple, epochs: int, on_epoch_end):
    """A trainer that cannot stack (a plugin's layer, early stopping), by ``Trainer.fit``."""
    validation = tuple(data[2:4]) if len(data) > 2 and data[2] is not None else None
    report = None if on_epoch_end is None else (lambda row: on_epoch_end([0], [row]))
    return trainer.fit(data[0], data[1], int(epochs), validation_data=validation,
                       on_epoch_end=report)


def fit_stack(trainers: Sequence[Trainer], data: Sequence[tuple], epochs: Sequence[int],
              on_epoch_end: Callable[[list[int], list[dict]], None] | None = None) -> list:
    """Train every trainer's model, all at once, as each would be trained alone.

    Parameters
    ----------
    trainers : sequence of Trainer
        Fresh trainers (untrained optimizers) with equal :func:`stack_key`; a
        single trainer that cannot stack is trained by its own ``fit``.
    data : sequence of (X, y) or (X, y, X_val, y_val)
        Each model's training (and validation) data, as for ``Trainer.fit``;
        validation data for all models or for none. Models with identical
        features share one array.
    epochs : sequence of int
        Each model's number of epochs.
    on_epoch_end : callable, optional
        Called after every epoch with the indices of the models still in the
        stack and their rows (the dicts ``Trainer.fit`` records).

    Returns
    -------
    list of pandas.DataFrame
        Each model's history, equal to what ``trainers[m].fit`` returns
        (``time`` is the stack's clock). On ``KeyboardInterrupt`` every
        model keeps its weights and the epochs it finished (``history_``),
        then the interrupt is raised again.
    """
    import pandas as pd

    trainers = list(trainers)
    if not trainers or len(data) != len(trainers) or len(epochs) != len(trainers):
        raise ValueError("fit_stack needs one data tuple and one epoch count per trainer")
    if len(trainers) == 1 and stack_key(trainers[0]) is None:  # alone: its own fit
        return [_fit_alone(trainers[0], data[0], epochs[0], on_epoch_end)]
    keys = {stack_key(t) for t in trainers}
    if None in keys or len(keys) != 1:
        raise ValueError("these trainers cannot share a stack: they differ in architecture, "
                         "loss, optimizer code path, batch size or shuffling (see stack_key)")
    budgets = np.array([int(e) for e in epochs])
    if np.any(budgets < 1):
        raise ValueError(f"epochs must be positive integers, got {list(epochs)}")
    with_validation = {len(d) > 2 and d[2] is not None for d in data}
    if len(with_validation) != 1:
        raise ValueError("give validation data for every model or for none")
    train = _Data([t.prepare(d[0], d[1], "training data") for t, d in zip(trainers, data)])
    validate = with_validation.pop()
    val = _Data([t.prepare(d[2], d[3], "validation data") for t, d in zip(trainers, data)]
                ) if validate else None

    first = trainers[0]
    model = _stack_models([t.model for t in trainers])
    optimizer = type(first.optimizer).stack([t.optimizer for t in trainers])
    loss = copy.copy(first.loss)
    fused = loss.fuses_with(model.layers[-1])
    weight_by_size = loss.reduction == "mean"
    slices = first.batch_slices(train.n)
    seen = sum(s.stop - s.start for s in slices)
    active = np.arange(len(trainers))  # the trainers whose models are in the stack
    rows: list[list[dict]] = [[] for _ in trainers]
    statuses = [OK] * len(trainers)
    start = time.perf_counter()

    def leave(models: np.ndarray) -> None:
        """Write the weights of the stacked ``models`` (a mask) back into their own models."""
        for layer, stacked in zip(model.layers, zip(*(trainers[i].model.layers
                                                       for i in active[models]))):
            for name, array in layer.params.items():
                for j, own in zip(np.flatnonzero(models), stacked):
                    own.params[name][...] = array[j]

    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            epoch = 0
            while active.size:
                epoch += 1
                orders = [trainers[i].epoch_order(train.n) for i in active]
                orders = None if orders[0] is None else np.stack(orders)
                totals = np.zeros(active.size)
                broken = np.zeros(active.size, dtype=bool)
                for xb, yb in train.batches(slices, orders):
                    losses = loss.forward(model.forward(xb), yb)
                    added = totals + (losses * xb.shape[-2] if weight_by_size else losses)
                    totals = np.where(broken, totals, added)
                    frozen = broken | ~np.isfinite(losses)
                    if frozen.all():
                        break
                    if fused:
                        model.backward(loss.backward_fused(), skip_last=True)
                    else:
                        model.backward(loss.backward())
                    if frozen.any():  # no update for a broken model: its old values go back
                        kept = [(p, p[frozen]) for layer in model.layers
                                for p in layer.params.values()]
                        optimizer.step(model.layers)
                        for p, old in kept:
                            p[frozen] = old
                    else:
                        optimizer.step(model.layers)
                    broken = frozen
                epoch_loss = totals / seen if weight_by_size else totals
                new_rows = [{"epoch": epoch, "loss": float(value)} for value in epoch_loss]
                if val is not None:
                    out = model.forward(val.X)
                    val_loss = loss.forward(out, val.Y)
                    accuracy = loss.accuracy(out, val.Y)
                    for j, row in enumerate(new_rows):
                        row["val_loss"] = float(val_loss[j])
                        if accuracy is not None:
                            row["val_accuracy"] = float(accuracy[j])
                now = time.perf_counter() - start
                for i, row in zip(active, new_rows):
                    row["time"] = now
                    rows[i].append(row)
                if on_epoch_end is not None:
                    on_epoch_end(active.tolist(), new_rows)
                diverged = ~np.isfinite(epoch_loss)
                done = diverged | (budgets[active] <= epoch)
                if done.any():
                    for i in active[diverged]:
                        statuses[i] = DIVERGED
                    leave(done)
                    keep = ~done
                    for layer in model.layers:
                        layer.params = {n: a[keep] for n, a in layer.params.items()}
                    optimizer.keep(keep)
                    train.keep(keep)
                    if val is not None:
                        val.keep(keep)
                    active = active[keep]
    except KeyboardInterrupt:
        if active.size:
            leave(np.ones(active.size, dtype=bool))
        raise
    finally:
        histories = []
        for trainer, own, status in zip(trainers, rows, statuses):
            history = pd.DataFrame(own)
            history.attrs["status"] = status
            trainer.status_, trainer.history_ = status, history
            histories.append(history)
    return histories


__all__ = ["fit_stack", "stack_key"]

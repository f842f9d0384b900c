"""Stacks: the models of several trainers as one, on an explicit model axis.

A sweep trains many small networks that differ only in hyperparameters and
seeds. A :class:`Stack` holds ``M`` of them: their parameters carry a leading
model axis (``Linear.weight`` ``(M, in, out)``, every stacked component knows
``models = M``), each numpy call computes all models at once, and every model
gets exactly the numbers it gets alone: the same initial weights, data, batch
order (its trainer's own generator), per-model hyperparameters and optimizer
state, losses reduced per model and never across models. A stack of one is
the trainer's own model, loss and optimizer, untouched: ``Trainer.fit`` and
:func:`~sweepnet.training.fit_stack` run the same loop
(:func:`sweepnet.training.train`) on either.

A model leaves the stack (:meth:`Stack.leave`) when it has trained its
epochs, was stopped, or its loss became non-finite: its weights and optimizer
state are written back into its own trainer. A model whose batch loss is not
finite is frozen for the rest of the epoch by putting its old values back
after the step (a select, never a multiplied mask, since ``0 * nan`` is
``nan``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import numpy as np

from .layers.linear import Linear
from .layers.sequential import Sequential
from .regularization import add_l2_gradient, l2_penalty


def _settings(obj) -> tuple:
    """An object's constructor settings (not its arrays or caches), comparable."""
    return tuple(sorted((k, repr(v)) for k, v in vars(obj).items()
                        if k not in ("params", "grads", "state", "models")
                        and not isinstance(v, np.ndarray)))


def stack_key(trainer) -> tuple | None:
    """What trainers must share to train as one stack, or ``None`` if it cannot stack.

    Equal keys mean the same architecture (layer types, settings, shapes,
    dtype), the same loss, the same optimizer code path (its ``stack_key``),
    batch size, shuffling, ``drop_last``, an L2 penalty or none, and the learning-rate
    schedule. Every component must declare
    ``stackable = True`` (``Linear``, parameter-free elementwise activations
    and ``Softmax``, the built-in losses and optimizers; plugins that say so);
    a layer with parameters stacks only if it is ``Linear``.
    """
    layers = []
    for layer in trainer.model.layers:
        if type(layer) is Linear:
            layers.append((Linear, tuple((n, a.shape, a.dtype.str)
                                         for n, a in layer.params.items())))
        elif getattr(layer, "stackable", False) and not layer.params:
            layers.append((type(layer), _settings(layer)))
        else:
            return None
    loss, optimizer = trainer.loss, trainer.optimizer
    if not (getattr(loss, "stackable", False) and getattr(optimizer, "stackable", False)):
        return None
    return (tuple(layers), type(loss), _settings(loss), optimizer.stack_key(),
            trainer.batch_size, trainer.shuffle, trainer.drop_last, trainer.alpha > 0,
            trainer.schedule.key())


def _same_data(arrays: list[np.ndarray]) -> bool:
    first = arrays[0]
    return all(a is first or np.array_equal(a, first) for a in arrays[1:])


class Data:
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


class Stack:
    """``M >= 1`` trainers trained as one (see the module docstring).

    ``data`` holds per trainer ``(X, y)`` or ``(X, y, X_val, y_val)``;
    validation data for all or for none. Raises ``ValueError`` when trainers
    cannot share a stack or their data differ in shape.
    """

    def __init__(self, trainers: Sequence, data: Sequence[tuple]) -> None:
        self.trainers = list(trainers)
        if not self.trainers or len(data) != len(self.trainers):
            raise ValueError("a stack needs one data tuple per trainer")
        with_validation = {len(d) > 2 and d[2] is not None for d in data}
        if len(with_validation) != 1:
            raise ValueError("give validation data for every model or for none")
        self.validating = with_validation.pop()
        train = [t.prepare(d[0], d[1], "training data") for t, d in zip(self.trainers, data)]
        val = [t.prepare(d[2], d[3], "validation data", training=False)
               for t, d in zip(self.trainers, data)] if self.validating else None
        first = self.trainers[0]
        self.alone = len(self.trainers) == 1
        self.slices = first.batch_slices(train[0][0].shape[0])
        self.active = np.arange(len(self.trainers))  # the trainers still in the stack
        if self.alone:  # its own components: no model axis, numpy's 2-D paths
            self.model, self.loss, self.optimizer = first.model, first.loss, first.optimizer
            self.train, self.val = train[0], None if val is None else val[0]
            self.alpha = first.alpha
            return
        keys = {stack_key(t) for t in self.trainers}
        if None in keys or len(keys) != 1:
            raise ValueError("these trainers cannot share a stack: they differ in architecture, "
                             "loss, optimizer code path, batch size or shuffling (see "
                             "stack_key), or a component is not stackable")
        size = len(self.trainers)
        self.model = Sequential([
            layer.for_stack(list(group)) if layer.params else copy.copy(layer)
            for layer, group in zip(first.model.layers,
                                    zip(*(t.model.layers for t in self.trainers)))])
        self.loss = first.loss.for_stack(size)
        self.optimizer = type(first.optimizer).stack([t.optimizer for t in self.trainers])
        self.train, self.val = Data(train), None if val is None else Data(val)
        self.alpha = np.array([t.alpha for t in self.trainers])

    @property
    def n_samples(self) -> int:
        return self.train[0].shape[0] if self.alone else self.train.n

    def batches(self):
        """This epoch's mini-batches ``(x, y)``, drawing each active trainer's batch order."""
        if self.alone:
            return self.trainers[0]._batches(*self.train)
        orders = [self.trainers[i].epoch_order(self.train.n) for i in self.active]
        return self.train.batches(self.slices, None if orders[0] is None else np.stack(orders))

    def epoch(self, weight_by_size: bool) -> list[float]:
        """One epoch of every active model: for each mini-batch, the losses before the
        update, then backpropagation and the step. Returns each model's summed batch
        losses (weighted by batch size with ``weight_by_size``).

        A model whose batch loss is not finite takes no further step this epoch.
        """
        penalized = bool(np.any(self.alpha))
        models = None if self.alone else self.active.size
        if self.alone:  # one model: Python floats, no bookkeeping arrays (the hot path)
            total = 0.0
            for xb, yb in self.batches():
                batch_loss = self.loss.forward(self.model.forward(xb), yb)
                if penalized:
                    batch_loss += l2_penalty(self.model.layers, self.alpha, xb.shape[-2], None)
                total += batch_loss * xb.shape[-2] if weight_by_size else batch_loss
                if not math.isfinite(batch_loss):
                    break
                self._backward()
                if penalized:
                    add_l2_gradient(self.model.layers, self.alpha, xb.shape[-2], None)
                self.optimizer.step(self.model.layers)
            return [total]
        totals = np.zeros(self.active.size)
        broken = np.zeros(self.active.size, dtype=bool)
        for xb, yb in self.batches():
            losses = self.loss.forward(self.model.forward(xb), yb)
            if penalized:
                losses = losses + l2_penalty(self.model.layers, self.alpha, xb.shape[-2], models)
            added = totals + (losses * xb.shape[-2] if weight_by_size else losses)
            totals = np.where(broken, totals, added)
            frozen = broken | ~np.isfinite(losses)
            if frozen.all():
                break
            self._backward()
            if penalized:
                add_l2_gradient(self.model.layers, self.alpha, xb.shape[-2], models)
            self._step(frozen)
            broken = frozen
        return totals.tolist()

    def _backward(self) -> None:
        model, loss = self.model, self.loss
        if loss.fuses_with(model.layers[-1]):
            model.backward(loss.backward_fused(), skip_last=True)
        else:
            model.backward(loss.backward())

    def _step(self, frozen: np.ndarray) -> None:
        """Update every model but the ``frozen`` ones (their old values are put back)."""
        if not frozen.any():
            self.optimizer.step(self.model.layers)
            return
        kept = [(p, p[frozen]) for layer in self.model.layers for p in layer.params.values()]
        self.optimizer.step(self.model.layers)
        for p, old in kept:  # no update for a broken model: its old values go back
            p[frozen] = old

    def validate(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Each active model's validation loss and accuracy (``None`` for a regression)."""
        X, Y = self.val if self.alone else (self.val.X, self.val.Y)
        out = self.model.forward(X)
        accuracy = self.loss.accuracy(out, Y)
        return (np.atleast_1d(self.loss.forward(out, Y)),
                None if accuracy is None else np.atleast_1d(accuracy))

    def lr_of(self, j: int) -> float:
        """The learning rate of the ``j``-th active model."""
        lr = self.optimizer.lr
        return float(lr) if self.alone else float(lr[j])

    def set_lr(self, j: int, lr: float) -> None:
        """Change the ``j``-th active model's learning rate (a schedule's step)."""
        if self.alone:
            self.optimizer.lr = lr
        else:
            self.optimizer.lr[j] = lr

    def params_of(self, j: int) -> list[dict[str, np.ndarray]]:
        """Copies of the parameters of the ``j``-th active model, layer by layer."""
        if self.alone:
            return [{k: v.copy() for k, v in layer.params.items()} for layer in self.model]
        return [{k: v[j].copy() for k, v in layer.params.items()} for layer in self.model]

    def states_of(self, models: list[int]) -> list[dict[str, np.ndarray]]:
        """Copies of the weights of the active models ``models``, keyed as
        :meth:`~sweepnet.layers.Sequential.state_dict` keys them (one copy per parameter
        for all of them)."""
        if self.alone:
            return [{f"{i}.{name}": array.copy() for i, layer in enumerate(self.model)
                     for name, array in layer.params.items()}]
        block = {f"{i}.{name}": array[models] for i, layer in enumerate(self.model)
                 for name, array in layer.params.items()}
        return [{key: array[m] for key, array in block.items()} for m in range(len(models))]

    def set_params_of(self, j: int, params: list[dict[str, np.ndarray]]) -> None:
        """Put :meth:`params_of`'s copies back into the ``j``-th active model."""
        for layer, saved in zip(self.model, params):
            for name, value in saved.items():
                (layer.params[name] if self.alone else layer.params[name][j])[...] = value

    def leave(self, done: np.ndarray) -> None:
        """The active models marked ``done`` leave: weights and optimizer state go back
        into their own trainers, and the stack keeps the others."""
        if self.alone:
            self.active = self.active[~done]
            return
        for j in np.flatnonzero(done):
            trainer = self.trainers[self.active[j]]
            for layer, own in zip(self.model.layers, trainer.model.layers):
                for name, array in layer.params.items():
                    own.params[name][...] = array[j]
            trainer.optimizer.state = self.optimizer.state_of(j)
            trainer.optimizer.lr = float(self.optimizer.lr[j])  # a schedule may have moved it
        keep = ~done
        self.alpha = self.alpha[keep]
        for layer in self.model.layers:
            layer.params = {n: a[keep] for n, a in layer.params.items()}
        self.optimizer.keep(keep)
        self.train.keep(keep)
        if self.val is not None:
            self.val.keep(keep)
        self.active = self.active[keep]


__all__ = ["Stack", "stack_key"]

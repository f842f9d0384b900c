"""Optimizers: ``SGD`` (scikit-learn's update rule) and ``Adam`` (PyTorch's).

An optimizer is created without a model; :meth:`Optimizer.step` takes the
layers and reads each ``layer.params[name]`` and ``layer.grads[name]`` at step
time, updating the parameter arrays in place. State (velocities, moments) is
keyed by ``(layer position, parameter name)``.

A stack of ``M`` models (:mod:`sweepnet.stacking`) trains with one optimizer
made by :meth:`Optimizer.stack` (``models = M``): each hyperparameter holds
one value per model (shape ``(M,)``), broadcast over that model's parameters,
and the state carries the leading model axis. Every formula below is the same
for one model and for a stack, so each model gets exactly its own update; an
optimizer declares that its update is written this way with ``stackable =
True`` (``sweepnet.testing.check_stacking`` checks the numbers).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .layers.base import Layer


def _check_range(name: str, value: float, low: float, high: float, *, low_open: bool) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    ok = (low < value if low_open else low <= value) and value < high
    if not (math.isfinite(value) and ok):
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be in {bracket}{low}, {high}), got {value}")
    return value


class Optimizer:
    """Base class: subclasses implement ``update(key, param, grad, name)``.

    ``per_model`` names the hyperparameters a stack may vary model by model;
    :meth:`stack_key` says which optimizers can share a stack.
    """

    per_model: tuple[str, ...] = ("lr",)
    stackable = False
    #: ``None`` for one model; the number of models of a stack (:meth:`stack`)
    models: int | None = None

    def __init__(self, lr: float) -> None:
        self.lr = _check_range("lr", lr, 0.0, math.inf, low_open=True)
        self.state: dict[tuple[int, str], dict[str, Any]] = {}

    def step(self, layers: Sequence[Layer]) -> None:
        """Update every parameter of ``layers`` in place from its gradient."""
        for i, layer in enumerate(layers):
            grads = layer.grads
            for name, param in layer.params.items():
                self.update((i, name), param, grads[name], name)

    def update(self, key: tuple[int, str], param: np.ndarray, grad: np.ndarray,
               name: str) -> None:
        raise NotImplementedError

    def _of(self, value, param: np.ndarray):
        """A hyperparameter as it applies to ``param``: as it is for one model; for a
        stack, its ``(M,)`` values as ``(M, 1, ...)`` in the parameter's dtype (as a
        Python float is converted when it meets an array of that dtype)."""
        if self.models is None:
            return value
        return value.astype(param.dtype, copy=False).reshape((-1,) + (1,) * (param.ndim - 1))

    def _each(self, function: Callable[..., float], *values):
        """``function`` of scalars; for a stack, model by model (values of shape ``(M,)``).

        Scalar maths (``lr / (1 - beta1**t)``) stays Python float maths for every
        model, so a stacked model's factors equal the ones it gets alone.
        """
        if self.models is None:
            return function(*values)
        columns = [v.tolist() if isinstance(v, np.ndarray) else [v] * self.models
                   for v in values]
        return np.array([function(*row) for row in zip(*columns)])

    def _on(self, value) -> bool:
        """Whether a hyperparameter is switched on (for any model of a stack)."""
        return bool(np.any(value)) if self.models is not None else bool(value)

    def reset(self) -> None:
        """Forget the state (velocities, moments, step count)."""
        self.state.clear()

    @property
    def effective_lr(self) -> float:
        """The gradient-flow time one update stands for: ``lr`` (see :class:`SGD`).

        ``k`` updates at ``effective_lr`` travel about as far as gradient flow
        ``dθ/dt = -∇L`` for ``t = k * effective_lr``; the curve analysis puts
        every run on that axis. For Adam, whose steps are normalised, it is
        ``lr`` too, which compares Adam runs with each other only.
        """
        return self.lr

    def stack_key(self) -> tuple:
        """Optimizers with equal keys can train as one stack (same update code path)."""
        return (type(self),)

    @classmethod
    def stack(cls, optimizers: Sequence[Optimizer]) -> Optimizer:
        """One optimizer for a stack of models, model ``m`` with ``optimizers[m]``'s values.

        All must be ``stackable``, have the same :meth:`stack_key`, and be fresh
        or have state for the same parameters (continued fits): each state array
        gains the model axis, each scalar (Adam's step) becomes ``(M,)`` values.
        """
        first = optimizers[0]
        if not first.stackable or any(o.stack_key() != first.stack_key() for o in optimizers):
            raise ValueError("only stackable optimizers with equal stack_key() can be stacked")
        if any(set(o.state) != set(first.state) for o in optimizers):
            raise ValueError("optimizers stack when all are fresh or all have trained the "
                             "same parameters")
        stacked = copy.copy(first)
        stacked.models = len(optimizers)
        stacked.state = {key: {name: (np.stack([o.state[key][name] for o in optimizers])
                                      if isinstance(value, np.ndarray) else
                                      np.array([o.state[key][name] for o in optimizers]))
                               for name, value in entry.items()}
                         for key, entry in first.state.items()}
        for name in cls.per_model:
            values = [getattr(o, name) for o in optimizers]
            if isinstance(values[0], tuple):  # Adam's betas: a tuple of per-model arrays
                setattr(stacked, name, tuple(np.array(v, dtype=np.float64) for v in zip(*values)))
            else:
                setattr(stacked, name, np.array(values, dtype=np.float64))
        return stacked

    def state_of(self, model: int) -> dict:
        """The state of one model of a stack, as that model's own optimizer holds it."""
        def one(value):
            if not isinstance(value, np.ndarray):  # shared by every model (a fresh stack)
                return value
            return value[model].item() if value.ndim == 1 else value[model].copy()

        return {key: {name: one(value) for name, value in entry.items()}
                for key, entry in self.state.items()}

    def keep(self, models: np.ndarray) -> None:
        """Keep only the stacked ``models`` (indices or a mask): hyperparameters and state."""
        for name in self.per_model:
            value = getattr(self, name)
            if isinstance(value, tuple):
                setattr(self, name, tuple(v[models] for v in value))
            else:
                setattr(self, name, value[models])
        for state in self.state.values():
            for key, value in state.items():
                if isinstance(value, np.ndarray):
                    state[key] = value[models]
        self.models = len(getattr(self, self.per_model[0]))


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    The update rule of scikit-learn's ``solver="sgd"``, with velocity ``v``::

        v = momentum * v - lr * g
        θ = θ + v                          (classical momentum)
        θ = θ + momentum * v - lr * g      (nesterov=True)

    With ``momentum=0`` this is plain gradient descent ``θ = θ - lr * g``. An L2
    penalty (scikit-learn's ``alpha``, PyTorch's ``weight_decay``) belongs to the
    objective: ``Trainer(alpha=...)`` (:mod:`sweepnet.regularization`).
    """

    per_model = ("lr", "momentum")
    stackable = True

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(lr)
        self.momentum = _check_range("momentum", momentum, 0.0, 1.0, low_open=False)
        self.nesterov = bool(nesterov)
        if self.nesterov and not np.any(self.momentum):
            raise ValueError("nesterov=True needs momentum > 0 (its look-ahead follows the "
                             "velocity; with momentum 0 it would be plain SGD): set momentum, "
                             "or nesterov=False")

    @property
    def effective_lr(self):
        """``lr / (1 - momentum)``: under a steady gradient the velocity builds up to
        ``lr / (1 - momentum)`` times the gradient (heavy ball and Nesterov alike)."""
        return self.lr / (1 - self.momentum)

    def stack_key(self):
        # momentum switched on or off chooses the code path
        return (type(self), self.nesterov, self._on(self.momentum))

    def step(self, layers):
        if self._on(self.momentum):
            return super().step(layers)
        lr = self.lr
        if self.models is not None:  # a stack: one learning rate per model
            for layer in layers:
                grads = layer.grads
                for name, param in layer.params.items():
                    param -= self._of(lr, param) * grads[name]
            return
        for layer in layers:  # plain gradient descent, the hot path of full-batch runs
            grads = layer.grads
            for name, param in layer.params.items():
                param -= lr * grads[name]

    def update(self, key, param, grad, name):
        lr = self._of(self.lr, param)
        momentum = self._of(self.momentum, param)
        state = self.state.get(key)
        if state is None:  # not setdefault: it would build the zeros on every step
            state = self.state[key] = {"velocity": np.zeros_like(param)}
        velocity = momentum * state["velocity"] - lr * grad
        state["velocity"] = velocity
        if self.nesterov:
            param += momentum * velocity - lr * grad
        else:
            param += velocity

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr}, momentum={self.momentum}, nesterov={self.nesterov})"


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as ``torch.optim.Adam`` or as scikit-learn computes it.

    At step ``t`` with gradient ``g``::

        m = β1 m + (1 - β1) g
        v = β2 v + (1 - β2) g²
        θ = θ - lr / (1 - β1^t) * m / (sqrt(v) / sqrt(1 - β2^t) + eps)   (variant="pytorch")
        θ = θ - lr * sqrt(1 - β2^t) / (1 - β1^t) * m / (sqrt(v) + eps)   (variant="sklearn")

    The two differ only in where ``eps`` enters: scikit-learn adds it to the
    uncorrected ``sqrt(v)``, so early steps (small ``t``) are damped more.
    """

    per_model = ("lr", "betas", "eps")
    stackable = True
    VARIANTS = ("pytorch", "sklearn")

    def __init__(self, lr: float = 0.001, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, variant: str = "pytorch") -> None:
        super().__init__(lr)
        if variant not in self.VARIANTS:
            raise ValueError(f"variant must be one of {self.VARIANTS}, got {variant!r}")
        self.variant = variant
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be two numbers (beta1, beta2), got {betas!r}") from None
        self.betas = (_check_range("betas[0]", beta1, 0.0, 1.0, low_open=False),
                      _check_range("betas[1]", beta2, 0.0, 1.0, low_open=False))
        self.eps = _check_range("eps", eps, 0.0, math.inf, low_open=True)
        self._factors: tuple = (None,)  # the step's scalar factors, computed once per step

    def update(self, key, param, grad, name):
        beta1, beta2 = self.betas
        state = self.state.get(key)
        if state is None:
            state = self.state[key] = {"step": 0, "m": np.zeros_like(param),
                                       "v": np.zeros_like(param)}
        state["step"] += 1
        t = state["step"]  # one count, or one per model in a stack of continued fits
        m, v = state["m"], state["v"]
        when = t.tobytes() if isinstance(t, np.ndarray) else t
        if self._factors[0] != when:  # once per step, not per parameter
            each = self._each
            if self.variant == "sklearn":
                step = each(lambda lr, b1, b2, t: lr * math.sqrt(1 - b2**t) / (1 - b1**t),
                            self.lr, beta1, beta2, t)
            else:
                step = each(lambda lr, b1, t: lr / (1 - b1**t), self.lr, beta1, t)
            self._factors = (when, each(lambda b1: 1 - b1, beta1),
                             each(lambda b2: 1 - b2, beta2), step,
                             each(lambda b2, t: math.sqrt(1 - b2**t), beta2, t))
        _, one_minus_beta1, one_minus_beta2, step_size, correction = self._factors
        m *= self._of(beta1, param)
        m += self._of(one_minus_beta1, param) * grad
        v *= self._of(beta2, param)
        if self.variant == "sklearn":  # scikit-learn's order of operations, to the last bit
            v += self._of(one_minus_beta2, param) * (grad * grad)
            param += -self._of(step_size, param) * m / (np.sqrt(v) + self._of(self.eps, param))
            return
        v += self._of(one_minus_beta2, param) * grad * grad
        denom = np.sqrt(v) / self._of(correction, param) + self._of(self.eps, param)
        param -= self._of(step_size, param) * (m / denom)

    def reset(self) -> None:
        super().reset()
        self._factors = (None,)

    def keep(self, models) -> None:
        super().keep(models)
        self._factors = (None,)

    def stack_key(self):
        return (type(self), self.variant)

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps}, variant={self.variant!r})"


__all__ = ["Adam", "Optimizer", "SGD"]

"""Optimizers: ``SGD`` (scikit-learn's update rule) and ``Adam`` (PyTorch's).

An optimizer is created without a model; :meth:`Optimizer.step` takes the
layers and reads each ``layer.params[name]`` and ``layer.grads[name]`` at step
time, updating the parameter arrays in place. State (velocities, moments) is
keyed by ``(layer position, parameter name)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    """Base class: subclasses implement ``update(key, param, grad, name)``."""

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

    def reset(self) -> None:
        """Forget the state (velocities, moments, step count)."""
        self.state.clear()


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    The update rule of scikit-learn's ``solver="sgd"``, with velocity ``v``::

        g = dL/dθ + weight_decay * θ      (weight decay on weights, not biases)
        v = momentum * v - lr * g
        θ = θ + v                          (classical momentum)
        θ = θ + momentum * v - lr * g      (nesterov=True)

    With ``momentum=0`` this is plain gradient descent ``θ = θ - lr * g``.
    ``weight_decay`` equals scikit-learn's ``alpha / batch_size``.
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(lr)
        self.momentum = _check_range("momentum", momentum, 0.0, 1.0, low_open=False)
        self.nesterov = bool(nesterov)
        self.weight_decay = _check_range("weight_decay", weight_decay, 0.0, math.inf,
                                         low_open=False)

    def step(self, layers):
        if self.momentum or self.weight_decay:
            return super().step(layers)
        lr = self.lr
        for layer in layers:  # plain gradient descent, the hot path of full-batch runs
            grads = layer.grads
            for name, param in layer.params.items():
                param -= lr * grads[name]

    def update(self, key, param, grad, name):
        if self.weight_decay and name == "weight":
            grad = grad + self.weight_decay * param
        if not self.momentum:
            param -= self.lr * grad
            return
        state = self.state.get(key)
        if state is None:  # not setdefault: it would build the zeros on every step
            state = self.state[key] = {"velocity": np.zeros_like(param)}
        velocity = self.momentum * state["velocity"] - self.lr * grad
        state["velocity"] = velocity
        if self.nesterov:
            param += self.momentum * velocity - self.lr * grad
        else:
            param += velocity

    def __repr__(self) -> str:
        return (f"SGD(lr={self.lr}, momentum={self.momentum}, nesterov={self.nesterov}, "
                f"weight_decay={self.weight_decay})")


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with the update rule of ``torch.optim.Adam``.

    At step ``t`` with gradient ``g``::

        m = β1 m + (1 - β1) g
        v = β2 v + (1 - β2) g²
        θ = θ - lr / (1 - β1^t) * m / (sqrt(v) / sqrt(1 - β2^t) + eps)
    """

    def __init__(self, lr: float = 0.001, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        super().__init__(lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be two numbers (beta1, beta2), got {betas!r}") from None
        self.betas = (_check_range("betas[0]", beta1, 0.0, 1.0, low_open=False),
                      _check_range("betas[1]", beta2, 0.0, 1.0, low_open=False))
        self.eps = _check_range("eps", eps, 0.0, math.inf, low_open=True)

    def update(self, key, param, grad, name):
        beta1, beta2 = self.betas
        state = self.state.get(key)
        if state is None:
            state = self.state[key] = {"step": 0, "m": np.zeros_like(param),
                                       "v": np.zeros_like(param)}
        state["step"] += 1
        t = state["step"]
        m, v = state["m"], state["v"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        step_size = self.lr / (1 - beta1**t)
        denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + self.eps
        param -= step_size * (m / denom)

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps})"


__all__ = ["Adam", "Optimizer", "SGD"]

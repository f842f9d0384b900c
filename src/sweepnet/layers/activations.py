"""Activation layers: elementwise nonlinearities and softmax, and :data:`ACTIVATIONS`."""

from __future__ import annotations

import numpy as np

from .base import Activation, Layer


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function ``σ(x) = 1 / (1 + exp(-x))``, stable for any ``x``.

    ``x`` is first raised to ``log(eps_tiny)`` of its dtype (-708 in float64,
    -87 in float32) so ``exp(-x)`` never overflows and no warning is raised;
    every output keeps full relative precision down to that point
    (``σ(-700) = 9.86e-305`` in float64), below which the true value is
    smaller than the smallest normal number anyway.
    """
    out = np.maximum(x, _SIGMOID_FLOOR.get(x.dtype, -708.0))
    np.negative(out, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


_SIGMOID_FLOOR = {
    np.dtype(t): float(np.log(np.finfo(t).tiny)) for t in (np.float16, np.float32, np.float64)
}


class ReLU(Activation):
    """``relu(x) = max(x, 0)``; ``relu'(x) = 1 if x > 0 else 0``."""

    def function(self, x):
        return np.maximum(x, 0)

    def derivative(self, x):
        return (x > 0).astype(x.dtype)

    def forward(self, x):
        # x * mask with a float mask is faster than np.maximum and gives backward
        # its derivative for free
        self.mask = self.derivative(x)
        self.y = x * self.mask
        return self.y

    def backward(self, grad_out):
        return grad_out * self.mask


class LeakyReLU(Activation):
    """``f(x) = x if x > 0 else alpha * x``; ``f'(x) = 1 if x > 0 else alpha``."""

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def function(self, x):
        return np.where(x > 0, x, self.alpha * x)

    def derivative(self, x):
        return np.where(x > 0, 1, self.alpha).astype(x.dtype)

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"


class Sigmoid(Activation):
    """``σ(x) = 1 / (1 + exp(-x))`` (see :func:`sigmoid`); ``σ'(x) = σ(x)(1 - σ(x))``."""

    outputs = "probabilities"

    def function(self, x):
        return sigmoid(x)

    def derivative(self, x):
        s = sigmoid(x)
        return s * (1 - s)

    def backward(self, grad_out):
        y = self.y
        return grad_out * y * (1 - y)


class Tanh(Activation):
    """``tanh(x)``; ``tanh'(x) = 1 - tanh(x)^2``."""

    def function(self, x):
        return np.tanh(x)

    def derivative(self, x):
        return 1 - np.tanh(x) ** 2

    def backward(self, grad_out):
        return grad_out * (1 - self.y * self.y)


class Identity(Activation):
    """``f(x) = x``; ``f'(x) = 1``."""

    def function(self, x):
        return x

    def derivative(self, x):
        return np.ones_like(x)

    def backward(self, grad_out):
        return grad_out


class Softmax(Layer):
    """``softmax(x)_k = exp(x_k) / Σ_j exp(x_j)`` over the last (feature) axis.

    Backward is the Jacobian-vector product
    ``dL/dx = y * (dL/dy - Σ_k (dL/dy)_k y_k)``. For classification prefer
    :class:`~sweepnet.losses.CrossEntropy` on logits, which fuses both steps.
    """

    outputs = "probabilities"
    stackable = True  # over the last axis only

    def forward(self, x):
        z = np.exp(x - x.max(axis=-1, keepdims=True))
        self.y = z / z.sum(axis=-1, keepdims=True)
        return self.y

    def backward(self, grad_out):
        y = self.y
        return y * (grad_out - (grad_out * y).sum(axis=-1, keepdims=True))


ACTIVATIONS: dict[str, type[Layer]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "identity": Identity,
    "softmax": Softmax,
}
"""The engine's built-in activations by name, for :func:`~sweepnet.layers.mlp`.

The same names are declared in the ``sweepnet.layers`` entry-point group;
plugin layers are reached only through :mod:`sweepnet.registry` (and
:func:`sweepnet.mlp`, which resolves names there), never from the engine.
"""

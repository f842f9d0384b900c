"""Swish and GELU: each activation is its function and its derivative."""

import numpy as np
import sweepnet as sn
from sweepnet.layers import sigmoid

_C = np.sqrt(2 / np.pi)  # constant of GELU's tanh approximation
_A = 0.044715


class Swish(sn.Activation):
    """``swish(x) = x σ(x)``; ``swish'(x) = σ(x) + x σ(x) (1 - σ(x))``."""

    def function(self, x):
        return x * sigmoid(x)

    def derivative(self, x):
        s = sigmoid(x)
        return s + x * s * (1 - s)


class GELU(sn.Activation):
    """GELU, tanh approximation: ``gelu(x) = ½ x (1 + tanh(u))``, ``u = c (x + a x³)``.

    With ``c = sqrt(2/π)`` and ``a = 0.044715``, its exact derivative is
    ``½ (1 + tanh u) + ½ x (1 - tanh² u) c (1 + 3 a x²)``.
    """

    def function(self, x):
        return 0.5 * x * (1 + np.tanh(_C * (x + _A * x**3)))

    def derivative(self, x):
        t = np.tanh(_C * (x + _A * x**3))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _C * (1 + 3 * _A * x * x)

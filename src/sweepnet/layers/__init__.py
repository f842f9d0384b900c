"""Layers: ``Linear``, activations, ``Sequential`` and the ``mlp`` builder."""

from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, sigmoid
from .base import Activation, Layer
from .init import INITIALIZERS
from .linear import Linear
from .sequential import Sequential, mlp

ACTIVATIONS = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "logistic": Sigmoid,
    "tanh": Tanh,
    "identity": Identity,
    "softmax": Softmax,
}


def make_activation(name: str) -> Layer:
    """Return a new activation layer called ``name`` (see ``ACTIVATIONS``)."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; available: {', '.join(sorted(ACTIVATIONS))}"
        ) from None


__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "Activation",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Linear",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "make_activation",
    "mlp",
    "sigmoid",
]

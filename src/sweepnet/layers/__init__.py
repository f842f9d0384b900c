"""Layers: ``Linear``, activations, ``Sequential`` and the ``mlp`` builder."""

from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, sigmoid
from .base import Activation, Layer
from .init import INITIALIZERS
from .linear import Linear
from .sequential import Sequential, mlp


def make_activation(name: str) -> Layer:
    """Return a new layer called ``name`` from the layer registry (``relu``, ``swish``, ...)."""
    from ..registry import layers

    return layers.get(name)()


__all__ = [
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

"""Layers: ``Linear``, activations, ``Sequential`` and the engine's ``mlp`` builder.

Part of the engine: nothing here imports :mod:`sweepnet.registry`. Names of
plugin layers are resolved above the engine, by :func:`sweepnet.mlp`.
"""

from .activations import ACTIVATIONS, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, sigmoid
from .base import Activation, Layer
from .init import INITIALIZERS
from .linear import Linear
from .sequential import Sequential, mlp

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
    "mlp",
    "sigmoid",
]

"""Model builders of the public API, above the engine: they resolve names through the registry.

The engine's :func:`sweepnet.layers.mlp` knows only its built-in activations;
:func:`mlp` here accepts any name in :data:`sweepnet.registry.layers` (a
plugin's ``swish``, a layer registered in a notebook) and hands the engine the
class.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from . import registry
from .layers import Sequential
from .layers import mlp as _engine_mlp
from .layers.sequential import ActivationSpec


def _resolve(spec: ActivationSpec) -> ActivationSpec:
    """A layer name looked up in :data:`sweepnet.registry.layers`; anything else unchanged."""
    return registry.layers.get(spec) if isinstance(spec, str) else spec


def mlp(
    sizes: Iterable[int],
    activation: ActivationSpec = "relu",
    output: ActivationSpec = "sigmoid",
    init: str = "glorot_uniform",
    seed=0,
    dtype=np.float64,
) -> Sequential:
    """Build a multi-layer perceptron, naming activations through the registry.

    The arguments are those of :func:`sweepnet.layers.mlp`, except that
    ``activation`` and ``output`` may be any name in
    :data:`sweepnet.registry.layers` whose layer takes no arguments (``relu``,
    ``tanh``, a plugin's ``swish``); an unknown name raises
    :class:`sweepnet.registry.RegistryError` listing the available ones.

    >>> model = mlp([2, 16, 1], activation="relu", output="sigmoid", seed=99)
    """
    return _engine_mlp(sizes, activation=_resolve(activation), output=_resolve(output),
                       init=init, seed=seed, dtype=dtype)


__all__ = ["mlp"]

"""Weight initializers, selectable by name.

Every initializer has the signature ``init(rng, fan_in, fan_out) -> (weight, bias)``
with ``weight`` of shape ``(fan_in, fan_out)`` and ``bias`` of shape ``(fan_out,)``,
drawing the weight first and the bias second from ``rng``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

Initializer = Callable[[np.random.RandomState, int, int], tuple[np.ndarray, np.ndarray]]


def glorot_uniform(rng, fan_in: int, fan_out: int, factor: float = 6.0):
    """scikit-learn's ``MLPClassifier`` initialization (Glorot & Bengio, 2010).

    ``weight, bias ~ U(-a, a)`` with ``a = sqrt(factor / (fan_in + fan_out))``.
    scikit-learn uses ``factor=2`` when its hidden activation is logistic and 6
    otherwise (:func:`sweepnet.mlp` does the same). With
    ``rng = np.random.RandomState(seed)`` and the layers initialized in order,
    the draws equal ``MLPClassifier(random_state=seed)``'s ``coefs_`` and
    ``intercepts_``.
    """
    bound = np.sqrt(factor / (fan_in + fan_out))
    weight = rng.uniform(-bound, bound, (fan_in, fan_out))
    bias = rng.uniform(-bound, bound, fan_out)
    return weight, bias


def torch_uniform(rng, fan_in: int, fan_out: int):
    """PyTorch's ``nn.Linear`` default: ``weight, bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))``."""
    bound = 1.0 / np.sqrt(fan_in)
    weight = rng.uniform(-bound, bound, (fan_in, fan_out))
    bias = rng.uniform(-bound, bound, fan_out)
    return weight, bias


def scaled_normal(rng, fan_in: int, fan_out: int, scale: float = 0.1):
    """``weight, bias ~ N(0, scale^2)``: the ``randn * 0.1`` of the numpy tutorials."""
    weight = rng.normal(0.0, scale, (fan_in, fan_out))
    bias = rng.normal(0.0, scale, fan_out)
    return weight, bias


def he_normal(rng, fan_in: int, fan_out: int):
    """He et al. (2015) for ReLU networks: ``weight ~ N(0, 2 / fan_in)``, ``bias = 0``."""
    weight = rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out))
    return weight, np.zeros(fan_out)


INITIALIZERS: dict[str, Initializer] = {
    "glorot_uniform": glorot_uniform,
    # scikit-learn's choice when the hidden activation is logistic
    "glorot_uniform_logistic": partial(glorot_uniform, factor=2.0),
    "torch_uniform": torch_uniform,
    "scaled_normal": scaled_normal,
    "he_normal": he_normal,
}


def get_initializer(init: str | Initializer) -> Initializer:
    """Return the initializer called ``init`` (or ``init`` itself if callable)."""
    if callable(init):
        return init
    try:
        return INITIALIZERS[init]
    except KeyError:
        raise ValueError(
            f"unknown initializer {init!r}; available: {', '.join(sorted(INITIALIZERS))}"
        ) from None


def as_random_state(seed) -> np.random.RandomState | np.random.Generator:
    """Turn ``None``, an int, a ``RandomState`` or a ``Generator`` into a generator.

    Integers give a ``np.random.RandomState`` (the generator scikit-learn draws
    its initial weights from), so the same seed reproduces its weights.
    """
    if seed is None or isinstance(seed, (int, np.integer)):
        return np.random.RandomState(seed)
    if isinstance(seed, (np.random.RandomState, np.random.Generator)):
        return seed
    raise TypeError(f"seed must be None, an int, a RandomState or a Generator, got {seed!r}")

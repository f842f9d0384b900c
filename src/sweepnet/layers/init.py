"""Weight initializers, selectable by name.

Every initializer has the signature ``init(rng, fan_in, fan_out) -> (weight, bias)``
with ``weight`` of shape ``(fan_in, fan_out)`` and ``bias`` of shape ``(fan_out,)``,
drawing the weight first and the bias second from ``rng`` (a zero bias draws
nothing). A network's layers are initialized in order from one ``rng``
(``np.random.RandomState(seed)`` for an integer seed, the generator behind
``np.random.seed``), so ``seed=s`` gives the weights a script draws after
``np.random.seed(s)`` when the initializer draws as that script does.

=========================  ===========================================================
name                       draws (per layer, from the network's one generator)
=========================  ===========================================================
glorot_uniform             scikit-learn's MLPClassifier: U(-a, a), a = sqrt(6/(in+out)),
                           weight ``(in, out)`` then bias
glorot_uniform_logistic    the same with a = sqrt(2/(in+out)) (logistic hidden units)
glorot_uniform_zero_bias   Keras's ``Dense`` default: the Glorot weight, a zero bias
torch_uniform              PyTorch's ``nn.Linear``: U(-1/sqrt(in), 1/sqrt(in)) for both
torch_uniform_zero_bias    PyTorch's weight drawn as ``uniform(-k, k, (in, out))``, a
                           zero bias (tutorial 001)
standard_normal            ``randn(out, in)`` then ``randn(out)``, unscaled (tutorial 000)
scaled_normal              the same times 0.1: ``randn(out, in) * 0.1`` (tutorial 003)
he_normal                  N(0, 2/in) weight ``(in, out)``, a zero bias
=========================  ===========================================================
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


def torch_uniform_zero_bias(rng, fan_in: int, fan_out: int):
    """PyTorch's weight bound, drawn as ``rng.uniform(-k, k, (fan_in, fan_out))`` with
    ``k = 1/sqrt(fan_in)``; a zero bias (nothing drawn for it)."""
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, (fan_in, fan_out)), np.zeros(fan_out)


def glorot_uniform_zero_bias(rng, fan_in: int, fan_out: int):
    """Keras's ``Dense`` default: a ``glorot_uniform`` weight and a zero bias."""
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, (fan_in, fan_out)), np.zeros(fan_out)


def scaled_normal(rng, fan_in: int, fan_out: int, scale: float = 0.1):
    """``randn(fan_out, fan_in) * scale`` then ``randn(fan_out) * scale``.

    The numpy tutorials' layout: the weight is drawn as an ``(out, in)``
    matrix (for ``W @ x``) and stored transposed, ``(in, out)``. With
    ``rng = np.random.RandomState(s)`` the values equal a script's draws
    after ``np.random.seed(s)``, layer by layer.
    """
    weight = rng.standard_normal((fan_out, fan_in)) * scale
    bias = rng.standard_normal(fan_out) * scale
    return weight.T, bias


def he_normal(rng, fan_in: int, fan_out: int):
    """He et al. (2015) for ReLU networks: ``weight ~ N(0, 2 / fan_in)``, ``bias = 0``."""
    weight = rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out))
    return weight, np.zeros(fan_out)


INITIALIZERS: dict[str, Initializer] = {
    "glorot_uniform": glorot_uniform,
    # scikit-learn's choice when the hidden activation is logistic
    "glorot_uniform_logistic": partial(glorot_uniform, factor=2.0),
    "glorot_uniform_zero_bias": glorot_uniform_zero_bias,
    "torch_uniform": torch_uniform,
    "torch_uniform_zero_bias": torch_uniform_zero_bias,
    "standard_normal": partial(scaled_normal, scale=1.0),
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

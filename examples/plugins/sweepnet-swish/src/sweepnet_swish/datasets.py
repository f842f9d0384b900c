"""The two-spirals dataset, in numpy only."""

import numpy as np


def spirals(n_samples: int = 1000, noise: float = 0.2, seed: int = 0):
    """Two interleaved spirals of 1.5 turns each, labels 0 and 1.

    Point ``i`` of class ``k`` lies at angle ``t + kπ`` and radius ``t/π``
    with ``t`` in ``[0.5, 3π]``, plus Gaussian noise of standard deviation
    ``noise``. Neighbouring arms are 1 apart.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
    """
    rng = np.random.default_rng(seed)
    y = (np.arange(n_samples) >= n_samples // 2).astype(np.int64)
    t = np.sqrt(rng.uniform(0.5**2, (3 * np.pi) ** 2, n_samples))  # even density along arms
    angle = t + np.pi * y
    X = np.column_stack([np.cos(angle), np.sin(angle)]) * (t / np.pi)[:, None]
    X += noise * rng.normal(size=X.shape)
    return X, y

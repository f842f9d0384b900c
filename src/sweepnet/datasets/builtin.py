"""The built-in datasets: plain functions returning ``(X, y)``.

Each is registered in the ``sweepnet.datasets`` entry-point group (see
``pyproject.toml``), so ``sweepnet.registry.datasets.get("moons")`` returns
:func:`moons`. scikit-learn is imported inside the functions.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from .split import DatasetError


def _check_samples(n_samples: int, noise: float) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
            or n_samples < 2:
        raise DatasetError(f"n_samples must be an integer >= 2, got {n_samples!r}.")
    if not noise >= 0:
        raise DatasetError(f"noise must be a standard deviation >= 0, got {noise!r}.")


def moons(n_samples: int = 1000, noise: float = 0.2, seed: int = 0
          ) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's ``make_moons``).

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, split evenly between the two classes.
    noise : float, default=0.2
        Standard deviation of the Gaussian noise added to the points.
    seed : int, default=0
        ``random_state``: the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
        Class labels 0 and 1.
    """
    from sklearn.datasets import make_moons

    _check_samples(n_samples, noise)
    X, y = make_moons(n_samples, noise=noise, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def circles(n_samples: int = 1000, noise: float = 0.1, factor: float = 0.5, seed: int = 0
            ) -> tuple[np.ndarray, np.ndarray]:
    """A small circle inside a large one (scikit-learn's ``make_circles``).

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, split evenly between the two circles.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to the points.
    factor : float, default=0.5
        Radius of the inner circle relative to the outer one, ``0 < factor < 1``.
    seed : int, default=0
        ``random_state``: the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
        0 for the outer circle, 1 for the inner one.
    """
    from sklearn.datasets import make_circles

    _check_samples(n_samples, noise)
    if not 0 < factor < 1:
        raise DatasetError(f"factor must satisfy 0 < factor < 1, got {factor!r}.")
    X, y = make_circles(n_samples, noise=noise, factor=factor, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def breast_cancer(features: Sequence[str] | None = None, positive: str = "benign"):
    """The Wisconsin breast cancer data (scikit-learn's ``load_breast_cancer``).

    Bundled with scikit-learn: nothing is downloaded. The same 569 samples as
    Kaggle's ``bdiag.csv`` (tutorial 002).

    Parameters
    ----------
    features : sequence of str, optional
        Keep these features, in this order: scikit-learn's names (``"mean
        radius"``, ``"radius error"``, ``"worst radius"``) or the CSV's
        (``"radius_mean"``, ``"radius_se"``, ``"radius_worst"``). None: all 30.
    positive : {"benign", "malignant"}, default="benign"
        The class labelled 1. ``"benign"`` keeps scikit-learn's labels (0 =
        malignant, 1 = benign: 212 and 357 samples); ``"malignant"`` is
        tutorial 002's coding (``diagnosis`` M -> 1).

    Returns
    -------
    X : DataFrame of shape (569, n_features), float64
        The features, unscaled, named as ``features`` names them (scikit-learn's
        names by default).
    y : ndarray of shape (569,), int64
    """
    import pandas as pd

    if positive not in ("benign", "malignant"):
        raise DatasetError(f"breast_cancer: positive must be 'benign' (scikit-learn's labels) "
                           f"or 'malignant' (tutorial 002's), got {positive!r}.")
    X, y, names = _bundled("load_breast_cancer")
    if features is not None:
        X, names = X[:, _feature_columns(features, names)], [str(f) for f in features]
    return (pd.DataFrame(X.copy(), columns=list(names)),
            (1 - y if positive == "malignant" else y.copy()))


def _csv_name(name: str) -> str:
    """A breast-cancer feature's scikit-learn name in ``bdiag.csv``'s spelling
    (``"mean fractal dimension"`` -> ``"fractal_dimension_mean"``, ``"worst concave points"``
    -> ``"concave points_worst"``)."""
    name = name.replace("fractal dimension", "fractal_dimension")
    if name.startswith("mean "):
        return f"{name[5:]}_mean"
    if name.startswith("worst "):
        return f"{name[6:]}_worst"
    return name.replace(" error", "_se")


def _feature_columns(features, names: tuple[str, ...]) -> list[int]:
    """The columns of ``features`` (either spelling), or a message listing the names."""
    if isinstance(features, str):
        features = [features]
    index = {name: i for i, name in enumerate(names)}
    index.update({_csv_name(name): i for i, name in enumerate(names)})
    unknown = [f for f in features if f not in index]
    if unknown or not features:
        raise DatasetError(
            f"breast_cancer: unknown feature(s) {', '.join(map(repr, unknown)) or '(none given)'}"
            f"; the features are {', '.join(map(repr, names))} (or in the CSV's spelling "
            f"{_csv_name(names[0])!r}, {_csv_name(names[10])!r}, {_csv_name(names[20])!r}, ...).")
    return [index[f] for f in features]


@functools.cache
def _bundled(loader: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """A data set bundled with scikit-learn and its feature names, parsed once per process
    (a sweep loads it for every job); callers copy the arrays."""
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader)()
    return (bunch.data.astype(np.float64), bunch.target.astype(np.int64),
            tuple(map(str, bunch.feature_names)))


def digits(n_class: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """8x8 images of handwritten digits (scikit-learn's ``load_digits``).

    Bundled with scikit-learn: nothing is downloaded.

    Parameters
    ----------
    n_class : int, default=10
        Keep the digits ``0 .. n_class-1``, ``2 <= n_class <= 10``; 2 is the
        binary 0-vs-1 task.

    Returns
    -------
    X : ndarray of shape (n_samples, 64), float64
        Pixel intensities 0..16 (1797 samples for ``n_class=10``, 360 for 2).
    y : ndarray of shape (n_samples,), int64
        The digit, ``0 .. n_class-1``.
    """
    if isinstance(n_class, bool) or not isinstance(n_class, (int, np.integer)) \
            or not 2 <= n_class <= 10:
        raise DatasetError(
            f"digits: n_class must be an integer from 2 (the 0-vs-1 task) to 10 (all "
            f"digits), got {n_class!r}."
        )
    X, y, _ = _bundled("load_digits")
    keep = y < n_class  # what load_digits(n_class=...) keeps, in the same order
    return X[keep], y[keep]


def iris():
    """Fisher's iris flowers (scikit-learn's ``load_iris``): 150 samples, 3 species.

    Bundled with scikit-learn: nothing is downloaded. Three classes: use
    ``loss=cross_entropy``.

    Returns
    -------
    X : DataFrame of shape (150, 4), float64
        Sepal and petal length and width in cm, unscaled, with scikit-learn's names.
    y : ndarray of shape (150,), int64
        The species: 0 setosa, 1 versicolor, 2 virginica (50 each).
    """
    import pandas as pd

    X, y, names = _bundled("load_iris")
    return pd.DataFrame(X.copy(), columns=list(names)), y.copy()


def toy() -> tuple[np.ndarray, np.ndarray]:
    """Tutorial 000's five-sample indicator set: 3 inputs, 4 sigmoid outputs.

    The first feature is the indicator of the first output; the other outputs
    are always 0.

    Returns
    -------
    X : ndarray of shape (5, 3), float64
        ``[[1, 3, 5], [1, 9, 5], [1, 2, 5], [0, 9, 5], [0, 0, 5]]``.
    y : ndarray of shape (5, 4), float64
        Multi-label 0/1 targets: ``[1, 0, 0, 0]`` for the first three samples,
        ``[0, 0, 0, 0]`` for the last two.
    """
    X = np.array([[1, 3, 5], [1, 9, 5], [1, 2, 5], [0, 9, 5], [0, 0, 5]], dtype=np.float64)
    y = np.array([[1, 0, 0, 0]] * 3 + [[0, 0, 0, 0]] * 2, dtype=np.float64)
    return X, y

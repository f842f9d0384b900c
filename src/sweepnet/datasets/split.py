"""Label checks and the train/validation split shared by every dataset.

scikit-learn is imported inside :func:`split` only, so importing this module
stays cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


class DatasetError(ValueError):
    """A dataset cannot be loaded or used as asked; the message says what is wrong and why."""


def check_labels(y, max_classes: int | None = None, name: str = "dataset",
                 loss_name: str | None = None) -> int:
    """Check classification targets and return the number of classes.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_labels)
        1-D: integer class labels ``0 .. k-1``, every class present (integer-valued
        floats are accepted). 2-D: multi-label 0/1 indicators, one column per label.
    max_classes : int, optional
        The most classes the loss can take (2 for ``bce``). Applies to 1-D labels
        only: a multi-label target is one binary problem per column.
    name : str, default="dataset"
        What the labels belong to, for the error messages.
    loss_name : str, optional
        The loss that imposes ``max_classes``, for the error message.

    Returns
    -------
    n_classes : int
        ``k`` for 1-D labels, ``n_labels`` (the number of columns) for 2-D ones.

    Raises
    ------
    DatasetError
        When ``y`` is empty, not 1-D or 2-D, not numeric, has labels outside
        ``0 .. k-1`` (or values other than 0/1 in 2-D), fewer than two classes,
        or more than ``max_classes`` classes.
    """
    y = np.asarray(y)
    if y.ndim not in (1, 2) or y.shape[0] == 0 or y.size == 0:
        raise DatasetError(
            f"the {name} target has shape {y.shape}; classification targets must be a "
            f"non-empty 1-D array of class labels 0..k-1 or a 2-D array of 0/1 indicators."
        )
    if y.dtype == bool:
        y = y.astype(np.int64)
    if not np.issubdtype(y.dtype, np.number) or not np.all(np.isfinite(y)):
        raise DatasetError(
            f"the {name} target must hold finite numbers (class labels 0..k-1 or 0/1 "
            f"indicators), got dtype {y.dtype}"
            + ("" if not np.issubdtype(y.dtype, np.number) else " with NaN or inf values")
            + "."
        )
    if y.ndim == 2:
        bad = np.setdiff1d(np.unique(y), [0, 1])
        if bad.size:
            raise DatasetError(
                f"the {name} target is 2-D, so it is read as multi-label 0/1 indicators, but "
                f"it contains {bad[:5].tolist()}; use 0 and 1 only, or a 1-D array of class "
                f"labels 0..k-1."
            )
        return int(y.shape[1])
    values = np.unique(y)
    if np.any(values != np.round(values)) or values[0] < 0:
        raise DatasetError(
            f"the {name} target must hold integer class labels 0..k-1, but it contains "
            f"{values[:10].tolist()}{' ...' if values.size > 10 else ''}."
        )
    if values.size < 2:
        raise DatasetError(
            f"the {name} target has only one class ({values[0]:g}); a classifier needs "
            f"at least two classes."
        )
    k = int(values[-1]) + 1
    if values.size != k:
        missing = sorted(set(range(k)) - {int(v) for v in values})
        raise DatasetError(
            f"the {name} target must hold class labels 0..k-1 with every class present, but "
            f"labels {missing[:10]} between 0 and {k - 1} never occur; renumber the classes "
            f"0..{values.size - 1}."
        )
    if max_classes is not None and k > max_classes:
        if loss_name is not None:
            raise DatasetError(
                f"the {name} target has {k} classes but the loss '{loss_name}' takes "
                f"{max_classes}; use loss=cross_entropy, which takes any number of classes."
            )
        raise DatasetError(
            f"the {name} target has {k} classes but at most {max_classes} are allowed here."
        )
    return k


#: ``split``'s ``scale`` options and the scikit-learn scaler each uses
SCALERS = {"none": None, "standard": "StandardScaler", "minmax": "MinMaxScaler"}


@dataclass
class Split:
    """A train/validation split.

    Attributes
    ----------
    X_train : ndarray of shape (n_train, n_features), float64
    y_train : ndarray of shape (n_train,) or (n_train, n_labels)
    X_val : ndarray of shape (n_val, n_features), float64, or None
        None when there is no validation set (``test_size=0``).
    y_val : ndarray of shape (n_val,) or (n_val, n_labels), or None
    scaling : {"none", "standard", "minmax"}
        How the features were scaled (``split``'s ``scale``).
    offset : ndarray of shape (n_features,), float64, or None
        What scaling subtracted: the training part's feature means
        (``standard``) or minima (``minmax``); None when not scaled.
    scale : ndarray of shape (n_features,), float64, or None
        What scaling divided by: the training part's standard deviations
        (``standard``) or ranges (``minmax``), 1 for constant features as in
        scikit-learn's scalers; None when not scaled.
    feature_names : tuple of str, or None
        The features' names when the data named them (a DataFrame's columns).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    scaling: str = "none"
    offset: np.ndarray | None = None
    scale: np.ndarray | None = None
    feature_names: tuple[str, ...] | None = None


def split(X, y, test_size: float = 0.2, stratify: bool = True, seed: int = 0,
          scale: str = "none") -> Split:
    """Split a dataset into a training and a validation part, optionally scaled.

    Uses scikit-learn's ``train_test_split`` (the validation part has
    ``ceil(test_size * n_samples)`` samples) and its ``StandardScaler`` or
    ``MinMaxScaler``, fitted on the training part only and applied to both parts.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A DataFrame's columns become the split's ``feature_names``.
    y : array-like of shape (n_samples,) or (n_samples, n_labels)
    test_size : float, default=0.2
        Fraction of the samples held out for validation, ``0 <= test_size < 1``;
        0 means no validation set (every sample is used for training).
    stratify : bool, default=True
        Keep the class proportions of a 1-D ``y`` in both parts. Ignored for
        2-D (multi-label) targets.
    seed : int, default=0
        ``random_state`` of the shuffle: the same seed gives the same split.
    scale : {"none", "standard", "minmax"}, default="none"
        ``standard``: subtract the training mean and divide by the training
        standard deviation, feature by feature; ``minmax``: map the training
        part's range of each feature onto [0, 1].

    Returns
    -------
    Split
        ``X_train``, ``X_val`` (and ``offset``, ``scale``) as float64; ``y_train``
        and ``y_val`` keep the dtype of ``y`` (integer labels stay integers).

    Raises
    ------
    DatasetError
        For a bad ``test_size`` or ``scale``, mismatched lengths, a part that would be
        empty, or a stratified split that is impossible (a class with a single
        member, or fewer validation samples than classes).
    """
    names = tuple(str(c) for c in X.columns) if hasattr(X, "columns") else None
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or y.ndim not in (1, 2) or X.shape[0] != y.shape[0]:
        raise DatasetError(
            f"split needs X of shape (n_samples, n_features) and y of shape (n_samples,) or "
            f"(n_samples, n_labels) with the same n_samples; got X {X.shape} and y {y.shape}."
        )
    if isinstance(test_size, bool) or not 0 <= test_size < 1:
        raise DatasetError(
            f"test_size must be a fraction with 0 <= test_size < 1 (0 means no validation "
            f"set), got {test_size!r}."
        )
    if scale not in SCALERS:
        raise DatasetError(f"scale must be one of {', '.join(SCALERS)}, got {scale!r}.")
    n = X.shape[0]
    if n == 0:
        raise DatasetError("split got a dataset with no samples; X and y are empty.")
    _check_finite(X, names, "")
    if test_size == 0:
        result = Split(X, y)
    else:
        n_val = math.ceil(test_size * n)
        n_train = math.floor((1 - test_size) * n)
        if n_train == 0:
            raise DatasetError(
                f"test_size={test_size} leaves no training samples out of {n} ({n_val} go to "
                f"validation); use a smaller test_size, or test_size=0 for no validation set."
            )
        strata = y if stratify and y.ndim == 1 else None
        if strata is not None:
            _check_stratifiable(strata, n_train, n_val, test_size)
        from sklearn.model_selection import train_test_split

        X_train, X_val, y_train, y_val = train_test_split(
            X, y, test_size=test_size, random_state=seed, stratify=strata)
        result = Split(X_train, y_train, X_val, y_val)
    if scale != "none":
        from sklearn import preprocessing

        scaler = getattr(preprocessing, SCALERS[scale])().fit(result.X_train)
        result.X_train = scaler.transform(result.X_train)
        if result.X_val is not None:
            result.X_val = scaler.transform(result.X_val)
        result.scaling = scale
        if scale == "standard":
            result.offset, result.scale = scaler.mean_, scaler.scale_
        else:
            result.offset, result.scale = scaler.data_min_, 1 / scaler.scale_
        for part in (result.X_train, result.X_val):
            if part is not None:
                _check_finite(part, names, " after scaling (values this large "
                                           "overflow: scale them down first)")
    result.feature_names = names
    return result


def _check_finite(X: np.ndarray, names, when: str) -> None:
    """Refuse NaN or infinite features, naming the first columns and rows that hold them."""
    bad = ~np.isfinite(X)
    if not bad.any():
        return
    columns = np.flatnonzero(bad.any(axis=0))
    shown = [repr(names[c]) if names else f"column {c}" for c in columns[:5]]
    rows = np.flatnonzero(bad.any(axis=1))
    raise DatasetError(
        f"the features hold NaN or infinite values{when}: in {', '.join(shown)}"
        f"{' ...' if columns.size > 5 else ''} ({rows.size} row(s), the first {rows[0]}); "
        f"features must be finite numbers.")


def _check_stratifiable(y: np.ndarray, n_train: int, n_val: int, test_size: float) -> None:
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < 2:
        lonely = classes[counts < 2].tolist()
        raise DatasetError(
            f"cannot stratify the split: class(es) {lonely[:10]} have a single sample, and "
            f"stratification needs at least two per class (one for each part); use "
            f"stratify=false, or more data."
        )
    if min(n_train, n_val) < classes.size:
        raise DatasetError(
            f"cannot stratify the split: with test_size={test_size} the parts have {n_train} "
            f"and {n_val} samples, fewer than the {classes.size} classes; use stratify=false "
            f"or a test_size that gives every part at least one sample per class."
        )

"""What a run's verdicts are judged against, recorded in its ``result.json``.

``start``
    a digest of the training data, the architecture, the loss and the initial
    weights: runs with equal starts differ only in optimizer settings and
    budget, so one may tell what another could have reached
    (:func:`sweepnet.analysis.curves.judge`).
``levels``
    the run's trivial loss levels: ``constant``, the best constant output's loss
    (:meth:`sweepnet.Loss.constant_loss`), and ``linear``, the training loss of
    a linear model fitted by scikit-learn on the same data with the same loss
    (networks with a hidden layer only: for a network without one, the linear
    model's loss is its optimum, not a trivial level).
``updates_per_epoch``, ``effective_lr``
    the run's time scale: ``τ = effective_lr × updates`` is the time of gradient
    flow its updates stand for (:attr:`sweepnet.Optimizer.effective_lr`).
"""

from __future__ import annotations

import copy
import hashlib
import math
import warnings
from collections import OrderedDict

import numpy as np

from ..layers import Linear, Sequential
from ..losses import BCE, MSE, BCEWithLogits, CrossEntropy, Loss
from ..training import Trainer

#: levels already computed, by (loss, data digest): the jobs of a sweep share their data
_LINEAR_LEVELS: OrderedDict[tuple, float | None] = OrderedDict()
_LEVELS: OrderedDict[tuple, dict] = OrderedDict()
_LINEAR_LEVELS_KEPT = 64


def _digest(*arrays: np.ndarray, text: str = "") -> str:
    hasher = hashlib.sha256(text.encode())
    for array in arrays:
        array = np.ascontiguousarray(array)
        hasher.update(f"{array.dtype.str}{array.shape}".encode())
        hasher.update(array.tobytes())
    return hasher.hexdigest()


def start_id(model: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray) -> str:
    """A short digest of data, architecture, loss and the model's current (initial) weights."""
    weights = [param for layer in model.layers for _, param in sorted(layer.params.items())]
    return _digest(X, y, *weights, text=f"{model!r}|{loss!r}")[:16]


def _linear_outputs(loss: Loss, X: np.ndarray, Y: np.ndarray) -> np.ndarray | None:
    """A linear model's outputs on ``X``, fitted by scikit-learn to minimise ``loss``."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if isinstance(loss, MSE):
        return LinearRegression().fit(X, Y).predict(X).reshape(Y.shape)
    if isinstance(loss, CrossEntropy):
        labels = Y.argmax(axis=1)
    elif isinstance(loss, (BCE, BCEWithLogits)) and Y.shape[1] == 1:
        labels = Y[:, 0]
    else:
        return None
    if len(np.unique(labels)) < 2:
        return None
    # no penalty; the scaler only helps lbfgs (the optimum is the same). Stopped early, the
    # fit's loss is above the linear optimum, so a level judged against it errs to "not stuck"
    model = make_pipeline(StandardScaler(), LogisticRegression(C=np.inf, max_iter=200))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, labels)
    proba = model.predict_proba(X)
    if isinstance(loss, CrossEntropy):
        if proba.shape[1] != Y.shape[1]:  # a class absent from the training data
            return None
        return np.log(np.clip(proba, 1e-300, None))  # logits whose softmax is proba
    p = np.clip(proba[:, 1:], 1e-15, 1 - 1e-15)
    return p if isinstance(loss, BCE) else np.log(p) - np.log1p(-p)


def linear_loss(loss: Loss, X: np.ndarray, Y: np.ndarray) -> float | None:
    """The training loss of a linear model on ``(X, Y)`` under ``loss`` (``None``: unknown)."""
    key = (repr(loss), _digest(X, Y))
    if key not in _LINEAR_LEVELS:
        outputs = _linear_outputs(loss, X, Y)
        value = None if outputs is None else float(copy.copy(loss).forward(outputs, Y))
        _LINEAR_LEVELS[key] = value if value is None or math.isfinite(value) else None
        while len(_LINEAR_LEVELS) > _LINEAR_LEVELS_KEPT:
            _LINEAR_LEVELS.popitem(last=False)
    return _LINEAR_LEVELS[key]


def trivial_levels(trainer: Trainer, X, y) -> dict[str, float | None]:
    """``{"constant": ..., "linear": ...}`` for a run of ``trainer`` on ``(X, y)`` (the jobs
    of a sweep with one loss and one data set share them: computed once)."""
    hidden = sum(isinstance(layer, Linear) for layer in trainer.model.layers) > 1
    key = (repr(trainer.loss), hidden, trainer.model.dtype.str, _digest(np.asarray(X),
                                                                        np.asarray(y)))
    if key not in _LEVELS:
        X, Y = trainer.prepare(X, y, "training data")
        X, Y = X.astype(np.float64), Y.astype(np.float64)
        _LEVELS[key] = {"constant": trainer.loss.constant_loss(Y),
                        "linear": linear_loss(trainer.loss, X, Y) if hidden else None}
        while len(_LEVELS) > _LINEAR_LEVELS_KEPT:
            _LEVELS.popitem(last=False)
    return dict(_LEVELS[key])


def time_scale(trainer: Trainer, n_samples: int) -> dict[str, float]:
    """``updates_per_epoch``, ``effective_lr`` and ``initial_lr`` (the optimizer's rate when
    training started) of ``trainer`` on ``n_samples`` samples."""
    lr = float(trainer.optimizer.effective_lr)
    initial = trainer.lr_init_ if trainer.lr_init_ is not None else trainer.optimizer.lr
    if trainer.lr_init_ is not None and trainer.optimizer.lr != trainer.lr_init_:
        lr *= trainer.lr_init_ / trainer.optimizer.lr  # a schedule moved it: as it started
    return {"updates_per_epoch": len(trainer.batch_slices(n_samples)),
            "effective_lr": float(f"{lr:.15g}"),  # 0.3, not range()'s 0.30000000000000004
            "initial_lr": float(f"{float(initial):.15g}")}

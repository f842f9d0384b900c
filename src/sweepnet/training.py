"""The training loop: ``Trainer.fit`` returns the per-epoch history as a DataFrame."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from .errors import ShapeError
from .layers.sequential import Sequential
from .losses import CrossEntropy, Loss
from .optimizers import Optimizer
from .stopping import EarlyStopping

OK, DIVERGED = "ok", "diverged"


def check_output_layer(model: Sequential, loss: Loss) -> None:
    """Raise ``ValueError`` when the network's last layer cannot feed ``loss``.

    A loss on probabilities (``BCE``) needs a last layer whose ``outputs`` are
    ``"probabilities"`` (``Sigmoid``, ``Softmax``); a loss on logits
    (``BCEWithLogits``, ``CrossEntropy``) must not get outputs that were
    already squashed into probabilities.
    """
    last = model.layers[-1]
    name = type(loss).__name__
    squashed = getattr(last, "outputs", None) == "probabilities"
    if loss.expects == "probabilities" and not squashed:
        raise ValueError(
            f"{name} takes probabilities, but the network ends in {last!r}; end it with "
            "a Sigmoid (or Softmax), or use BCEWithLogits on the raw outputs"
        )
    if loss.expects == "logits" and squashed:
        raise ValueError(
            f"{name} takes logits, but the network ends in {last!r}, which squashes them "
            "into probabilities; remove that layer, or use BCE on probabilities"
        )


class Trainer:
    """Fit a :class:`~sweepnet.layers.Sequential` with a loss and an optimizer.

    Parameters
    ----------
    model, loss, optimizer
        The network, a :mod:`~sweepnet.losses` loss and an
        :mod:`~sweepnet.optimizers` optimizer.
    batch_size : int or None, default=None
        Samples per update; ``None`` (or at least the number of samples) is
        full-batch gradient descent.
    shuffle : bool or "cumulative", default=True
        Mini-batches only. ``True``: every epoch takes a fresh permutation of
        the samples, ``rng.permutation(n)``. ``"cumulative"``: every epoch
        permutes the previous epoch's order, as a data loader that shuffles
        its dataset in place does (tutorial 001); the orders are as random,
        the draws differ. ``False``: the samples in the order given.
    seed : int, None, RandomState or Generator, default=0
        The generator of the batch orders: an integer seeds a generator of
        the trainer's own (``np.random.default_rng(seed)``: the same seed
        gives bit-identical histories); a ``RandomState`` or ``Generator`` is
        used as it is, e.g. the one that drew the model's initial weights, as
        in a script that calls ``np.random.seed`` once.
    drop_last : bool, default=False
        Drop the last mini-batch of an epoch when it is smaller than
        ``batch_size`` (PyTorch's ``DataLoader(drop_last=True)``); the epoch's
        loss is then the mean over the samples it trained on.
    early_stopping : EarlyStopping, optional
        Stop before ``epochs`` by scikit-learn's rule (see
        :mod:`sweepnet.stopping`); the history says when and why.

    Attributes
    ----------
    status_ : str
        ``"ok"``, or ``"diverged"`` when a non-finite loss stopped training.
    history_ : pandas.DataFrame
        The history returned by the last :meth:`fit`.
    order_ : ndarray or None
        With ``shuffle="cumulative"``: the order of the samples in the last
        epoch (``X[order_]`` is the data as that epoch's loader held it).
    """

    def __init__(self, model: Sequential, loss: Loss, optimizer: Optimizer,
                 batch_size: int | None = None, shuffle: bool | str = True, seed=0,
                 drop_last: bool = False, early_stopping: EarlyStopping | None = None
                 ) -> None:
        if batch_size is not None and (
            not isinstance(batch_size, (int, np.integer)) or batch_size < 1
        ):
            raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
        if not isinstance(model, Sequential):
            model = Sequential(model)
        self.model, self.loss, self.optimizer = model, loss, optimizer
        if shuffle not in (True, False, "cumulative"):
            raise ValueError(f"shuffle must be True, False or 'cumulative', got {shuffle!r}")
        if drop_last not in (True, False):
            raise ValueError(f"drop_last must be True or False, got {drop_last!r}")
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = bool(drop_last)
        self.rng = seed if isinstance(seed, (np.random.RandomState, np.random.Generator)) \
            else np.random.default_rng(seed)
        self.order_: np.ndarray | None = None
        if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
            raise TypeError(f"early_stopping must be an EarlyStopping, got {early_stopping!r}")
        self.early_stopping = early_stopping
        check_output_layer(model, loss)

    def prepare(self, X, y, what: str = "data") -> tuple[np.ndarray, np.ndarray]:
        """Cast to the model's dtype and check every shape before training."""
        try:
            X = np.asarray(X, dtype=self.model.dtype)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{what}: features must be numeric ({error})") from None
        if X.ndim != 2 or X.shape[0] == 0:
            raise ShapeError(f"{what}: features must have shape (n_samples, n_features) with "
                             f"n_samples >= 1, got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError(f"{what}: features contain NaN or infinite values")
        y = np.asarray(y)
        if y.shape[:1] != X.shape[:1]:
            raise ShapeError(f"{what}: {X.shape[0]} samples of features but labels of shape "
                             f"{y.shape}")
        n_outputs = self.model.forward(X[:1]).shape[-1]
        return X, self.loss.prepare_targets(y, n_outputs).astype(X.dtype)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of the trained model: ``(n_samples, n_outputs)`` for the
        binary losses (``p`` of label 1 per output), softmax rows for ``CrossEntropy``."""
        X = self._features(X)
        return self.loss.probabilities(self.model.forward(X))

    def predict(self, X) -> np.ndarray:
        """Labels: ``0``/``1`` (one column per output; 1-D for one output) for the binary
        losses, class indices for ``CrossEntropy``; the outputs themselves for ``MSE``."""
        X = self._features(X)
        out = self.model.forward(X)
        if self.loss.accuracy(out[:1], out[:1]) is None:  # not a classifier: a regression
            return out[:, 0] if out.shape[1] == 1 else out
        proba = self.loss.probabilities(out)
        if isinstance(self.loss, CrossEntropy):
            return proba.argmax(axis=1)
        labels = (proba > 0.5).astype(np.int64)
        return labels[:, 0] if labels.shape[1] == 1 else labels

    def _features(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=self.model.dtype)
        if X.ndim != 2:
            raise ShapeError(f"features must have shape (n_samples, n_features), got {X.shape}")
        return X

    def batch_slices(self, n: int) -> list[slice]:
        """Each mini-batch's rows of an epoch's (ordered) ``n`` samples."""
        size = self.batch_size
        if size is None or size >= n:
            return [slice(0, n)]
        stop = n - n % size if self.drop_last else n
        return [slice(i, min(i + size, n)) for i in range(0, stop, size)]

    def epoch_order(self, n: int) -> np.ndarray | None:
        """The order of the ``n`` samples for the next epoch (``None``: as given).

        Draws from the trainer's generator only for shuffled mini-batches.
        """
        if not self.shuffle or self.batch_size is None or self.batch_size >= n:
            return None
        order = self.rng.permutation(n)
        if self.shuffle == "cumulative":
            if self.order_ is None or len(self.order_) != n:
                self.order_ = np.arange(n)
            order = self.order_ = self.order_[order]
        return order

    def _batches(self, X, Y):
        order = self.epoch_order(X.shape[0])
        if order is not None:
            X, Y = X[order], Y[order]
        return [(X[s], Y[s]) for s in self.batch_slices(X.shape[0])]

    def fit(self, X, y, epochs: int, validation_data: tuple | None = None,
            on_epoch_end: Callable[[dict], None] | None = None):
        """Train for ``epochs`` more epochs and return the whole history.

        A second ``fit`` continues: the weights, the optimizer's state and the
        batch-order generator go on, epochs are numbered on from the last one,
        and its rows are appended to ``history_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Labels; class indices or one-hot rows for ``CrossEntropy``.
        epochs : int
        validation_data : (X_val, y_val), optional
            Evaluated after every epoch.
        on_epoch_end : callable, optional
            Called with each epoch's row (a dict), e.g. to report progress.

        Returns
        -------
        pandas.DataFrame
            One row per epoch: ``epoch``, ``loss`` (the sample-weighted mean of
            the mini-batch losses, each taken before its batch's update, as in
            scikit-learn's ``loss_curve_``; the sum with ``reduction="sum"``),
            ``val_loss`` and ``val_accuracy`` with validation data, and
            ``time`` (seconds of training). ``history.attrs["status"]`` is
            ``"ok"`` or ``"diverged"``; ``history.attrs["stopped"]`` is ``None``,
            or ``{"epoch": e, "reason": ...}`` when early stopping ended it.
        """
        import pandas as pd

        if not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        X, Y = self.prepare(X, y, "training data")
        if validation_data is not None:
            X_val, Y_val = self.prepare(*validation_data, "validation data")

        model, loss, layers, step = self.model, self.loss, self.model.layers, self.optimizer.step
        fused = loss.fuses_with(layers[-1])
        weight_by_size = loss.reduction == "mean"
        rows: list[dict] = []
        previous = getattr(self, "history_", None)
        first = 1 if previous is None or previous.empty else int(previous["epoch"].iloc[-1]) + 1
        offset = 0.0 if previous is None or previous.empty else float(previous["time"].iloc[-1])
        stopping, stopped = self.early_stopping, None
        if stopping is not None:
            stopping.reset()
        self.status_ = OK
        start = time.perf_counter() - offset
        # overflow in a diverging run is caught below as a non-finite loss
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            seen = sum(s.stop - s.start for s in self.batch_slices(X.shape[0]))
            for epoch in range(first, first + int(epochs)):
                total = 0.0
                for xb, yb in self._batches(X, Y):
                    batch_loss = loss.forward(model.forward(xb), yb)
                    total += batch_loss * xb.shape[0] if weight_by_size else batch_loss
                    if not math.isfinite(batch_loss):
                        break
                    if fused:
                        model.backward(loss.backward_fused(), skip_last=True)
                    else:
                        model.backward(loss.backward())
                    step(layers)
                row = {"epoch": epoch,
                       "loss": total / seen if weight_by_size else total}
                if validation_data is not None:
                    out = model.forward(X_val)
                    row["val_loss"] = loss.forward(out, Y_val)
                    accuracy = loss.accuracy(out, Y_val)
                    if accuracy is not None:
                        row["val_accuracy"] = accuracy
                row["time"] = time.perf_counter() - start
                rows.append(row)
                if on_epoch_end is not None:
                    on_epoch_end(row)
                if not math.isfinite(row["loss"]):
                    self.status_ = DIVERGED
                    break
                if stopping is not None:
                    reason = stopping.update(row, layers)
                    if reason is not None:
                        stopped = {"epoch": epoch, "reason": reason}
                        break

        history = pd.DataFrame(rows)
        if previous is not None and not previous.empty:
            history = pd.concat([previous, history], ignore_index=True)
        history.attrs["status"] = self.status_
        history.attrs["stopped"] = stopped
        self.history_ = history
        return history


__all__ = ["Trainer", "check_output_layer"]

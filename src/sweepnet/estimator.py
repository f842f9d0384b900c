"""scikit-learn estimators on sweepnet's engine: ``GridSearchCV``, ``Pipeline``,
``cross_val_score`` over networks whose components are named through the registry.

    from sweepnet.estimator import NetClassifier, NetRegressor
    clf = NetClassifier(hidden_layer_sizes=(16,), activation="tanh").fit(X, y)
    reg = NetRegressor(hidden_layer_sizes=(32,), epochs=500).fit(X, t)

Its defaults and its training follow ``MLPClassifier``'s: the same initial
weights for the same ``random_state`` (one ``RandomState`` draws the weights,
then the early-stopping split, then the batch orders, each epoch permuting the
last one's order), the same stopping rule (``tol``, ``n_iter_no_change``, on
the training loss, or on the accuracy of a held-out ``validation_fraction``
with ``early_stopping=True``), so with ``solver``-equivalent settings its
``loss_curve_`` equals ``MLPClassifier``'s (``tests/test_estimator.py``), and so do
``partial_fit`` (one epoch over the data it is given, no early stopping), the
``ConvergenceWarning`` of a ``fit`` that used all its epochs, and ``verbose``'s lines.
``NetRegressor`` is the same network with a squared-error loss and no output layer.
"""

from __future__ import annotations

import inspect
import sys
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from . import registry
from .losses import BCE, MSE, BCEWithLogits, CrossEntropy
from .models import mlp
from .schedules import Schedule
from .stopping import EarlyStopping
from .training import DIVERGED, Trainer


class _Network(BaseEstimator):
    """What :class:`NetClassifier` and :class:`NetRegressor` share: their parameters,
    ``fit``, ``partial_fit`` and the training (see :class:`NetClassifier`)."""

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", output="auto",
                 loss="auto", optimizer="adam", lr=0.001,
                 optimizer_params=None, schedule="constant", power_t=0.5, alpha=0.0001,
                 batch_size="auto", epochs=200, init="glorot_uniform",
                 shuffle=True, random_state=None, early_stopping=False,
                 validation_fraction=0.1, tol=1e-4, n_iter_no_change=10, warm_start=False,
                 verbose=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output = output
        self.loss = loss
        self.optimizer = optimizer
        self.lr = lr
        self.optimizer_params = optimizer_params
        self.schedule = schedule
        self.power_t = power_t
        self.alpha = alpha
        self.batch_size = batch_size
        self.epochs = epochs
        self.init = init
        self.shuffle = shuffle
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.verbose = verbose

    #: the monitor of early stopping on held-out data (``early_stopping=True``)
    _held_out = "val_loss"

    def fit(self, X, y):
        """Train on ``X``, ``y`` for up to ``epochs`` epochs (a second call continues
        when ``warm_start``); a ``ConvergenceWarning`` when it used them all."""
        return self._fit(X, y, incremental=False)

    def _fit(self, X, y, incremental: bool, classes=None):
        go_on = hasattr(self, "trainer_") and (incremental or bool(self.warm_start))
        X, y = validate_data(self, X, y, dtype=np.float64, reset=not go_on,
                             multi_output=not isinstance(self, ClassifierMixin))
        epochs = 1 if incremental else self.epochs
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {self.epochs!r}")
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not hold data out: early_stopping=True is for "
                             "fit (as scikit-learn's)")
        target = self._targets(y, go_on, classes)
        if go_on:
            trainer, rng = self.trainer_, self._rng
        else:
            rng = self._rng = check_random_state(self.random_state)
            trainer = self.trainer_ = self._trainer(X.shape[1], rng)
            self.model_ = trainer.model
        epochs = int(epochs)
        validation = None
        if self.early_stopping and not incremental:
            X, X_val, target, y_val = train_test_split(
                X, target, random_state=rng, test_size=self.validation_fraction,
                stratify=target if isinstance(self, ClassifierMixin) else None)
            validation = (X_val, y_val)
        if self.batch_size == "auto":  # on the samples it trains on, as scikit-learn
            trainer.batch_size = min(200, X.shape[0])
        if incremental:  # scikit-learn's partial_fit: one epoch (the stopping rule counts, so
            # "adaptive" lowers the rate, but one epoch is all a call trains), the batch order
            # drawn from the data's own order by check_random_state(random_state) anew (with
            # an int random_state: the same order at every call)
            trainer.order_ = None
            if go_on:
                trainer.rng = self._rng = check_random_state(self.random_state)
        history = trainer.fit(X, target, epochs, validation_data=validation,
                              on_epoch_end=self._say if self.verbose else None)
        trained = len(history) - getattr(self, "n_iter_", 0) if go_on else len(history)
        self.history_ = history
        self.n_iter_ = len(history)
        self.stopped_ = history.attrs.get("stopped")
        self.loss_curve_ = history["loss"].tolist()
        if validation is not None:
            self.validation_loss_curve_ = history["val_loss"].tolist()
            if "val_accuracy" in history:
                self.validation_scores_ = history["val_accuracy"].tolist()
        if trainer.status_ == DIVERGED:  # in this fit
            raise ValueError("training diverged: the loss became non-finite; use a smaller lr")
        if not incremental and self.stopped_ is None and trained >= epochs:
            warnings.warn(f"{type(self).__name__}: all {epochs} epochs trained and the "
                          f"loss has not converged yet (tol={self.tol:g}); raise epochs",
                          ConvergenceWarning, stacklevel=3)
        return self

    @staticmethod
    def _say(row: dict) -> None:
        """``verbose``: one line per epoch, as ``MLPClassifier`` prints them."""
        print(f"Iteration {int(row['epoch'])}, loss = {row['loss']:.8f}", file=sys.stdout)

    def _network(self, n_features: int, outputs: int, loss, rng) -> Trainer:
        """The trainer of an MLP with ``outputs`` outputs and ``loss``."""
        output = self.output
        if output == "auto":
            output = "sigmoid" if loss.expects == "probabilities" else None
        sizes = [n_features, *_widths(self.hidden_layer_sizes), outputs]
        model = mlp(sizes, activation=self.activation, output=output,
                    init=self.init, seed=rng)
        batch = self.batch_size
        if batch != "auto" and batch is not None and (
                isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1):
            raise ValueError(f"batch_size must be a positive integer, 'auto' or None, got "
                             f"{batch!r}")
        stopping = EarlyStopping(tol=self.tol, n_iter_no_change=self.n_iter_no_change,
                                 monitor=self._held_out if self.early_stopping else "loss")
        return Trainer(model, loss, self._optimizer(),
                       batch_size=None if batch in (None, "auto") else int(batch),
                       shuffle="cumulative" if self.shuffle else False, seed=rng,
                       early_stopping=stopping, alpha=self.alpha,
                       schedule=Schedule(self.schedule, self.power_t))

    def _optimizer(self):
        """The optimizer, its parameters checked: a name it does not take is a
        ``ValueError`` that lists the ones it does."""
        params = dict(self.optimizer_params or {})
        factory = registry.optimizers.get(self.optimizer)
        if self.optimizer == "adam":  # MLPClassifier's Adam
            params.setdefault("variant", "sklearn")
        try:
            accepted = inspect.signature(factory).parameters
        except (TypeError, ValueError):  # a factory without a signature: let it say
            accepted = {}
        if accepted and not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
            unknown = sorted(set(params) - set(accepted))
            if unknown:
                allowed = ", ".join(n for n in accepted if n not in ("self", "lr", "params"))
                raise ValueError(f"optimizer_params: {self.optimizer!r} takes no "
                                 f"{', '.join(unknown)}; it takes {allowed} (and lr, the "
                                 f"estimator's own parameter)")
        return factory(lr=self.lr, **params)


class NetClassifier(ClassifierMixin, _Network):
    """A multi-layer perceptron classifier trained by sweepnet's engine.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
    activation : str, default="relu"
        A layer name from the registry (``relu``, ``tanh``, ``sigmoid``, a
        plugin's ``swish``).
    output : str, None or "auto", default="auto"
        The last layer (a registry name, or None for raw logits); ``"auto"``: a
        sigmoid for ``bce``, none for the losses on logits.
    loss : str, default="auto"
        ``bce`` (two classes: one sigmoid output), ``bce_with_logits`` (one
        logit), ``cross_entropy`` (one logit per class); ``"auto"``: ``bce`` for
        two classes, ``cross_entropy`` for more, as ``MLPClassifier``.
    optimizer : str, default="adam"
        An optimizer name from the registry (``sgd``, ``adam``); ``adam`` is
        scikit-learn's variant here unless ``optimizer_params`` say otherwise.
    lr : float, default=0.001
        The optimizer's initial learning rate (``learning_rate_init``).
    optimizer_params : dict, optional
        Its other arguments, e.g. ``{"momentum": 0.9}`` for ``sgd``; a name the
        optimizer does not take is a ``ValueError`` listing those it does.
    schedule : {"constant", "invscaling", "adaptive"}, default="constant"
        How the rate changes between epochs (``learning_rate``;
        :mod:`sweepnet.schedules`).
    power_t : float, default=0.5
        ``invscaling``'s exponent.
    alpha : float, default=0.0001
        L2 penalty, scikit-learn's: ``alpha / (2 n)`` times the sum of the squared
        weights added to each batch's loss (:mod:`sweepnet.regularization`).
    batch_size : int, "auto" or None, default="auto"
        ``"auto"``: ``min(200, n_samples)``, as scikit-learn; None: full batch.
    epochs : int, default=200
        The most epochs one ``fit`` trains (``max_iter``); a ``fit`` that trains
        them all without stopping warns (``ConvergenceWarning``), as scikit-learn.
    init : str, default="glorot_uniform"
        An initializer name (:mod:`sweepnet.layers.init`).
    shuffle : bool, default=True
    random_state : int, RandomState or None, default=None
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` (stratified) and stop on its accuracy,
        keeping the best epoch's weights; otherwise stop on the training loss.
    validation_fraction : float, default=0.1
    tol : float, default=1e-4
    n_iter_no_change : int, default=10
    warm_start : bool, default=False
        Continue from the last ``fit`` (weights, optimizer state, epoch count).
    verbose : bool, default=False
        Print each epoch's loss (``Iteration 3, loss = 0.41234567``), as
        ``MLPClassifier``.

    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_
    loss_curve_ : list of float
        The training loss of every epoch.
    validation_loss_curve_, validation_scores_ : list of float
        With ``early_stopping``: the held-out loss and accuracy of every epoch.
    n_iter_ : int
        Epochs trained (over all warm-started fits and ``partial_fit`` calls).
    stopped_ : dict or None
        When and why the last ``fit`` stopped early.
    history_ : pandas.DataFrame
        One row per epoch (``Trainer.fit``'s history).
    model_, trainer_
        The network and its :class:`~sweepnet.training.Trainer`.
    """

    _held_out = "val_accuracy"

    def partial_fit(self, X, y, classes=None):
        """One epoch over ``X``, ``y`` (scikit-learn's ``partial_fit``): the first call
        needs ``classes`` (every class of the whole data); later calls go on from the
        weights and optimizer state, without early stopping. As scikit-learn's, each
        call draws its batch order with ``check_random_state(random_state)`` anew."""
        if not hasattr(self, "trainer_") and classes is None:
            raise ValueError("the first partial_fit needs classes=: every class the data "
                             "has (np.unique(y_all))")
        return self._fit(X, y, incremental=True, classes=classes)

    def _targets(self, y, go_on: bool, classes=None) -> np.ndarray:
        """Class indices into ``classes_`` (set on a fresh fit)."""
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if go_on:
            unknown = np.setdiff1d(np.unique(y), self.classes_)
            if len(unknown):
                raise ValueError(f"y has classes {unknown} that the fitted network does not "
                                 f"(classes_: {self.classes_})")
        else:
            encoder = LabelEncoder().fit(y if classes is None else np.asarray(classes))
            if classes is not None and len(np.setdiff1d(np.unique(y), encoder.classes_)):
                raise ValueError(f"y has classes outside classes={list(classes)}")
            self.classes_ = encoder.classes_
            if len(self.classes_) < 2:
                raise ValueError(f"NetClassifier needs samples of at least 2 classes in the "
                                 f"data, got 1 class: {self.classes_[0]!r}")
        return np.searchsorted(self.classes_, y)

    def _trainer(self, n_features: int, rng) -> Trainer:
        binary = len(self.classes_) == 2
        name = self.loss if self.loss != "auto" else "bce" if binary else "cross_entropy"
        # scikit-learn's log loss clips the probabilities
        loss = CrossEntropy(clip=True) if self.loss == "auto" and not binary \
            else registry.losses.get(name)()
        if not isinstance(loss, (BCE, BCEWithLogits, CrossEntropy)):
            raise ValueError(f"loss must be a classification loss (auto, bce, bce_with_logits, "
                             f"cross_entropy), got {self.loss!r}")
        if isinstance(loss, (BCE, BCEWithLogits)) and not binary:
            raise ValueError(f"loss={name!r} has one output for two classes; y has "
                             f"{len(self.classes_)} classes: use cross_entropy (or auto)")
        outputs = len(self.classes_) if isinstance(loss, CrossEntropy) else 1
        return self._network(n_features, outputs, loss, rng)

    def predict_proba(self, X):
        """Class probabilities, one column per class in ``classes_``."""
        check_is_fitted(self, "trainer_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        proba = self.trainer_.predict_proba(X)
        return np.hstack([1 - proba, proba]) if proba.shape[1] == 1 else proba

    def predict(self, X):
        """The most probable class of each sample."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class NetRegressor(RegressorMixin, _Network):
    """A multi-layer perceptron regressor trained by sweepnet's engine.

    The parameters and attributes of :class:`NetClassifier`, for continuous
    targets ``y`` of shape ``(n_samples,)`` or ``(n_samples, n_outputs)``:
    ``loss`` ``"auto"`` is ``mse`` (the mean squared error over samples, summed
    over outputs; any regression loss of the registry may be named), ``output``
    ``"auto"`` is none (the last linear layer's values), and ``early_stopping``
    holds out ``validation_fraction`` and stops on its loss, keeping the best
    epoch's weights. ``score`` is R², as every scikit-learn regressor's.
    """

    def partial_fit(self, X, y):
        """One epoch over ``X``, ``y`` (scikit-learn's ``partial_fit``); later calls go on
        from the weights and optimizer state, without early stopping."""
        return self._fit(X, y, incremental=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # y of shape (n_samples, n_outputs)
        return tags

    def _targets(self, y, go_on: bool, classes=None) -> np.ndarray:
        """``y`` as a float array of shape ``(n_samples, n_outputs)``."""
        y = np.asarray(y, dtype=np.float64)
        outputs = 1 if y.ndim == 1 else y.shape[1]
        if go_on and outputs != self.n_outputs_:
            raise ValueError(f"y has {outputs} output(s) per sample; the fitted network has "
                             f"{self.n_outputs_}")
        if not go_on:
            self._one_output = y.ndim == 1
            self.n_outputs_ = outputs
        return y.reshape(len(y), -1)

    def _trainer(self, n_features: int, rng) -> Trainer:
        loss = MSE() if self.loss == "auto" else registry.losses.get(self.loss)()
        if isinstance(loss, (BCE, BCEWithLogits, CrossEntropy)):
            raise ValueError(f"loss must be a regression loss (auto, mse, or a plugin's), "
                             f"got {self.loss!r}: for classes use NetClassifier")
        return self._network(n_features, self.n_outputs_, loss, rng)

    def predict(self, X):
        """The network's outputs: shape ``(n_samples,)`` when it was fitted on a 1-D ``y``."""
        check_is_fitted(self, "trainer_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        out = self.trainer_.model.forward(X)
        return out.ravel() if self._one_output else out


def _widths(sizes) -> list[int]:
    sizes = [sizes] if isinstance(sizes, (int, np.integer)) else list(sizes)
    for width in sizes:
        if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {sizes!r}")
    return [int(w) for w in sizes]


__all__ = ["NetClassifier", "NetRegressor"]

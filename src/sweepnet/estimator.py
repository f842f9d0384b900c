"""A scikit-learn classifier on sweepnet's engine: ``GridSearchCV``, ``Pipeline``,
``cross_val_score`` over networks whose components are named through the registry.

    from sweepnet.estimator import NetClassifier
    clf = NetClassifier(hidden_layer_sizes=(16,), activation="swish").fit(X, y)

Its defaults and its training follow ``MLPClassifier``'s: the same initial
weights for the same ``random_state`` (one ``RandomState`` draws the weights,
then the early-stopping split, then the batch orders, each epoch permuting the
last one's order), the same stopping rule (``tol``, ``n_iter_no_change``, on
the training loss, or on the accuracy of a held-out ``validation_fraction``
with ``early_stopping=True``), so with ``solver``-equivalent settings its
``loss_curve_`` equals ``MLPClassifier``'s (``tests/test_estimator.py``).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from . import registry
from .losses import BCE, BCEWithLogits, CrossEntropy
from .models import mlp
from .schedules import Schedule
from .stopping import EarlyStopping
from .training import DIVERGED, Trainer


class NetClassifier(ClassifierMixin, BaseEstimator):
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
        Its other arguments, e.g. ``{"momentum": 0.9}`` for ``sgd``.
    schedule : {"constant", "invscaling", "adaptive"}, default="constant"
        How the rate changes between epochs (``learning_rate``;
        :mod:`sweepnet.schedules`).
    power_t : float, default=0.5
        ``invscaling``'s exponent.
    alpha : float, default=0.0001
        L2 penalty (:mod:`sweepnet.regularization`).
    batch_size : int, "auto" or None, default="auto"
        ``"auto"``: ``min(200, n_samples)``, as scikit-learn; None: full batch.
    epochs : int, default=200
        The most epochs one ``fit`` trains (``max_iter``).
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

    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_
    loss_curve_ : list of float
        The training loss of every epoch.
    validation_loss_curve_, validation_scores_ : list of float
        With ``early_stopping``: the held-out loss and accuracy of every epoch.
    n_iter_ : int
        Epochs trained (over all warm-started fits).
    stopped_ : dict or None
        When and why the last ``fit`` stopped early.
    history_ : pandas.DataFrame
        One row per epoch (``Trainer.fit``'s history).
    model_, trainer_
        The network and its :class:`~sweepnet.training.Trainer`.
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", output="auto",
                 loss="auto", optimizer="adam", lr=0.001,
                 optimizer_params=None, schedule="constant", power_t=0.5, alpha=0.0001,
                 batch_size="auto", epochs=200, init="glorot_uniform",
                 shuffle=True, random_state=None, early_stopping=False,
                 validation_fraction=0.1, tol=1e-4, n_iter_no_change=10, warm_start=False):
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

    def fit(self, X, y):
        """Train on ``X``, ``y`` (a second call continues when ``warm_start``)."""
        X, y = validate_data(self, X, y, dtype=np.float64, reset=not self._continues())
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if self._continues():
            if not np.array_equal(np.unique(y), self.classes_):
                raise ValueError(f"warm_start: y has classes {np.unique(y)}, the fitted "
                                 f"network {self.classes_}")
            trainer, rng = self.trainer_, self._rng
        else:
            encoder = LabelEncoder().fit(y)
            self.classes_ = encoder.classes_
            if len(self.classes_) < 2:
                raise ValueError(f"NetClassifier needs samples of at least 2 classes in the "
                                 f"data, got 1 class: {self.classes_[0]!r}")
            rng = self._rng = check_random_state(self.random_state)
            trainer = self.trainer_ = self._trainer(X.shape[1], rng)
            self.model_ = trainer.model
        target = np.searchsorted(self.classes_, y)
        validation = None
        if self.early_stopping:
            X, X_val, target, y_val = train_test_split(
                X, target, random_state=rng, test_size=self.validation_fraction,
                stratify=target)
            validation = (X_val, y_val)
        epochs = int(self.epochs)
        if epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {self.epochs!r}")
        if self.batch_size == "auto":  # on the samples it trains on, as scikit-learn
            trainer.batch_size = min(200, X.shape[0])
        history = trainer.fit(X, target, epochs, validation_data=validation)
        self.history_ = history
        self.n_iter_ = len(history)
        self.stopped_ = history.attrs.get("stopped")
        self.loss_curve_ = history["loss"].tolist()
        if validation is not None:
            self.validation_loss_curve_ = history["val_loss"].tolist()
            self.validation_scores_ = history["val_accuracy"].tolist()
        if trainer.status_ == DIVERGED:  # in this fit
            raise ValueError("training diverged: the loss became non-finite; use a smaller lr")
        return self

    def _continues(self) -> bool:
        return bool(self.warm_start) and hasattr(self, "trainer_")

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
        output = self.output
        if output == "auto":
            output = "sigmoid" if loss.expects == "probabilities" else None
        sizes = [n_features, *_widths(self.hidden_layer_sizes), outputs]
        model = mlp(sizes, activation=self.activation, output=output,
                    init=self.init, seed=rng)
        params = dict(self.optimizer_params or {})
        factory = registry.optimizers.get(self.optimizer)
        if self.optimizer == "adam":  # MLPClassifier's Adam
            params.setdefault("variant", "sklearn")
        optimizer = factory(lr=self.lr, **params)
        batch = self.batch_size
        if batch != "auto" and batch is not None and (
                isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1):
            raise ValueError(f"batch_size must be a positive integer, 'auto' or None, got "
                             f"{batch!r}")
        stopping = EarlyStopping(tol=self.tol, n_iter_no_change=self.n_iter_no_change,
                                 monitor="val_accuracy" if self.early_stopping else "loss")
        trainer = Trainer(model, loss, optimizer,
                          batch_size=None if batch in (None, "auto") else int(batch),
                          shuffle="cumulative" if self.shuffle else False, seed=rng,
                          early_stopping=stopping, alpha=self.alpha,
                          schedule=Schedule(self.schedule, self.power_t))
        return trainer

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


def _widths(sizes) -> list[int]:
    sizes = [sizes] if isinstance(sizes, (int, np.integer)) else list(sizes)
    for width in sizes:
        if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {sizes!r}")
    return [int(w) for w in sizes]


__all__ = ["NetClassifier"]

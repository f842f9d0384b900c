"""Loss functions: ``BCE``, ``BCEWithLogits``, ``CrossEntropy`` and ``MSE``.

Every loss sums over the output axis and reduces over samples: with
``reduction="mean"`` (the default) it divides by the number of samples, the
convention of scikit-learn's ``loss_curve_``; with ``reduction="sum"`` it
does not (tutorial 000 sums). Arrays have shape ``(n_samples, n_outputs)``,
and ``forward`` returns a float.

A loss made for a stack of ``M`` models (:meth:`Loss.for_stack`, used by
:mod:`sweepnet.stacking`) takes arrays of shape ``(M, n_samples, n_outputs)``:
``forward`` then returns one loss per model (an array of shape ``(M,)``), each
reduced exactly as that model's loss alone (never across models), and
``backward`` gives each model its own gradient. A loss declares that its maths
allows this with ``stackable = True`` (``sweepnet.testing.check_stacking``
checks the numbers).
"""

from __future__ import annotations

import copy

import numpy as np

from .errors import ShapeError
from .layers.activations import Sigmoid, sigmoid
from .layers.base import Layer

REDUCTIONS = ("mean", "sum")


class Loss:
    """Base class: ``forward(y_pred, y_true) -> float``, ``backward() -> dL/dy_pred``.

    Attributes
    ----------
    expects : str
        What the network must output: ``"probabilities"``, ``"logits"`` or
        ``"any"`` real values.
    """

    expects = "any"
    #: whether :meth:`for_stack` works: the formulas reduce through ``_sum`` / ``_dot``
    stackable = False
    #: ``None`` for one model; the number of models of a stack (:meth:`for_stack`)
    models: int | None = None

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def _scale(self, y_pred: np.ndarray) -> int:
        return y_pred.shape[-2] if self.reduction == "mean" else 1

    def for_stack(self, models: int) -> Loss:
        """A copy of this loss for a stack of ``models`` models: arrays carry a leading
        model axis and every reduction keeps it (one loss, one gradient per model)."""
        if not self.stackable:
            raise ValueError(f"{type(self).__name__} does not declare stackable = True")
        stacked = copy.copy(self)
        stacked.models = int(models)
        return stacked

    def _value(self, total):
        """A reduced total as a Python float, or one float64 per model for a stack."""
        return total.astype(np.float64) if self.models is not None else float(total)

    def _sum(self, values: np.ndarray):
        """Σ over samples and outputs: a float, or one per model for a stack."""
        if self.models is not None:
            return self._value(values.sum(axis=(-2, -1)))
        return float(values.sum())

    def _dot(self, a: np.ndarray, b: np.ndarray):
        """Σ a * b over samples and outputs as a BLAS dot product, in the arrays' dtype
        (per model for a stack); :meth:`_value` makes it a float."""
        if self.models is not None:
            m = a.shape[0]
            return (a.reshape(m, 1, -1) @ b.reshape(m, -1, 1)).reshape(m)
        return np.dot(a.reshape(-1), b.reshape(-1))

    def _mean(self, hits: np.ndarray):
        """The fraction of true values over samples (per model for a stack)."""
        if self.models is not None:
            return hits.mean(axis=(-2, -1))
        return float(np.mean(hits))

    def _check(self, y_pred: np.ndarray, y_true: np.ndarray) -> None:
        if y_pred.shape != y_true.shape:
            raise ShapeError(
                f"{type(self).__name__}: predictions have shape {y_pred.shape} but "
                f"targets have shape {y_true.shape}; they must be equal"
            )

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def fuses_with(self, layer: Layer) -> bool:
        """Whether :meth:`backward_fused` can start backprop below ``layer``."""
        return False

    def backward_fused(self) -> np.ndarray:
        """Gradient with respect to the input of the last layer (see :meth:`fuses_with`)."""
        raise NotImplementedError

    def prepare_targets(self, y, n_outputs: int) -> np.ndarray:
        """Validate labels and return them with shape ``(n_samples, n_outputs)``."""
        y = np.asarray(y)
        if y.ndim == 1 and n_outputs == 1:
            y = y.reshape(-1, 1)
        if y.ndim != 2 or y.shape[1] != n_outputs:
            raise ShapeError(
                f"{type(self).__name__}: the network has {n_outputs} output(s), so targets "
                f"must have shape (n_samples, {n_outputs})"
                + (" or (n_samples,)" if n_outputs == 1 else "")
                + f"; got {y.shape}"
            )
        if not np.issubdtype(y.dtype, np.number) or not np.all(np.isfinite(y)):
            raise ValueError(f"{type(self).__name__}: targets must be finite numbers")
        return y

    def accuracy(self, y_pred: np.ndarray, y_true: np.ndarray) -> float | None:
        """Fraction of correct predictions, or ``None`` when not a classifier loss."""
        return None

    def constant_loss(self, y_true: np.ndarray) -> float | None:
        """The lowest loss a network that ignores its input can reach on ``y_true``.

        ``y_true`` has shape ``(n_samples, n_outputs)`` (as :meth:`prepare_targets`
        returns it). A network whose output is this constant has learned nothing
        from the features: a curve flat at this level is stuck. ``None`` when the
        loss does not say (a plugin loss that does not override this).
        """
        return None

    def probabilities(self, y_pred: np.ndarray) -> np.ndarray:
        """The class probabilities the network's outputs stand for (classifier losses)."""
        raise ValueError(f"{type(self).__name__} is not a classification loss: the network's "
                         f"outputs are its predictions")

    def _reduce_constant(self, per_sample: float, y_true: np.ndarray) -> float:
        """A mean loss per sample, as this loss reduces it (times ``n`` for ``sum``)."""
        return float(per_sample) * (len(y_true) if self.reduction == "sum" else 1)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


class _BinaryTargets(Loss):
    """Shared label handling of the two binary cross entropies."""

    threshold = 0.5
    stackable = True

    def prepare_targets(self, y, n_outputs):
        y = super().prepare_targets(y, n_outputs)
        if np.any((y < 0) | (y > 1)):
            raise ValueError(
                f"{type(self).__name__}: targets must lie in [0, 1] (labels 0 and 1); "
                f"got values {np.unique(y)[:10]}"
            )
        return y

    def accuracy(self, y_pred, y_true):
        return self._mean((y_pred > self.threshold) == (y_true > 0.5))

    def probabilities(self, y_pred):
        """``p`` of each output (label 1)."""
        return y_pred if self.expects == "probabilities" else sigmoid(y_pred)

    def constant_loss(self, y_true):
        """The entropy of the labels: ``Σ_k H(ȳ_k)``, ``H(q) = -q log q - (1 - q) log(1 - q)``,
        reached by the constant probability ``p_k = ȳ_k`` (the mean label of output ``k``);
        ``log 2`` for balanced classes."""
        return self._reduce_constant(_entropy(np.stack([1 - _means(y_true), _means(y_true)])),
                                     y_true)


class BCE(_BinaryTargets):
    """Binary cross entropy on probabilities ``p`` (after a ``Sigmoid``).

    ``L = -Σ [y log p + (1 - y) log(1 - p)]``, with ``p`` clipped to
    ``[eps, 1 - eps]`` (``eps`` of the dtype, as scikit-learn does) so the loss
    and ``dL/dp = (p - y) / (p (1 - p))`` stay finite at ``p = 0`` and ``p = 1``.

    After a ``Sigmoid`` the product with ``σ' = p (1 - p)`` cancels and the
    gradient with respect to the logits is ``p - y`` (:meth:`backward_fused`).
    """

    expects = "probabilities"

    def forward(self, y_pred, y_true):
        self._check(y_pred, y_true)
        eps = np.finfo(y_pred.dtype).eps
        p = np.minimum(np.maximum(y_pred, eps), 1 - eps)
        self.y_pred, self.p, self.y_true = y_pred, p, y_true
        # Σ y log p + Σ (1 - y) log(1 - p), the sums as BLAS dot products
        total = self._dot(y_true, np.log(p)) + self._dot(1 - y_true, np.log(1 - p))
        return -self._value(total) / self._scale(y_pred)

    def backward(self):
        p, y = self.p, self.y_true
        return (p - y) / (p * (1 - p)) / self._scale(p)

    def fuses_with(self, layer):
        return type(layer) is Sigmoid

    def backward_fused(self):
        return (self.y_pred - self.y_true) / self._scale(self.y_pred)


class BCEWithLogits(_BinaryTargets):
    """Binary cross entropy on logits ``z``, i.e. ``BCE(σ(z), y)`` computed stably.

    ``L = Σ softplus(z) - y z`` with ``softplus(z) = max(z, 0) + log(1 + exp(-|z|))``,
    finite for any ``z``; ``dL/dz = σ(z) - y``.
    """

    expects = "logits"
    threshold = 0.0

    def forward(self, y_pred, y_true):
        self._check(y_pred, y_true)
        self.z, self.y_true = y_pred, y_true
        softplus = np.maximum(y_pred, 0) + np.log1p(np.exp(-np.abs(y_pred)))
        return self._sum(softplus - y_true * y_pred) / self._scale(y_pred)

    def backward(self):
        return (sigmoid(self.z) - self.y_true) / self._scale(self.z)


class CrossEntropy(Loss):
    """Categorical cross entropy on logits ``z`` of shape ``(n_samples, n_classes)``.

    ``L = -Σ_k y_k log softmax(z)_k`` with ``log softmax(z) = z - logsumexp(z)``;
    ``dL/dz = softmax(z) - y``. Targets are class indices ``(n_samples,)`` or
    one-hot rows ``(n_samples, n_classes)``.

    ``clip=True`` is scikit-learn's log loss: the probabilities clipped to
    ``[eps, 1 - eps]`` (``eps`` of the dtype) in the loss, the gradient still
    ``softmax(z) - y``. The two differ only where a probability leaves that
    range (a sample's loss above ``-log eps``, 36 in float64, or a sure class).
    """

    expects = "logits"
    stackable = True

    def __init__(self, reduction: str = "mean", clip: bool = False) -> None:
        super().__init__(reduction)
        if clip not in (True, False):
            raise ValueError(f"clip must be true or false, got {clip!r}")
        self.clip = bool(clip)

    def forward(self, y_pred, y_true):
        self._check(y_pred, y_true)
        shifted = y_pred - y_pred.max(axis=-1, keepdims=True)
        log_prob = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        self.log_prob, self.y_true = log_prob, y_true
        if self.clip:
            eps = np.finfo(log_prob.dtype).eps
            log_prob = np.log(np.clip(np.exp(log_prob), eps, 1 - eps))
        return -self._sum(y_true * log_prob) / self._scale(y_pred)

    def backward(self):
        return (np.exp(self.log_prob) - self.y_true) / self._scale(self.log_prob)

    def probabilities(self, y_pred):
        """``softmax(z)`` of each row."""
        shifted = np.exp(y_pred - y_pred.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)

    def prepare_targets(self, y, n_outputs):
        if n_outputs < 2:
            raise ShapeError(
                "CrossEntropy needs a network with one output per class (at least 2); "
                "for one output use BCE or BCEWithLogits"
            )
        y = np.asarray(y)
        if y.ndim == 1:
            if not np.issubdtype(y.dtype, np.number) or np.any(y != np.round(y)):
                raise ValueError("CrossEntropy: class labels must be integers")
            if y.size and (y.min() < 0 or y.max() >= n_outputs):
                raise ValueError(
                    f"CrossEntropy: class labels must lie in [0, {n_outputs - 1}] for a "
                    f"network with {n_outputs} outputs; got {y.min()}..{y.max()}"
                )
            return np.eye(n_outputs)[y.astype(np.intp)]
        return super().prepare_targets(y, n_outputs)

    def accuracy(self, y_pred, y_true):
        return self._mean((y_pred.argmax(axis=-1) == y_true.argmax(axis=-1))[..., None])

    def constant_loss(self, y_true):
        """The entropy of the class frequencies ``q``: ``-Σ_k q_k log q_k``, reached by the
        constant logits ``log q``."""
        return self._reduce_constant(_entropy(_means(y_true)), y_true)


class MSE(Loss):
    """Squared error ``L = Σ (y_pred - y)^2``; ``dL/dy_pred = 2 (y_pred - y)``."""

    stackable = True

    def forward(self, y_pred, y_true):
        self._check(y_pred, y_true)
        self.diff = y_pred - y_true
        return self._sum(self.diff * self.diff) / self._scale(y_pred)

    def backward(self):
        return 2 * self.diff / self._scale(self.diff)

    def constant_loss(self, y_true):
        """The variance of the targets, summed over outputs: ``Σ_k mean((y_k - ȳ_k)²)``,
        reached by predicting the mean ``ȳ``."""
        y = np.asarray(y_true, dtype=np.float64)
        return self._reduce_constant(float(((y - y.mean(axis=0)) ** 2).mean(axis=0).sum()),
                                     y_true)


def _means(y_true: np.ndarray) -> np.ndarray:
    """The mean of each output over samples, ``(n_outputs,)``."""
    return np.asarray(y_true, dtype=np.float64).mean(axis=0)


def _entropy(q: np.ndarray) -> float:
    """``-Σ q log q`` over the first axis, summed over the rest (``0 log 0 = 0``)."""
    q = np.asarray(q, dtype=np.float64)
    return float(-np.sum(q * np.log(np.where(q > 0, q, 1.0))))




__all__ = ["BCE", "BCEWithLogits", "CrossEntropy", "Loss", "MSE"]

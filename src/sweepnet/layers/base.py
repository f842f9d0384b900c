"""The layer protocol and the base class for elementwise activations."""

from __future__ import annotations

import numpy as np


class Layer:
    """One differentiable step ``y = f(x)`` of a network.

    Arrays follow the layout of scikit-learn: ``x`` has shape
    ``(..., n_samples, n_features)``: features on the last axis, samples on the
    axis before it, and any extra leading axes broadcast.

    Attributes
    ----------
    params : dict of str to ndarray
        Trainable arrays by name (empty for activations).
    grads : dict of str to ndarray
        Gradients of the loss with the same keys and shapes as ``params``,
        written by :meth:`backward`.
    outputs : str or None
        ``"probabilities"`` for layers whose outputs lie in [0, 1] (``Sigmoid``,
        ``Softmax``): losses on probabilities need one last, losses on logits
        refuse one.
    stackable : bool
        Whether the layer works on a stack of models (a leading model axis on its
        inputs: :mod:`sweepnet.stacking`). Elementwise activations do; a layer
        with parameters stacks only if it is ``Linear``.
        ``sweepnet.testing.check_stacking`` checks the numbers.
    """

    outputs: str | None = None
    stackable = False

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return ``f(x)`` and cache what :meth:`backward` needs."""
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Given ``dL/dy``, set ``self.grads`` and return ``dL/dx``."""
        raise NotImplementedError

    def backward_params(self, grad_out: np.ndarray) -> None:
        """Set ``self.grads`` only; used for the first layer, whose input is data.

        Layers that can skip computing ``dL/dx`` (``Linear``) override this.
        """
        self.backward(grad_out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Activation(Layer):
    """Base class for elementwise activations ``y = f(x)``.

    A subclass defines :meth:`function` and :meth:`derivative`; the chain rule
    ``dL/dx = dL/dy * f'(x)`` is applied here. Built-ins override
    :meth:`backward` where ``f'`` is cheaper from the cached output ``y``.

    Example
    -------
    >>> class Square(Activation):
    ...     def function(self, x):
    ...         return x * x
    ...     def derivative(self, x):
    ...         return 2 * x
    """

    stackable = True  # elementwise: a leading model axis changes nothing

    def function(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        self.y = self.function(x)
        return self.y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out * self.derivative(self.x)


def sum_to_shape(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added to an array of ``shape``.

    The gradient of a broadcast parameter is the sum of the gradients of all
    the places it was broadcast to.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
    )
    return grad.sum(axis=axes).reshape(shape)

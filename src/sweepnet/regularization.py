"""L2 regularization as scikit-learn's MLP computes it: a penalty on the weights, per batch.

For a mini-batch of ``n`` samples and a strength ``α`` (``alpha``), every
parameter named ``weight`` (not the biases) adds::

    loss    += 0.5 · α · Σ ‖W‖² / n
    dL/dW   += α · W / n

so the epoch's loss (the sample-weighted mean of its batch losses) is the
penalized objective, as ``MLPClassifier.loss_curve_``. With full batches of
``b`` samples the gradient part is PyTorch's ``weight_decay = α / b`` on the
weights. For a stack of ``M`` models, ``α`` holds one value per model and every
sum is taken per model, as that model's sum alone (BLAS dot products).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .layers.base import Layer


def _weights(layers: Sequence[Layer]):
    return [layer.params["weight"] for layer in layers if "weight" in layer.params]


def l2_penalty(layers: Sequence[Layer], alpha, n: int, models: int | None):
    """``0.5 · α · Σ ‖W‖² / n``: a float, or one per model (``models`` of a stack)."""
    if models is None:
        total = 0.0
        for weight in _weights(layers):
            flat = weight.reshape(-1)
            total += float(np.dot(flat, flat))
        return 0.5 * alpha * total / n
    total = np.zeros(models)
    for weight in _weights(layers):
        flat = weight.reshape(models, 1, -1)
        total += (flat @ flat.reshape(models, -1, 1)).reshape(models)
    return 0.5 * alpha * total / n


def add_l2_gradient(layers: Sequence[Layer], alpha, n: int, models: int | None) -> None:
    """``dL/dW += α · W / n`` for every weight of ``layers`` (after backpropagation)."""
    for layer in layers:
        if "weight" not in layer.params:
            continue
        weight = layer.params["weight"]
        scale = alpha if models is None else \
            alpha.reshape((-1,) + (1,) * (weight.ndim - 1)).astype(weight.dtype, copy=False)
        layer.grads["weight"] += scale * weight / n

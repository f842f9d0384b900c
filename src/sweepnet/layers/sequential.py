"""A network as a chain of layers, and the ``mlp`` builder."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from ..errors import ShapeError
from .base import Layer
from .init import as_random_state
from .linear import Linear


class Sequential:
    """Layers applied one after the other: ``y = f_k(... f_2(f_1(x)))``.

    Raises :class:`~sweepnet.errors.ShapeError` at construction when a layer's
    input width differs from the output width of the layer before it.
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("Sequential needs at least one layer")
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} is {layer!r}, which is not a sweepnet Layer")
        self._check_widths()

    def _check_widths(self) -> None:
        width, source = None, None
        for i, layer in enumerate(self.layers):
            expected = getattr(layer, "in_features", None)
            if expected is not None and width is not None and expected != width:
                raise ShapeError(
                    f"layer {i} {layer!r} expects {expected} input features, but "
                    f"layer {source[0]} {source[1]!r} outputs {width}"
                )
            out = getattr(layer, "out_features", None)
            if out is not None:
                width, source = out, (i, layer)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return the network's output for ``x`` of shape ``(n_samples, n_features)``."""
        for i, layer in enumerate(self.layers):
            try:
                x = layer.forward(x)
            except ShapeError as error:
                raise ShapeError(f"layer {i}: {error}") from None
        return x

    def backward(self, grad_out: np.ndarray, skip_last: bool = False) -> None:
        """Backpropagate ``dL/d(output)``, setting every layer's ``grads``.

        With ``skip_last=True``, ``grad_out`` is the gradient with respect to the
        *input* of the last layer (a loss that fused itself with it computed it).
        The first layer's input is data, so its input gradient is not computed.
        """
        layers = self.layers
        for i in range(len(layers) - 1 - skip_last, 0, -1):
            grad_out = layers[i].backward(grad_out)
        if len(layers) > skip_last:
            layers[0].backward_params(grad_out)

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the parameters (float64 unless built otherwise)."""
        for _, _, array in self.parameters():
            return array.dtype
        return np.dtype(np.float64)

    def parameters(self) -> Iterator[tuple[int, str, np.ndarray]]:
        """Yield ``(layer_index, name, array)`` for every trainable array."""
        for i, layer in enumerate(self.layers):
            for name, array in layer.params.items():
                yield i, name, array

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters keyed ``"<layer>.<name>"`` (e.g. ``"0.weight"``), as for ``np.savez``."""
        return {f"{i}.{name}": array for i, name, array in self.parameters()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays saved by :meth:`state_dict` into the layers."""
        expected = set(self.state_dict())
        if set(state) != expected:
            raise KeyError(f"state keys {sorted(state)} do not match model keys {sorted(expected)}")
        for key, value in state.items():
            i, name = key.split(".", 1)
            layer = self.layers[int(i)]
            current = layer.params[name]
            value = np.asarray(value, dtype=current.dtype)
            if value.shape != current.shape:
                raise ShapeError(f"{key}: expected shape {current.shape}, got {value.shape}")
            layer.params[name] = value.copy()

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"


def mlp(
    sizes: Iterable[int],
    activation: str = "relu",
    output: str | None = "sigmoid",
    init: str = "glorot_uniform",
    seed=0,
    dtype=np.float64,
) -> Sequential:
    """Build a multi-layer perceptron ``Linear, act, ..., Linear, output``.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output, e.g. ``[2, 16, 1]``.
    activation : str
        Hidden activation, any layer name in :data:`sweepnet.registry.layers`
        that takes no arguments (``relu``, ``sigmoid``, ``tanh``, a plugin's).
    output : str or None
        Output activation name, or ``None`` / ``"identity"`` for raw outputs
        (logits, for ``BCEWithLogits`` and ``CrossEntropy``).
    init : str
        Initializer name. ``"glorot_uniform"`` follows scikit-learn: its bound
        uses factor 2 when the hidden activation is ``sigmoid``, else 6.
    seed : None, int, RandomState or Generator
        One generator draws all layers in order, so ``mlp([2, 16, 1], seed=s)``
        equals ``MLPClassifier(hidden_layer_sizes=(16,), random_state=s)``'s
        initial weights.
    """
    from . import make_activation

    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"mlp needs an input and an output size, all positive; got {sizes}")
    if init == "glorot_uniform" and activation == "sigmoid":
        init = "glorot_uniform_logistic"
    make_activation(activation)  # an unknown name fails here, before any weight is drawn
    rng = as_random_state(seed)
    layers: list[Layer] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(fan_in, fan_out, init=init, rng=rng, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(make_activation(activation))
    if output not in (None, "identity"):
        layers.append(make_activation(output))
    return Sequential(layers)

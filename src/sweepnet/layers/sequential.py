"""A network as a chain of layers, and the ``mlp`` builder."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np

from ..errors import ShapeError
from .activations import ACTIVATIONS, Identity, Sigmoid
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


ActivationSpec = str | Callable[[], Layer] | None
"""A built-in activation name, a Layer class, or a zero-argument factory of Layers."""


def _activation_factory(spec: ActivationSpec, role: str) -> Callable[[], Layer]:
    """Return a zero-argument factory for ``spec`` (see :func:`mlp`)."""
    if isinstance(spec, str):
        try:
            return ACTIVATIONS[spec]
        except KeyError:
            raise ValueError(
                f"unknown {role} {spec!r}: the engine's mlp (sweepnet.layers.mlp) knows the "
                f"built-in activations {', '.join(sorted(ACTIVATIONS))}. Plugin and "
                f"registered layer names resolve through sweepnet.mlp (the registry, "
                f"sweepnet.registry.layers); or pass the Layer class itself."
            ) from None
    if isinstance(spec, Layer):
        raise TypeError(
            f"{role} must be a Layer class or a zero-argument factory returning a Layer, not "
            f"the instance {spec!r}: every position in the network needs its own layer; pass "
            f"{type(spec).__name__} instead."
        )
    if not callable(spec):
        raise TypeError(
            f"{role} must be an activation name ({', '.join(sorted(ACTIVATIONS))}), a Layer "
            f"class or a zero-argument factory returning a Layer; got {spec!r}."
        )
    return spec


def _make(factory: Callable[[], Layer], role: str) -> Layer:
    """Call ``factory()`` and check that it built a Layer."""
    name = getattr(factory, "__name__", repr(factory))
    try:
        layer = factory()
    except TypeError as error:
        raise TypeError(
            f"{role} {name} cannot be built without arguments ({error}); mlp needs an "
            f"activation that takes none, such as {', '.join(sorted(ACTIVATIONS))}."
        ) from None
    if not isinstance(layer, Layer):
        raise TypeError(f"{role} {name}() returned {layer!r}, which is not a sweepnet Layer.")
    return layer


def mlp(
    sizes: Iterable[int],
    activation: ActivationSpec = "relu",
    output: ActivationSpec = "sigmoid",
    init: str = "glorot_uniform",
    seed=0,
    dtype=np.float64,
) -> Sequential:
    """Build a multi-layer perceptron ``Linear, act, ..., Linear, output``.

    This is the engine's builder: it knows no registry. :func:`sweepnet.mlp`
    takes the same arguments and also resolves plugin and registered layer
    names (``"swish"``) through :data:`sweepnet.registry.layers`.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output, e.g. ``[2, 16, 1]``.
    activation : str, Layer class or callable
        Hidden activation: a built-in name (a key of
        :data:`~sweepnet.layers.activations.ACTIVATIONS`: ``relu``,
        ``leaky_relu``, ``sigmoid``, ``tanh``, ``identity``, ``softmax``), or a
        Layer subclass or zero-argument factory called once per hidden layer.
        Any other string raises ``ValueError``.
    output : str, Layer class, callable or None
        Output activation, given like ``activation``; ``None``, ``"identity"``
        or :class:`~sweepnet.layers.Identity` give raw outputs (logits, for
        ``BCEWithLogits`` and ``CrossEntropy``) and add no layer.
    init : str
        Initializer name. ``"glorot_uniform"`` follows scikit-learn: its bound
        uses factor 2 when the hidden activation is a ``Sigmoid``, else 6.
    seed : None, int, RandomState or Generator
        One generator draws all layers in order, so ``mlp([2, 16, 1], seed=s)``
        equals ``MLPClassifier(hidden_layer_sizes=(16,), random_state=s)``'s
        initial weights.
    dtype : numpy dtype
        The dtype of the weights (float64 by default).

    Raises
    ------
    ValueError
        Bad sizes, or an activation name the engine does not know.
    TypeError
        An activation that is not a Layer class or factory, or that needs
        arguments.
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"mlp needs an input and an output size, all positive; got {sizes}")
    hidden = _activation_factory(activation, "activation")
    # a bad activation fails here, before any weight is drawn
    if init == "glorot_uniform" and isinstance(_make(hidden, "activation"), Sigmoid):
        init = "glorot_uniform_logistic"
    last = None
    if output is not None:
        last = _activation_factory(output, "output")
        if last is Identity:
            last = None
        else:
            _make(last, "output")
    rng = as_random_state(seed)
    layers: list[Layer] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(fan_in, fan_out, init=init, rng=rng, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(_make(hidden, "activation"))
    if last is not None:
        layers.append(_make(last, "output"))
    return Sequential(layers)

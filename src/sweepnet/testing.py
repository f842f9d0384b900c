"""One-line checks for the test suite of a plugin: layers, losses, optimizers, datasets.

Each check returns a small result object and raises :class:`CheckFailed` (an
``AssertionError``) with a one-paragraph message when the component is wrong,
so in a plugin's tests one line is one test::

    from sweepnet.testing import check_dataset, check_layer, check_stacking

    def test_swish_gradients():
        check_layer(Swish)

    def test_swish_stacks():
        check_stacking(Swish)

    def test_spirals():
        check_dataset(spirals, n_samples=50)

The gradient checks compare ``backward`` with central finite differences in
float64 (:func:`numerical_gradient`), measured by :func:`relative_error`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .datasets.split import DatasetError, check_labels
from .errors import ShapeError
from .layers.base import Layer
from .losses import Loss
from .optimizers import Optimizer

REDUCTIONS = ("mean", "sum")


# -- the maths -----------------------------------------------------------------
def relative_error(a: Any, b: Any) -> float:
    """``|a - b| / max(|a|, |b|)`` in the 2-norm: the gradient-check measure.

    Returns 0 when both are zero, and NaN when either holds a NaN.
    """
    a, b = np.ravel(a), np.ravel(b)
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h`` for every entry of ``x``.

    Parameters
    ----------
    f : callable
        Takes no arguments and returns a scalar that depends on ``x``.
    x : ndarray
        Perturbed in place, one entry at a time, and restored.
    h : float
        The step.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        up = f()
        x[index] = old - h
        down = f()
        x[index] = old
        grad[index] = (up - down) / (2 * h)
    return grad


# -- results -------------------------------------------------------------------
class CheckFailed(AssertionError):
    """A check found a problem; ``result`` holds the measurements when there are some."""

    def __init__(self, message: str, result: Any = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class GradientCheck:
    """What :func:`check_layer` and :func:`check_loss` measured.

    Attributes
    ----------
    component : str
        What was checked, e.g. ``"Linear(4, 3)"``.
    errors : dict of str to float
        Relative error of each gradient (``"dL/dx"``, ``"dL/dweight"``, ...)
        against central differences.
    tol : float
        The largest error accepted.
    """

    component: str
    errors: dict[str, float]
    tol: float

    @property
    def max_error(self) -> float:
        return float(np.max(list(self.errors.values()))) if self.errors else 0.0

    @property
    def passed(self) -> bool:
        return bool(self.max_error < self.tol)

    def __str__(self) -> str:
        return (f"{self.component}: {', '.join(self.errors)} against central differences; "
                f"max relative error {self.max_error:.3g} (tol {self.tol:g})")


@dataclass(frozen=True)
class OptimizerCheck:
    """What :func:`check_optimizer` measured on the quadratic ``f``."""

    component: str
    initial: float
    final: float
    steps: int

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.final) and self.final < 0.01 * self.initial)

    def __str__(self) -> str:
        return (f"{self.component}: {self.steps} steps on the quadratic "
                f"f(θ) = ½ Σ a_i (θ_i - c_i)²; f went from {self.initial:.4g} to "
                f"{self.final:.4g} (must end below 1% of the start)")


@dataclass(frozen=True)
class DatasetCheck:
    """What :func:`check_dataset` found."""

    component: str
    n_samples: int
    n_features: int
    n_classes: int
    multilabel: bool = False

    def __str__(self) -> str:
        kind = "labels (multi-label)" if self.multilabel else "classes"
        return (f"{self.component}: X of shape ({self.n_samples}, {self.n_features}), "
                f"{self.n_classes} {kind}")


# -- checks --------------------------------------------------------------------
def check_layer(layer: Layer | type[Layer], input_shape: tuple[int, ...] = (5, 4),
                seed: int = 0, tol: float = 1e-7) -> GradientCheck:
    """Check a layer's ``backward`` against central finite differences.

    The objective is ``sum(forward(x) * R)`` with ``x`` and ``R`` drawn from a
    normal distribution (entries of ``x`` kept at ``|x| >= 1e-3``, away from
    the kinks of ReLU-like functions), in float64.

    Parameters
    ----------
    layer : Layer or Layer subclass
        A class is built with no arguments, or as ``cls(input_shape[-1], 3)``
        when it needs in and out features (``Linear``).
    input_shape : tuple of int
        Shape of ``x``.
    seed : int
        Seed of ``x``, ``R`` and of the weights of a class built here.
    tol : float
        Largest relative error accepted for ``dL/dx`` and every parameter.

    Returns
    -------
    GradientCheck

    Raises
    ------
    CheckFailed
        When a gradient is off, or ``backward`` returns the wrong shape.
    """
    layer = _make_layer(layer, input_shape[-1], seed)
    name = _label(layer)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=input_shape)
    x = np.where(np.abs(x) < 1e-3, np.copysign(1e-2, x), x)
    out = np.asarray(layer.forward(x))
    weights = rng.normal(size=out.shape)

    def objective() -> float:
        return float(np.sum(layer.forward(x) * weights))

    objective()
    grad_x = np.array(layer.backward(weights), dtype=np.float64)
    if grad_x.shape != x.shape:
        raise CheckFailed(f"check_layer({name}): backward returned an array of shape "
                          f"{grad_x.shape} but the input has shape {x.shape}; dL/dx must have "
                          f"the shape of x.")
    grads = {key: np.array(value, dtype=np.float64) for key, value in layer.grads.items()}
    for key, param in layer.params.items():
        if key not in grads:
            raise CheckFailed(f"check_layer({name}): backward did not set grads[{key!r}]; "
                              f"every entry of params needs a gradient of the same shape.")
        if grads[key].shape != param.shape:
            raise CheckFailed(f"check_layer({name}): grads[{key!r}] has shape "
                              f"{grads[key].shape} but params[{key!r}] has shape "
                              f"{param.shape}; they must be equal.")

    errors = {"dL/dx": relative_error(grad_x, numerical_gradient(objective, x))}
    for key, param in layer.params.items():
        errors[f"dL/d{key}"] = relative_error(grads[key], numerical_gradient(objective, param))
    return _finish("check_layer", GradientCheck(name, errors, tol))


def check_loss(loss: Loss | type[Loss], n_outputs: int = 1, n_samples: int = 6, seed: int = 0,
               tol: float = 1e-7) -> GradientCheck:
    """Check a loss's ``backward`` (``dL/dy_pred``) against central finite differences.

    Predictions are drawn to suit ``loss.expects``: ``uniform(0.05, 0.95)``
    for ``"probabilities"``, standard normal otherwise. Targets come from
    ``loss.prepare_targets`` applied to random class labels (0/1 with one
    output); a loss that refuses a single output (``CrossEntropy``) gets 3.

    Parameters
    ----------
    loss : Loss or Loss subclass
        A class is checked with ``reduction="mean"`` and ``"sum"`` when it
        accepts ``reduction=``; an instance as it is.
    n_outputs, n_samples : int
        Shape of the predictions.
    seed : int
    tol : float
        Largest relative error accepted.

    Returns
    -------
    GradientCheck

    Raises
    ------
    CheckFailed
    """
    if isinstance(loss, Loss):
        instances = [(f"reduction={getattr(loss, 'reduction', '?')!r}", loss)]
    elif isinstance(loss, type) and issubclass(loss, Loss):
        if _accepts(loss, "reduction"):
            instances = [(f"reduction={r!r}", loss(reduction=r)) for r in REDUCTIONS]
        else:
            instances = [("", loss())]
    else:
        raise TypeError(f"check_loss needs a sweepnet.Loss subclass or instance, got {loss!r}")
    name = _label(loss)
    rng = np.random.default_rng(seed)
    errors = {}
    for label, instance in instances:
        y_true = _targets(instance, name, rng, n_samples, n_outputs)
        shape = y_true.shape
        if instance.expects == "probabilities":
            y_pred = rng.uniform(0.05, 0.95, shape)
        else:
            y_pred = rng.normal(size=shape)

        def objective(instance=instance, y_pred=y_pred, y_true=y_true) -> float:
            return float(instance.forward(y_pred, y_true))

        objective()
        analytic = np.array(instance.backward(), dtype=np.float64)
        if analytic.shape != shape:
            raise CheckFailed(f"check_loss({name}): backward returned shape {analytic.shape} "
                              f"but the predictions have shape {shape}; they must be equal.")
        key = f"dL/dy_pred ({label})" if label else "dL/dy_pred"
        errors[key] = relative_error(analytic, numerical_gradient(objective, y_pred))
    return _finish("check_loss", GradientCheck(name, errors, tol))


def check_optimizer(optimizer: Optimizer | type[Optimizer], steps: int = 200,
                    seed: int = 0) -> OptimizerCheck:
    """Check that an optimizer minimizes a convex quadratic.

    ``f(θ) = ½ Σ a_i (θ_i - c_i)²`` with ``a_i`` in ``[0.5, 2]``, starting
    at ``θ = 0``; ``θ`` is the ``"weight"`` of a one-parameter layer and
    ``optimizer.step([layer])`` is called after setting ``layer.grads``.

    Parameters
    ----------
    optimizer : Optimizer or Optimizer subclass
        A class is built with ``lr=0.1`` when it accepts ``lr``.
    steps : int
    seed : int
        Seed of ``a`` and ``c``.

    Returns
    -------
    OptimizerCheck

    Raises
    ------
    CheckFailed
        When ``f`` does not fall below 1% of its initial value, or becomes
        non-finite.
    """
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        optimizer = optimizer(lr=0.1) if _accepts(optimizer, "lr") else optimizer()
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"check_optimizer needs a sweepnet.Optimizer subclass or instance, "
                        f"got {optimizer!r}")
    rng = np.random.default_rng(seed)
    a, c = rng.uniform(0.5, 2.0, 5), rng.uniform(-2.0, 2.0, 5)
    layer = Layer()
    layer.params = {"weight": np.zeros(5)}

    def f() -> float:
        theta = layer.params["weight"]
        return float(0.5 * np.sum(a * (theta - c) ** 2))

    initial = value = f()
    for _ in range(steps):
        layer.grads = {"weight": a * (layer.params["weight"] - c)}
        optimizer.step([layer])
        value = f()
        if not np.isfinite(value):
            break
    return _finish("check_optimizer", OptimizerCheck(_label(optimizer), initial, value, steps))


@dataclass(frozen=True)
class StackingCheck:
    """What :func:`check_stacking` compared: ``models`` networks trained alone and stacked."""

    component: str
    models: int
    epochs: int

    def __str__(self) -> str:
        return (f"{self.component}: {self.models} networks, {self.epochs} epochs, stacked "
                f"equal to alone (histories and weights, exactly)")


def check_stacking(component: Any, models: int = 3, epochs: int = 4,
                   seed: int = 0) -> StackingCheck:
    """Check that a component trains in a stack exactly as alone (:mod:`sweepnet.stacking`).

    ``component`` is an elementwise activation (a ``Layer`` class or factory), a
    ``Loss`` or an ``Optimizer`` (class or instance) that declares ``stackable =
    True``. Small networks around it (4 inputs, 6 hidden units, mini-batches
    of 8, different seeds) train alone with ``Trainer.fit`` and together with
    :func:`sweepnet.fit_stack`; their histories and weights must be equal.

    Raises
    ------
    CheckFailed
        When the component does not declare ``stackable``, or a stacked model's
        numbers differ from its own.
    """
    import copy

    from .layers.sequential import mlp
    from .losses import BCE
    from .optimizers import SGD
    from .training import Trainer, fit_stack

    name = _label(component)
    activation, loss, optimizer = "tanh", BCE(), SGD(0.1)
    if isinstance(component, Loss) or (isinstance(component, type)
                                       and issubclass(component, Loss)):
        loss = which = component if isinstance(component, Loss) else component()
    elif isinstance(component, Optimizer) or (isinstance(component, type)
                                              and issubclass(component, Optimizer)):
        optimizer = which = (component if isinstance(component, Optimizer) else
                             component(lr=0.05) if _accepts(component, "lr") else component())
    else:
        activation, which = component, _make_layer(component, 4, seed)
    if not getattr(which, "stackable", False):
        raise CheckFailed(f"check_stacking({name}): it does not declare stackable = True, so "
                          f"sweepnet trains it alone; declare it once its maths keeps a "
                          f"leading model axis (every reduction per model)")
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 4))
    Y = _targets(loss, name, rng, 40, 1)
    output = "sigmoid" if loss.expects == "probabilities" else None

    def trainer(m: int) -> Trainer:
        return Trainer(mlp([4, 6, Y.shape[1]], activation=activation, output=output,
                           seed=seed + m), copy.deepcopy(loss), copy.deepcopy(optimizer),
                       batch_size=8, seed=seed + m)

    alone = [trainer(m) for m in range(models)]
    for t in alone:
        t.fit(X, Y, epochs)
    stacked = [trainer(m) for m in range(models)]
    fit_stack(stacked, [(X, Y)] * models, [epochs] * models)
    for m, (a, b) in enumerate(zip(alone, stacked)):
        same = a.history_["loss"].equals(b.history_["loss"]) and all(
            np.array_equal(v, b.model.state_dict()[k]) for k, v in a.model.state_dict().items())
        if not same:
            raise CheckFailed(f"check_stacking({name}): model {m} of a stack of {models} ends "
                              f"with other numbers than alone (loss {b.history_['loss'].iloc[-1]!r}"
                              f" vs {a.history_['loss'].iloc[-1]!r}); a reduction or update "
                              f"mixes the model axis (reduce with axis=-2, not over all axes)")
    return StackingCheck(name, models, epochs)


def check_dataset(dataset: Callable[..., Any] | str, **params: Any) -> DatasetCheck:
    """Check that a dataset function returns a usable ``(X, y)``.

    ``X`` must be a 2-D float array of finite values with at least 2 rows;
    ``y`` must have as many rows and be targets the runner accepts: the rule is
    :func:`sweepnet.datasets.check_labels` (1-D class labels ``0..k-1``, every
    class present, ``k >= 2``, integer-valued floats accepted; or a 2-D array
    of 0/1 for multi-label).

    Parameters
    ----------
    dataset : callable or str
        The function, or a name in :data:`sweepnet.registry.datasets`.
    **params
        Passed to the function, e.g. ``n_samples=50``.

    Returns
    -------
    DatasetCheck

    Raises
    ------
    CheckFailed
    """
    if isinstance(dataset, str):
        from .registry import datasets

        name, dataset = dataset, datasets.get(dataset)
    else:
        name = _label(dataset)
    where = f"check_dataset({name})"
    result = dataset(**params)
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(f"{where}: a dataset function must return a tuple (X, y), got "
                          f"{type(result).__name__}.")
    X, y = np.asarray(result[0]), np.asarray(result[1])
    if X.ndim != 2 or not np.issubdtype(X.dtype, np.floating) or X.shape[0] < 2:
        raise CheckFailed(f"{where}: X must be a 2-D float array (n_samples, n_features) with "
                          f"at least 2 samples; got dtype {X.dtype} and shape {X.shape}.")
    if not np.all(np.isfinite(X)):
        raise CheckFailed(f"{where}: X contains NaN or infinite values.")
    if y.shape[:1] != X.shape[:1]:
        raise CheckFailed(f"{where}: X has {X.shape[0]} rows but y has shape {y.shape}; "
                          f"they must have the same number of rows.")
    try:  # one rule for labels: the one the runner applies
        n_classes = check_labels(y, name=f"{name} dataset's")
    except DatasetError as error:
        raise CheckFailed(f"{where}: y must be class labels 0..k-1 with at least 2 classes, "
                          f"every class present, or a 2-D array of 0/1; {error}") from None
    return DatasetCheck(name, X.shape[0], X.shape[1], n_classes, multilabel=y.ndim == 2)


# -- helpers -------------------------------------------------------------------
def _finish(check: str, result: GradientCheck | OptimizerCheck) -> Any:
    if result.passed:
        return result
    if isinstance(result, GradientCheck):
        bad = ", ".join(f"{k} {v:.3g}" for k, v in result.errors.items() if not v < result.tol)
        message = (f"{check}({result.component}): backward disagrees with central finite "
                   f"differences; max relative error {result.max_error:.3g} > tol "
                   f"{result.tol:g} ({bad}).")
    else:
        message = (f"{check}({result.component}): f(θ) = ½ Σ a_i (θ_i - c_i)² went from "
                   f"{result.initial:.4g} to {result.final:.4g} in {result.steps} steps; it "
                   f"must stay finite and end below 1% of its initial value.")
    raise CheckFailed(message, result)


def _make_layer(layer: Layer | type[Layer], n_in: int, seed: int) -> Layer:
    if isinstance(layer, Layer):
        return layer
    if not (isinstance(layer, type) and issubclass(layer, Layer)):
        raise TypeError(f"check_layer needs a sweepnet.Layer subclass or instance, got {layer!r}")
    if not _required_arguments(layer):
        return layer()
    kwargs = {"rng": seed} if _accepts(layer, "rng") else {}
    return layer(n_in, 3, **kwargs)


def _targets(loss: Loss, name: str, rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """Targets from random labels, in the first form ``loss.prepare_targets`` accepts."""
    if k == 1:  # binary labels; then 3 classes for losses that need one output per class
        attempts = [(1, rng.integers(0, 2, n)), (3, rng.integers(0, 3, n))]
    else:  # class indices, then multi-label 0/1 rows
        attempts = [(k, rng.integers(0, k, n)), (k, rng.integers(0, 2, (n, k)))]
    reasons = []
    for outputs, labels in attempts:
        try:
            return np.asarray(loss.prepare_targets(labels, outputs), dtype=np.float64)
        except (ShapeError, ValueError) as error:
            reasons.append(str(error))
    raise CheckFailed(f"check_loss({name}): prepare_targets refused random class labels for "
                      f"{k} output(s) ({'; '.join(reasons)}); pass n_outputs= to match the "
                      f"loss.")


def _signature(obj: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def _accepts(obj: Any, name: str) -> bool:
    sig = _signature(obj)
    if sig is None:
        return False
    return name in sig.parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())


def _required_arguments(obj: Any) -> bool:
    sig = _signature(obj)
    return sig is not None and any(
        p.default is inspect.Parameter.empty
        and p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for p in sig.parameters.values())


def _label(obj: Any) -> str:
    if isinstance(obj, type) or inspect.isfunction(obj):
        return obj.__qualname__
    return repr(obj)


__all__ = ["CheckFailed", "DatasetCheck", "GradientCheck", "OptimizerCheck", "StackingCheck",
           "check_dataset", "check_layer", "check_loss", "check_optimizer", "check_stacking",
           "numerical_gradient", "relative_error"]

"""sweepnet: neural networks from scratch in numpy, and the sweeps you run on them.

The engine (layers, losses, optimizers, ``Trainer``) is plain numpy: every
layer carries its own forward and backward maths. Heavy libraries (pandas,
scikit-learn, matplotlib) are imported only where they are used.
"""

import importlib

__version__ = "0.1.0"

#: where each public name lives; imported on first use (PEP 562), so ``import sweepnet``
#: costs nothing: the ``sweepnet`` command catches a Ctrl-C from its first line on
_WHERE = {
    **dict.fromkeys(["Activation", "Identity", "Layer", "LeakyReLU", "Linear", "ReLU",
                     "Sequential", "Sigmoid", "Softmax", "Tanh"], ".layers"),
    **dict.fromkeys(["BCE", "MSE", "BCEWithLogits", "CrossEntropy", "Loss"], ".losses"),
    **dict.fromkeys(["SGD", "Adam", "Optimizer"], ".optimizers"),
    **dict.fromkeys(["Trainer", "fit_stack"], ".training"),
    "ShapeError": ".errors",
    "mlp": ".models",
    "stack_key": ".stacking",
    "EarlyStopping": ".stopping",
    "Schedule": ".schedules",
    "Snapshots": ".snapshots",
    "sweep": ".runner.api",  # Hydra
    "NetClassifier": ".estimator",  # scikit-learn
    "NetRegressor": ".estimator",
}


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name], __name__), name)
        globals()[name] = value
        return value
    try:  # a submodule: sweepnet.analysis, sweepnet.registry, ...
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = sorted([*_WHERE, "registry"])

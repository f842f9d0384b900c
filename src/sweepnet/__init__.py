"""sweepnet: neural networks from scratch in numpy, and the sweeps you run on them.

The engine (layers, losses, optimizers, ``Trainer``) is plain numpy: every
layer carries its own forward and backward maths. Heavy libraries (pandas,
scikit-learn, matplotlib) are imported only where they are used.
"""

from . import registry
from .errors import ShapeError
from .layers import (
    Activation,
    Identity,
    Layer,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .losses import BCE, MSE, BCEWithLogits, CrossEntropy, Loss
from .models import mlp
from .optimizers import SGD, Adam, Optimizer
from .stacking import stack_key
from .stopping import EarlyStopping
from .training import Trainer, fit_stack

__version__ = "0.1.0"


def __getattr__(name: str):
    # sweep() (Hydra) and NetClassifier (scikit-learn): imported on first use, so
    # `import sweepnet` stays light
    if name == "sweep":
        from .runner.api import sweep

        return sweep
    if name == "NetClassifier":  # imports scikit-learn
        from .estimator import NetClassifier

        return NetClassifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BCE",
    "MSE",
    "SGD",
    "Activation",
    "Adam",
    "BCEWithLogits",
    "CrossEntropy",
    "EarlyStopping",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Linear",
    "NetClassifier",
    "Loss",
    "Optimizer",
    "ReLU",
    "Sequential",
    "ShapeError",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "Trainer",
    "fit_stack",
    "mlp",
    "registry",
    "stack_key",
    "sweep",
]

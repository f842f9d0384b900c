"""A sweepnet plugin: the Swish and GELU activations and the two-spirals dataset.

Installed, it registers the layers ``swish`` and ``gelu`` and the dataset
``spirals``, so ``sweepnet.mlp([2, 8, 1], activation="swish")`` works.
"""

from .activations import GELU, Swish
from .datasets import spirals

__all__ = ["GELU", "Swish", "spirals"]

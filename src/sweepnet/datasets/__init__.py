"""Datasets: plain functions returning ``(X, y)``, and the split shared by all of them.

The built-ins are importable from here (``from sweepnet.datasets import toy``)
and live in :mod:`sweepnet.datasets.builtin` (``moons``, ``circles``,
``breast_cancer``, ``digits``, ``toy``); CSV files are read by
:func:`sweepnet.datasets.csv.csv`. All are reachable by name through
``sweepnet.registry.datasets.get(name)``. Importing this package loads neither
scikit-learn nor pandas (nor the built-ins' module, until one is asked for).
"""

from .split import DatasetError, Split, check_labels, split

BUILTIN = ("moons", "circles", "breast_cancer", "digits", "toy")


def __getattr__(name: str):
    if name in BUILTIN:
        from . import builtin

        return getattr(builtin, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DatasetError", "Split", "check_labels", "split", *BUILTIN]

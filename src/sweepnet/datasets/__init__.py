"""Datasets: plain functions returning ``(X, y)``, and the split shared by all of them.

The built-ins live in :mod:`sweepnet.datasets.builtin` (``moons``, ``circles``,
``breast_cancer``, ``digits``, ``toy``) and :mod:`sweepnet.datasets.csv`
(``csv``); reach them by name through ``sweepnet.registry.datasets.get(name)``.
Importing this package loads neither scikit-learn nor pandas: they are imported
inside the functions that use them.
"""

from .split import DatasetError, Split, check_labels, split

__all__ = ["DatasetError", "Split", "check_labels", "split"]

"""A network's output over the plane of two features: what a decision-boundary plot draws.

Computed once, where the model is (a run saves it as ``decision_surface.npz``),
so plots never rebuild an experiment. Plain numpy: no matplotlib here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

#: grid points per axis of a saved surface (a 100 x 100 grid of float32: 40 kB, finer than
#: a plot panel draws it; each run of a sweep computes one)
GRID_POINTS = 100
MAX_GRID_POINTS = 4_000_000
MARGIN = 0.1  # of the data's range, on every side


def decision_surface(predict: Callable[[np.ndarray], np.ndarray], X, y=None,
                     points: int = GRID_POINTS, step: float | None = None,
                     names: Sequence[str] | None = None, scaling: str = "none") -> dict:
    """Evaluate ``predict`` over a grid covering ``X`` plus a 10% margin.

    Parameters
    ----------
    predict : callable
        Maps an ``(n, 2)`` float array to ``(n,)`` or ``(n, 1)`` outputs.
    X : array-like of shape (n_samples, 2)
        The data the grid covers (the run's training features).
    y : array-like of shape (n_samples,), optional
        Their labels, kept with the surface for the scatter on top.
    points : int
        Grid points per axis (ignored when ``step`` is given).
    step : float, optional
        Grid spacing in data units.
    names : sequence of two str, optional
        The two features' names (the plot's axis labels).
    scaling : {"none", "standard", "minmax"}
        How ``X``'s features were scaled (``dataset.split.scale``; the axes say so).

    Returns
    -------
    dict
        ``x0`` of shape (G,) and ``x1`` of shape (H,) (the grid's coordinates),
        ``z`` of shape (H, G) (the output at ``(x0[j], x1[i])``), ``X``, when
        given ``y`` and ``names``, and ``scaling`` (a 0-d string array).

    Raises
    ------
    ValueError
        When ``X`` does not have exactly two features, ``y`` does not match it,
        the step gives too large a grid, or ``predict`` returns the wrong shape.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"a decision surface needs data with exactly 2 features "
                         f"(an (n, 2) array), got shape {X.shape}")
    low, high = X.min(axis=0), X.max(axis=0)
    span = high - low
    margin = np.where(span > 0, MARGIN * span, 0.5)
    low, high = low - margin, high + margin
    if step is None:
        x0, x1 = (np.linspace(low[i], high[i], points) for i in range(2))
    else:
        if not step > 0:
            raise ValueError(f"the grid step must be positive, got {step}")
        x0, x1 = (np.arange(low[i], high[i] + step, step) for i in range(2))
        if x0.size * x1.size > MAX_GRID_POINTS:
            raise ValueError(f"grid step {step:g} gives a grid of {x0.size}x{x1.size} "
                             f"points; use a larger step")
    xx, yy = np.meshgrid(x0, x1)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    out = np.asarray(predict(grid), dtype=float)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape != (grid.shape[0],):
        raise ValueError(f"predict must return one output per point, shape (n,) or (n, 1); "
                         f"got {out.shape} for n={grid.shape[0]}")
    surface = {"x0": x0, "x1": x1, "z": out.reshape(xx.shape), "X": X,
               "scaling": np.array(str(scaling))}
    if names is not None:
        if len(names) != 2:
            raise ValueError(f"names must name the 2 features, got {list(names)!r}")
        surface["names"] = np.array([str(n) for n in names])
    if y is not None:
        y = np.asarray(y)
        y = y.reshape(-1) if y.ndim > 1 else y
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} labels")
        surface["y"] = y
    return surface


__all__ = ["GRID_POINTS", "decision_surface"]

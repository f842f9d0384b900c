"""Marks drawn over a run's curve: plateaus, the convergence epoch, where scikit-learn's
stopping rule stopped, divergence.

Each takes the run's finite curve (``epochs``, ``values``: 1-D arrays of one
length, epochs ascending) and draws one artist tagged ``"<role>:<key>"``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from .style import DIVERGED_COLOR, line

PLATEAU_STYLE = dict(linewidth=7, alpha=0.25, solid_capstyle="butt")
CONVERGENCE_STYLE = dict(marker="o", markersize=6, markeredgecolor="black",
                         markeredgewidth=0.8)
SKLEARN_STOP_STYLE = dict(marker="v", markersize=9, markerfacecolor="none",
                          markeredgewidth=1.6)
DIVERGED_STYLE = dict(marker="x", markersize=9, markeredgewidth=2.2, color=DIVERGED_COLOR)


def shade_plateaus(ax: Axes, key, epochs: np.ndarray, values: np.ndarray,
                   spans: pd.DataFrame, colour) -> Line2D | None:
    """The curve, thick and translucent, over each ``[start, end]`` of ``spans``.

    One line (gid ``plateau:<key>``) for all of a run's plateaus, broken by
    NaN between them; None when ``spans`` is empty.
    """
    if spans is None or not len(spans):
        return None
    xs, ys = [], []
    for start, end in zip(spans["start"].to_numpy(), spans["end"].to_numpy()):
        inside = (epochs >= start) & (epochs <= end)
        xs += [epochs[inside], [np.nan]]
        ys += [values[inside], [np.nan]]
    return line(ax, np.concatenate(xs), np.concatenate(ys), color=colour, zorder=1.5,
                gid=f"plateau:{key}", label="_plateau", **PLATEAU_STYLE)


def mark_convergence(ax: Axes, key, epochs: np.ndarray, values: np.ndarray, epoch: float,
                     colour) -> Line2D | None:
    """A dot on the curve at ``epoch`` (gid ``convergence:<key>``); None when not on it."""
    if not np.isfinite(epoch):
        return None
    hit = np.flatnonzero(np.isclose(epochs, epoch))
    if not hit.size:
        return None
    return line(ax, [epochs[hit[0]]], [values[hit[0]]], linestyle="none", color=colour,
                zorder=4, gid=f"convergence:{key}", label="_convergence", **CONVERGENCE_STYLE)


def mark_sklearn_stop(ax: Axes, key, epochs: np.ndarray, values: np.ndarray, epoch: float,
                      colour) -> Line2D | None:
    """A hollow triangle on the curve at the epoch where scikit-learn's ``MLPClassifier``
    with its own stopping rule stopped (``baseline=sklearn_stopping``; gid
    ``sklearn-stop:<key>``); None when it trained as long as the run, or off the curve."""
    if not np.isfinite(epoch) or not epochs.size or epoch >= epochs[-1]:
        return None
    hit = np.flatnonzero(np.isclose(epochs, epoch))
    if not hit.size:
        return None
    return line(ax, [epochs[hit[0]]], [values[hit[0]]], linestyle="none", color=colour,
                markeredgecolor=colour, zorder=4, gid=f"sklearn-stop:{key}",
                label="_sklearn_stop", **SKLEARN_STOP_STYLE)


def mark_divergence(ax: Axes, key, epoch: float, value: float,
                    top: float | None = None) -> Line2D:
    """An "x" at the last finite value of a diverged curve (gid ``diverged:<key>``).

    With ``top`` (the axis was clipped) the mark sits at most at the top edge.
    """
    y = value if top is None else min(value, top)
    return line(ax, [epoch], [y], linestyle="none", zorder=5, clip_on=False,
                gid=f"diverged:{key}", label="_diverged", **DIVERGED_STYLE)


def legend_entries(plateaus: bool, converged: bool, diverged: bool,
                   sklearn_stops: bool = False) -> list[Line2D]:
    """Legend proxies (not added to any axes) explaining the marks drawn."""
    entries = []
    if plateaus:
        entries.append(Line2D([], [], color="0.4", label="plateau", **PLATEAU_STYLE))
    if converged:
        entries.append(Line2D([], [], linestyle="none", color="0.6",
                              label="convergence epoch", **CONVERGENCE_STYLE))
    if sklearn_stops:
        entries.append(Line2D([], [], linestyle="none", color="0.3",
                              label="scikit-learn's stopping rule stops", **SKLEARN_STOP_STYLE))
    if diverged:
        entries.append(Line2D([], [], linestyle="--", label="diverged",
                              **{**DIVERGED_STYLE, "color": "0.3",
                                 "markeredgecolor": DIVERGED_COLOR}))
    return entries

"""A metric's group means over the grid of two swept parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

from ..groups import GROUP_METRICS, Roles, ordered_values
from .style import (
    AXIS_LABEL,
    MISSING_COLOR,
    SEQUENTIAL_CMAP,
    TITLE_FONT,
    check_path,
    colorbar,
    combinations,
    facet_axes,
    fix_axes,
    floats,
    format_value,
    grid_positions,
    label_outer,
    labels,
    layout,
    nice_ticks,
    save,
    slant,
    text_height,
    text_width,
    tick_label,
    ticks_room,
    wants_log,
    wrap,
)


def plot_heatmap(groups: pd.DataFrame, roles: Roles, path: str | Path,
                 metric: str = "final_loss") -> Figure:
    """``<metric>_mean`` per group, ``roles.x`` across and ``roles.hue`` up.

    Parameters
    ----------
    groups : DataFrame
        :func:`sweepnet.analysis.groups.group_table`: one row per group with
        its parameters, ``n``, ``<metric>_mean`` and ``diverged_fraction``.
    roles : Roles
        ``roles.x`` and ``roles.hue`` span the grid; one panel per
        ``roles.col`` combination.
    path : str or Path
        Where to save the figure (``.png``, ``.svg`` or ``.pdf``).
    metric : str
        One of :data:`sweepnet.analysis.groups.GROUP_METRICS`.

    Returns
    -------
    Figure
        Per panel one image (gid ``heatmap``) whose array holds the means
        (rows: ``roles.hue`` values, columns: ``roles.x`` values, both in
        natural order, the first row at the bottom; masked where no group
        has a value, drawn grey), each cell annotated (gid ``cell:<group>``);
        one shared colorbar (a log scale when positive and spanning > 10x).

    Raises
    ------
    ValueError
        When fewer than two parameters besides the replicates were swept, or
        ``groups`` lacks ``<metric>_mean`` or a parameter column.
    """
    path = check_path(path)[0]
    _check(groups, roles, metric)
    xs, ys = ordered_values(groups[roles.x]), ordered_values(groups[roles.hue])
    outer = combinations(groups, roles.col)
    values = floats(groups, f"{metric}_mean")
    finite = values[np.isfinite(values)]
    norm = (LogNorm if wants_log(finite) else Normalize)(
        *(finite.min(), finite.max()) if finite.size else (0, 1))
    nrows, ncols, positions = grid_positions(1, len(outer))
    ylabels, xlabels = [format_value(v) for v in ys], [format_value(v) for v in xs]
    panel = (max(2.5, 0.8 * len(xs), text_width(roles.x) + 0.3),  # room for the axis labels
             max(1.75, 0.45 * len(ys), text_width(roles.hue) + 0.2))
    lay = layout(nrows, ncols, panel, left=AXIS_LABEL + ticks_room(ylabels), colorbar=True)
    axes = facet_axes(lay, positions, sharex=True, sharey=True)  # one grid of cells
    image = None
    for ax, combo in zip(axes, outer):
        chosen = np.ones(len(groups), dtype=bool)
        for parameter, value in zip(roles.col, combo):
            chosen &= (groups[parameter] == value).to_numpy()
        image = _panel(ax, groups[chosen], roles, metric, xs, ys, norm)
    fix_axes(axes, "x", -0.5, len(xs) - 0.5, margin=0.0, ticks=range(len(xs)), labels=xlabels)
    fix_axes(axes, "y", -0.5, len(ys) - 0.5, margin=0.0, ticks=range(len(ys)), labels=ylabels)
    label_outer(axes, positions, roles.x, roles.hue)
    lay.bottom += slant(axes, xlabels, lay.panel_width / len(xs))
    lines = 0
    if roles.col:
        for ax, combo in zip(axes, outer):
            title = wrap(labels(roles.col, combo), lay.panel_width, TITLE_FONT)
            ax.set_title("\n".join(title), fontsize=TITLE_FONT, y=1.0)
            lines = max(lines, len(title))
    lay.top = lay.hgap = 0.15 + (text_height(lines, TITLE_FONT) + 0.05 if lines else 0.0)
    title = f"{metric} by {roles.x} and {roles.hue}"
    if roles.aggregated:
        title += f" (cells: mean over {', '.join(roles.replicates)})"
    cax = lay.finish(title)
    cbar = colorbar(cax, image, f"mean {metric}" if roles.aggregated else metric)
    ticks = nice_ticks(norm.vmin, norm.vmax, log=isinstance(norm, LogNorm))
    cbar.set_ticks(ticks, labels=[tick_label(t) for t in ticks])
    save(lay.fig, path)
    return lay.fig


def _check(groups: pd.DataFrame, roles: Roles, metric: str) -> None:
    if roles.x is None or roles.hue is None:
        swept = ", ".join(roles.keys) or "none"
        raise ValueError(f"a heatmap needs two swept parameters besides the replicates "
                         f"(roles.x and roles.hue); swept: {swept}")
    if f"{metric}_mean" not in groups:
        found = [m for m in GROUP_METRICS if f"{m}_mean" in groups]
        raise ValueError(f"groups has no column {metric + '_mean'!r}; metrics available: "
                         f"{', '.join(found) or 'none (pass groups.group_table(...))'}")
    missing = [p for p in (roles.x, roles.hue, *roles.col) if p not in groups]
    if missing:
        raise ValueError(f"groups has no column for {', '.join(missing)} "
                         f"(columns found: {', '.join(map(str, groups))})")


def _panel(ax: Axes, groups: pd.DataFrame, roles: Roles, metric: str, xs: list, ys: list,
           norm: Normalize):
    """One grid of cells: the means, grey where missing, each annotated."""
    column = {v: j for j, v in enumerate(xs)}
    row = {v: i for i, v in enumerate(ys)}
    cells = np.full((len(ys), len(xs)), np.nan)
    places = [(row.get(h), column.get(x)) for h, x in zip(groups[roles.hue], groups[roles.x])]
    means = floats(groups, f"{metric}_mean")
    for (i, j), mean in zip(places, means):
        if i is not None and j is not None:
            cells[i, j] = mean
    cmap = colormaps[SEQUENTIAL_CMAP].with_extremes(bad=MISSING_COLOR)
    image = ax.imshow(np.ma.masked_invalid(cells), cmap=cmap, norm=norm, origin="lower",
                      aspect="auto", interpolation="nearest")
    image.set_gid("heatmap")
    diverged = floats(groups, "diverged_fraction")
    sizes = floats(groups, "n")
    small = "x-small" if len(xs) * len(ys) > 40 else "small"
    for group, (i, j), mean, frac, n in zip(groups.get("group", groups.index), places, means,
                                            diverged, sizes):
        if i is None or j is None:
            continue
        text = f"{mean:.3g}" if np.isfinite(mean) else ("diverged" if frac == 1 else "n/a")
        if np.isfinite(mean) and frac > 0 and np.isfinite(n):
            text += f"\n{round(frac * n)}/{n:g} div."
        dark = np.isfinite(mean) and norm(mean) < 0.5
        ax.text(j, i, text, ha="center", va="center", fontsize=small,
                color="white" if dark else "black", gid=f"cell:{group}")
    return image

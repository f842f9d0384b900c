"""Final losses and convergence epochs of a sweep against its x parameter.

One column of panels per metric (final training loss, convergence epoch and,
with validation data, final validation loss), one row per ``roles.col``
combination, one series per ``roles.hue`` value. Losses are drawn on an
absolute scale (from 0, or log when they span more than a factor 10), so a
small difference never looks like a spike. Runs without a value (diverged,
failed, stuck, not converged) are marked in a strip above the panel, outside
its axis, and named in the legend.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..groups import Roles, add_groups, is_numeric, ordered_values
from .overlays import DIVERGED_STYLE
from .style import (
    AXIS_LABEL,
    FAILED_COLOR,
    STUCK_COLOR,
    TITLE_FONT,
    Layout,
    categorical,
    check_path,
    combinations,
    facet_axes,
    fix_axes,
    fix_axis,
    flags,
    floats,
    format_value,
    grid_positions,
    label,
    labels,
    layout,
    line,
    replicate_note,
    save,
    slant,
    statuses,
    text_height,
    ticks_room,
    wants_log,
    wrap,
)

#: (summary column, axis label, gid and legend label of a run without a value)
METRICS = [("final_loss", "final training loss", ("no_value", "no final loss")),
           ("convergence_epoch", "convergence epoch", ("not_converged", "not converged")),
           ("final_val_loss", "final validation loss",
            ("no_value", "no final validation loss"))]
PANEL_SIZE = (4.5, 3.5)
DODGE = 0.6  # of the space between two categories, shared by the hue values
STUCK_STYLE = dict(marker="o", markersize=13, markerfacecolor="none",
                   markeredgecolor=STUCK_COLOR, markeredgewidth=1.8)
FAILED_STYLE = dict(marker="s", markersize=7, color=FAILED_COLOR)
MISSING_STYLE = dict(marker="^", markersize=8, markerfacecolor="none", markeredgewidth=1.5,
                     color="0.35")
OFF_SCALE = ("diverged", "failed", "not_converged", "no_value", "stuck")
#: where the marks of runs without a value sit: above the panel, in axes coordinates
STRIP = 1.05
#: room above a panel for the strip (inches) and the title's distance from the axes (points)
STRIP_ROOM, STRIP_PAD = 0.3, 24


@dataclass
class _Runs:
    """The summary as arrays: where each run sits and what became of it."""

    x: np.ndarray  # position on the x axis (with the hue's dodge when categorical)
    hue: np.ndarray  # index into the hue values
    panel: np.ndarray  # index of the facet combination
    diverged: np.ndarray
    failed: np.ndarray
    stuck: np.ndarray
    categorical: bool
    ticks: list  # [(position, value), ...] of the swept x values

    def on_scale(self, y: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """The chosen runs drawn at their value: finite, neither diverged nor failed."""
        return chosen & ~self.diverged & ~self.failed & np.isfinite(y) & np.isfinite(self.x)


def plot_convergence(summary: pd.DataFrame, roles: Roles, path: str | Path) -> Figure:
    """Final loss and convergence epoch against ``roles.x``, one series per ``roles.hue``.

    Parameters
    ----------
    summary : DataFrame
        One row per job: the swept parameters, ``status``, ``final_loss``,
        ``convergence_epoch``, ``stuck``, ``diverged`` (``final_val_loss``
        adds a third column of panels).
    roles : Roles
        Where the swept parameters go; ``roles.x`` is required.
    path : str or Path
        Where to save the figure (``.png``, ``.svg`` or ``.pdf``).

    Returns
    -------
    Figure
        One axes per metric and ``roles.col`` combination. In each,
        ``series:<hue value>`` (``series:all`` without a hue) goes through
        the per-x means over the runs that neither diverged nor failed: a
        line for a numeric x, markers only (dodged per hue) for a categorical
        one. With replicates the means carry min–max error bars
        (``errorbar:<hue value>``) and the runs are faint points
        (``points:<hue value>``). ``stuck`` circles stuck runs; ``diverged``,
        ``failed``, ``not_converged``, ``no_value`` and ``stuck`` mark runs
        without a value in a strip above the panel (outside the axis, at
        axes height :data:`STRIP`); a panel where no run has a value says so
        (gid ``empty``).

    Raises
    ------
    ValueError
        When ``roles.x`` is None (nothing but replicates was swept) or not a
        column of ``summary``, or ``path`` has an unknown suffix.
    """
    path = check_path(path)[0]
    if roles.x is None or roles.x not in summary:
        found = ", ".join(map(str, summary.columns))
        raise ValueError(f"plot_convergence needs a swept parameter for the x axis; "
                         f"roles.x is {roles.x!r} (summary columns: {found})")
    summary = summary if "group" in summary else add_groups(summary, roles)
    summary = summary.reset_index(drop=True)
    metrics = [m for m in METRICS if m[0] != "final_val_loss"
               or np.isfinite(floats(summary, "final_val_loss")).any()]
    hues = ordered_values(summary[roles.hue]) if roles.hue else ["all"]
    outer = combinations(summary, roles.col)
    runs = _runs(summary, roles, hues, outer)
    lay, axes, positions = _figure(len(metrics), len(outer))
    colours = categorical(roles.hue, hues).colours(hues)
    handles: dict[str, Line2D] = {}
    for i, ax in enumerate(axes):
        column, name, missing = metrics[i % len(metrics)]
        y, chosen = floats(summary, column), runs.panel == i // len(metrics)
        _draw_series(ax, runs, y, chosen, hues, colours, roles.aggregated)
        _draw_marks(ax, runs, y, chosen, missing, handles)
        if not runs.on_scale(y, chosen).any():
            ax.text(0.5, 0.5, f"no run has a {name}", transform=ax.transAxes, ha="center",
                    va="center", color="0.4", gid="empty")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
    epochs = floats(summary, "epochs")
    rooms = [AXIS_LABEL + ticks_room(_y_axis(axes[j::len(metrics)], floats(summary, column),
                                             runs, column, epochs))
             for j, (column, _, _) in enumerate(metrics)]
    lay.left, lay.wgap = rooms[0], max(rooms[1:], default=0.0) + 0.2
    _x_axis(lay, axes, positions, roles.x, runs)
    strip = any(a.get_gid() in OFF_SCALE for ax in axes for a in ax.lines)
    _titles(lay, axes, [(name, combo) for combo in outer for _, name, _ in metrics], roles,
            strip)
    title = f"Final loss and convergence by {', '.join(roles.keys)}"
    if roles.aggregated:
        sizes = summary.groupby("group").size().tolist()
        title += (f"\nmarkers: {replicate_note(roles, sizes)} (runs that did not diverge); "
                  f"bars: min–max; faint points: single runs")
    entries = [Line2D([], [], color=c, marker="o", label=label(roles.hue, h))
               for h, c in zip(hues, colours)] if roles.hue else []
    lay.finish(title, entries + list(handles.values()))
    save(lay.fig, path)
    return lay.fig


def _figure(n_metrics: int, n_combos: int) -> tuple[Layout, list[Axes], list]:
    """Metrics across, facet combinations down; x shared by all, y within a metric."""
    nrows, ncols, positions = grid_positions(n_metrics, n_combos)
    panel = (PANEL_SIZE[0], PANEL_SIZE[1] if nrows <= 2 else 3.0)
    lay = layout(nrows, ncols, panel, wgap=0.9)
    axes = facet_axes(lay, positions, sharex=True)
    for i, ax in enumerate(axes[n_metrics:], start=n_metrics):
        ax.sharey(axes[i % n_metrics])
    return lay, axes, positions


def _titles(lay: Layout, axes: list[Axes], names: list[tuple[str, tuple]],
            roles: Roles, strip: bool) -> None:
    """Each panel's metric (and facet values), wrapped to the panel, above the strip of
    marks when there is one; room above them."""
    lines = 0
    for ax, (name, combo) in zip(axes, names):
        title = [name, *wrap(labels(roles.col, combo), lay.panel_width, TITLE_FONT)
                 ] if roles.col else [name]
        ax.set_title("\n".join(title), fontsize=TITLE_FONT, y=1.0,
                     pad=STRIP_PAD if strip else 6.0)
        lines = max(lines, len(title))
    lay.top = 0.15 + text_height(lines, TITLE_FONT) + (STRIP_ROOM if strip else 0.0)
    lay.hgap = lay.top + 0.05


def _runs(summary: pd.DataFrame, roles: Roles, hues: list, outer: list) -> _Runs:
    """Per run its x position, hue and panel, and its fate."""
    hue_index = {h: k for k, h in enumerate(hues)}
    hue = (np.array([hue_index.get(v, -1) for v in summary[roles.hue]]) if roles.hue
           else np.zeros(len(summary), dtype=int))
    combo_index = {c: k for k, c in enumerate(outer)}
    panel = np.array([combo_index.get(tuple(row), -1) for row in
                      summary[list(roles.col)].itertuples(index=False, name=None)], dtype=int)
    values = ordered_values(summary[roles.x])
    numeric = is_numeric(summary[roles.x])
    if numeric:
        x = floats(summary, roles.x)
        ticks = [(float(v), v) for v in values]
    else:  # categories at 0, 1, ...; each hue slightly beside the others
        where = {v: k for k, v in enumerate(values)}
        x = np.array([where.get(v, np.nan) for v in summary[roles.x]], dtype=float)
        if len(hues) > 1:
            x += (hue - (len(hues) - 1) / 2) * min(DODGE / len(hues), 0.2)
        ticks = [(float(k), v) for k, v in enumerate(values)]
    diverged, failed = statuses(summary)
    return _Runs(x, hue, panel, diverged, failed, flags(summary, "stuck"), not numeric, ticks)


def _draw_series(ax: Axes, runs: _Runs, y: np.ndarray, chosen: np.ndarray, hues: list,
                 colours: list, aggregated: bool) -> None:
    """Per hue value: the per-x means (with replicates: min–max bars and faint runs)."""
    on_scale = runs.on_scale(y, chosen)
    for k, (hue, colour) in enumerate(zip(hues, colours)):
        ok = on_scale & (runs.hue == k)
        stats = pd.Series(y[ok]).groupby(runs.x[ok]).agg(["mean", "min", "max"])
        xs, mean = stats.index.to_numpy(dtype=float), stats["mean"].to_numpy()
        style = dict(color=colour, marker="o", label="_series",
                     linestyle="none" if runs.categorical else "-")
        gid = format_value(hue)
        if not aggregated:
            line(ax, xs, mean, gid=f"series:{gid}", **style)
            continue
        bars = ax.errorbar(xs, mean, yerr=[mean - stats["min"].to_numpy(),
                                           stats["max"].to_numpy() - mean],
                           capsize=3, elinewidth=1, **style)
        bars.lines[0].set_gid(f"series:{gid}")
        bars.lines[2][0].set_gid(f"errorbar:{gid}")
        line(ax, runs.x[ok], y[ok], linestyle="none", marker="o", markersize=3, alpha=0.35,
             color=colour, gid=f"points:{gid}", label="_points")


def _draw_marks(ax: Axes, runs: _Runs, y: np.ndarray, chosen: np.ndarray,
                missing: tuple[str, str], handles: dict) -> None:
    """Stuck runs circled; runs without a value marked in the strip above the panel."""
    on_scale = runs.on_scale(y, chosen)
    placed = chosen & np.isfinite(runs.x)
    circled = runs.stuck & on_scale
    if circled.any():
        line(ax, runs.x[circled], y[circled], linestyle="none", zorder=5, gid="stuck",
             label="_stuck", **STUCK_STYLE)
    ordinary = ~runs.diverged & ~runs.failed & ~runs.stuck
    off = [(runs.diverged, DIVERGED_STYLE, "diverged", "diverged (above the panel)"),
           (runs.failed, FAILED_STYLE, "failed", "failed (above the panel)"),
           (ordinary & ~np.isfinite(y), MISSING_STYLE, missing[0],
            f"{missing[1]} (above the panel)"),
           (runs.stuck & ~on_scale, STUCK_STYLE, "stuck", "stuck on a plateau")]
    for flag, style, gid, text in off:
        xs = runs.x[flag & placed]
        if xs.size:
            line(ax, xs, np.full(xs.size, STRIP), transform=ax.get_xaxis_transform(),
                 linestyle="none", clip_on=False, zorder=5, gid=gid, label="_" + gid, **style)
        if xs.size or (gid == "stuck" and circled.any()):
            handles.setdefault(text, Line2D([], [], linestyle="none", label=text, **style))


def _y_axis(axes: list[Axes], y: np.ndarray, runs: _Runs, column: str,
            epochs: np.ndarray) -> list[str]:
    """One metric's (shared) y axis, on an absolute scale: from 0 (log for losses spanning
    more than 10x). Without any value: the epochs trained, for the convergence epoch.

    Returns its tick labels.
    """
    shown = y[runs.on_scale(y, np.ones_like(y, bool))]
    log = column != "convergence_epoch" and wants_log(shown)
    if log:
        return fix_axis(axes[0], "y", shown.min(), shown.max(), log=True, margin=0.05,
                        nbins=5)
    if shown.size:
        high = shown.max()
    else:
        finite = epochs[np.isfinite(epochs)]
        high = finite.max() if column == "convergence_epoch" and finite.size else 1.0
    high = high if high > 0 else 1.0
    return fix_axis(axes[0], "y", 0.0, high * 1.05, margin=0.0, nbins=5)


def _x_axis(lay: Layout, axes: list[Axes], positions: list, name: str, runs: _Runs) -> None:
    """The shared x axis: categories, or the swept values (log when they span > 10x)."""
    places = [p for p, _ in runs.ticks]
    texts = [format_value(v) for _, v in runs.ticks]
    if runs.categorical:
        fix_axes(axes, "x", -0.5, len(places) - 0.5, margin=0.0, ticks=places, labels=texts)
    elif places:
        log = wants_log(places)
        few = len(places) <= 8  # tick the swept values themselves
        fix_axes(axes, "x", min(places), max(places), log=log, margin=0.06,
                 ticks=places if few else None, labels=texts if few else None)
    lowest = {c: max(r for r, cc in positions if cc == c) for _, c in positions}
    lay.bottom += slant(axes, texts, lay.panel_width / max(len(places), 1))
    for a, (row, col) in zip(axes, positions):
        if row == lowest[col]:
            a.set_xlabel(name)

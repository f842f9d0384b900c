"""Per-epoch curves of a sweep: training loss, validation loss, validation accuracy.

Epochs on the x axis; colour by ``roles.x`` (a colorbar when numeric, a legend
otherwise); one facet column per ``roles.hue`` value and one row per
``roles.col`` combination. Without replicates every run is a line with its
plateaus, convergence dot and divergence mark; with replicates every group is
its mean over the replicates with a min–max band.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..curves import lr_times
from ..groups import Roles, add_groups, group_curves, ordered_values
from . import overlays
from .style import (
    AXIS_LABEL,
    SMALL_FONT,
    TITLE_FONT,
    Colouring,
    Layout,
    check_path,
    colouring,
    combinations,
    facet_axes,
    fix_axes,
    flags,
    floats,
    grid_positions,
    label,
    label_outer,
    labels,
    layout,
    line,
    replicate_note,
    save,
    statuses,
    text_height,
    ticks_room,
    wrap,
)

COLUMN_LABELS = {"loss": "training loss", "val_loss": "validation loss",
                 "val_accuracy": "validation accuracy"}
#: columns drawn from 0 on a linear axis
LOSSES = ("loss", "val_loss")
SINGLE_SIZE = (9.0, 5.0)
PANEL_SIZE = (3.0, 2.5)
MAX_DIVERGED_ENTRIES = 6  # per panel legend
OWN_X_AXIS = 4  # a column of panels whose runs end 4x earlier than the longest gets its own x axis
#: the summary column of the epoch where MLPClassifier stopped (``baseline=sklearn_stopping``)
SKLEARN_STOP = "sklearn_mlp_n_iter"
#: the x axes plot_curves draws, and their labels
TIME_AXES = {"epoch": "epoch", "lr_time": "lr × epoch"}
OSCILLATING_STYLE = dict(linewidth=0.6, alpha=0.45)


@dataclass
class _Drawn:
    """One curve as drawn: its finite points and which of them set a sane y range."""

    ax: Axes
    key: object
    epochs: np.ndarray
    values: np.ndarray
    lows: np.ndarray  # the lowest values drawn at each epoch (the band's min)
    highs: np.ndarray  # the highest values drawn at each epoch (the band's max)
    sane: np.ndarray  # values the y range should show even when others blow up
    diverged_at: tuple[float, float] | None  # where to put the divergence "x"


@dataclass
class _Panels:
    parameters: list[str]  # roles.col, then roles.hue
    keys: list[tuple]
    axes: list[Axes]
    positions: list[tuple[int, int]]
    layout: Layout

    def of(self, frame: pd.DataFrame) -> np.ndarray:
        """The panel index of every row of ``frame`` (0 when its values are unknown)."""
        index = {key: i for i, key in enumerate(self.keys)}
        rows = frame[self.parameters].itertuples(index=False, name=None)
        return np.array([index.get(tuple(row), 0) for row in rows], dtype=int)


def plot_curves(history: pd.DataFrame, summary: pd.DataFrame, plateaus: pd.DataFrame | None,
                roles: Roles, path: str | Path, column: str = "loss",
                log_scale: bool = False, time: str = "epoch") -> Figure:
    """``column`` per epoch: one line per run, or per group with a band over its replicates.

    Parameters
    ----------
    history : DataFrame
        Long: ``job``, the swept parameters, ``epoch``, ``column``.
    summary : DataFrame
        One row per job: ``job``, the swept parameters, ``status``, ``diverged``,
        ``diverged_epoch``, ``convergence_epoch`` (and ``group``, else added);
        ``sklearn_mlp_n_iter`` when scikit-learn's baseline ran.
    plateaus : DataFrame or None
        ``job``, ``start``, ``end`` (1-based, inclusive); drawn on ``loss`` only.
    roles : Roles
        Where the swept parameters go (:func:`sweepnet.analysis.groups.choose_roles`).
    path : str or Path
        Where to save the figure (``.png``, ``.svg`` or ``.pdf``).
    column : str
        ``loss``, ``val_loss``, ``val_accuracy`` or any numeric history column.
    log_scale : bool
        Put the y axis on a log scale.
    time : {"epoch", "lr_time"}
        The x axis: epochs, or (log) the gradient-flow time of each epoch's
        middle, ``τ = effective_lr × updates_per_epoch × (epoch - ½)`` (summary
        columns; ``lr × epoch`` for full-batch descent), on which curves of one
        start at different learning rates fall on one another
        (:mod:`sweepnet.analysis.curves`).

    Returns
    -------
    Figure
        One axes per facet. Without replicates: ``curve:<job>`` (the run's
        epochs and finite values; dashed when it diverged), ``plateau:<job>``,
        ``convergence:<job>``, ``sklearn-stop:<job>`` (where an ``MLPClassifier``
        with its stopping rule stopped before the run's last epoch),
        ``diverged:<job>``; an ``oscillating`` run's ``curve:<job>`` is thin and
        ``centre:<job>`` draws the mean of each two successive epochs over it.
        With replicates:
        ``curve:<group>`` (the mean), ``band:<group>`` (min–max) and
        ``diverged:<group>`` on the mean where a replicate first diverged.

    Raises
    ------
    ValueError
        When ``history`` has no finite value in ``column``, ``path`` has an
        unknown suffix, or ``time="lr_time"`` and a run did not record its
        time scale.
    """
    path = check_path(path)[0]
    _check_column(history, column)
    if time not in TIME_AXES:
        raise ValueError(f"time must be one of {tuple(TIME_AXES)}, got {time!r}")
    if time == "lr_time":
        history, summary, plateaus = on_lr_time(history, summary, plateaus)
    summary = summary if "group" in summary else add_groups(summary, roles)
    table = _job_table(history, summary, roles)
    colour = _colouring(table, roles)
    panels = _facets(table, roles, colour)
    table["_panel"] = panels.of(table)
    if roles.aggregated:
        drawn, notes, entries = _draw_groups(panels, history, table, roles, column, colour)
    else:
        drawn, notes, entries = _draw_runs(panels, history, table, plateaus, roles, column,
                                           colour)
    top, ticks = _axes_limits(panels, drawn, log_scale, log_x=time == "lr_time",
                              from_zero=column in LOSSES)
    for item in drawn:
        if item.diverged_at is not None:
            overlays.mark_divergence(item.ax, item.key, *item.diverged_at, top=top)
    if top is not None:
        notes.append("y axis clipped above the runs that did not diverge")
    panels.layout.left = AXIS_LABEL + ticks_room(ticks)
    _decorate(panels, table, roles, column, log_scale, colour, notes, entries,
              TIME_AXES[time] if time == "epoch" else lr_time_label(summary))
    save(panels.layout.fig, path)
    return panels.layout.fig


def lr_time_label(summary: pd.DataFrame) -> str:
    """``lr × epoch`` when every run made one update per epoch, else ``lr × updates``; saying
    that the rate is ``lr / (1 - momentum)`` when momentum made a run's differ."""
    label = (TIME_AXES["lr_time"] if (floats(summary, "updates_per_epoch") == 1).all()
             else "lr × updates")
    effective, initial = floats(summary, "effective_lr"), floats(summary, "initial_lr")
    if (~np.isclose(effective, initial) & np.isfinite(initial)).any():
        label += " (with momentum: lr / (1 − momentum))"
    return label


def on_lr_time(history: pd.DataFrame, summary: pd.DataFrame, plateaus: pd.DataFrame | None):
    """The frames with every epoch (history, marks, plateaus) as its ``τ`` (see plot_curves)."""
    scale = floats(summary, "effective_lr") * floats(summary, "updates_per_epoch")
    if not np.isfinite(scale).all():
        missing = summary.loc[~np.isfinite(scale), "job"].tolist()
        raise ValueError(f"the lr x epoch axis needs each run's effective_lr and "
                         f"updates_per_epoch (recorded since sweepnet 0.1); missing for jobs "
                         f"{missing[:10]}")
    rows = {row["job"]: row for row in summary.to_dict("records")}
    per_job = {}  # job: (its epochs, their τ), a schedule's rates included (lr_times)
    for job, run in history[history["job"].isin(rows)].groupby("job", sort=False):
        run = run.sort_values("epoch")
        per_job[job] = (floats(run, "epoch"), lr_times(run, rows[job]))

    def to_time(frame: pd.DataFrame, columns) -> pd.DataFrame:
        frame = frame.copy()
        positions = frame.groupby("job", sort=False).indices
        for column in columns:
            if column not in frame:
                continue
            values, timed = floats(frame, column), np.full(len(frame), np.nan)
            for job, where in positions.items():
                if job in per_job and per_job[job][1] is not None:
                    timed[where] = np.interp(values[where], *per_job[job])
            frame[column] = np.where(np.isfinite(values), timed, np.nan)
        return frame

    history = to_time(history[history["job"].isin(per_job)], ["epoch"])
    summary = to_time(summary, ["convergence_epoch", "diverged_epoch", SKLEARN_STOP])
    if plateaus is not None:
        plateaus = to_time(plateaus[plateaus["job"].isin(per_job)], ["start", "end"])
    return history, summary, plateaus


def _check_column(history: pd.DataFrame, column: str) -> None:
    missing = [c for c in ("job", "epoch") if c not in history]
    if missing:
        raise ValueError(f"history needs the columns job and epoch; missing: "
                         f"{', '.join(missing)} (columns found: {', '.join(map(str, history))})")
    def values(name: str) -> pd.Series:
        return pd.to_numeric(history.get(name, pd.Series(dtype=float)), errors="coerce")

    if not np.isfinite(values(column)).any():
        if values(column).notna().any() or not np.isfinite(values("loss")).any():
            why = " (the runs diverged before a finite value)"
        elif column.startswith("val_"):
            why = " (the runs had no validation split: dataset.split.test_size=0)"
        else:
            why = ""
        raise ValueError(f"history has no finite {column!r} values to plot{why}; "
                         f"columns found: {', '.join(map(str, history))}")


def _job_table(history: pd.DataFrame, summary: pd.DataFrame, roles: Roles) -> pd.DataFrame:
    """One row per job: the summary, then jobs found only in the history."""
    extra = history[~history["job"].isin(summary["job"])].drop_duplicates("job")
    if roles.aggregated:  # a run without a summary row has no group
        extra = extra.iloc[:0]
    params = [p for p in (*roles.keys, *roles.replicates) if p in extra]
    table = pd.concat([summary, extra[["job", *params]]], ignore_index=True) if len(
        extra) else summary.reset_index(drop=True).copy()
    for parameter in (*roles.keys, *roles.replicates):
        if parameter not in table:
            table[parameter] = np.nan
    table["_diverged"], _ = statuses(table)
    return table


def _facets(table: pd.DataFrame, roles: Roles, colour: Colouring) -> _Panels:
    """The figure and its panels: hue values across, ``col`` combinations down.

    Every panel shares both axes with the first: one set of limits and ticks.
    """
    parameters = [*roles.col, *([roles.hue] if roles.hue else [])]
    outer = combinations(table, roles.col)
    hues = ordered_values(table[roles.hue]) if roles.hue else []
    keys = [(*o, h) for o in outer for h in hues] if roles.hue else outer
    nrows, ncols, positions = grid_positions(len(hues), len(outer))
    lay = layout(nrows, ncols, PANEL_SIZE, wgap=0.3, colorbar=colour.norm is not None,
                 size=SINGLE_SIZE if len(keys) == 1 else None)
    axes = facet_axes(lay, positions, sharex=True, sharey=True)
    return _Panels(parameters, keys, axes, positions, lay)


def _colouring(table: pd.DataFrame, roles: Roles) -> Colouring:
    if roles.x is not None:
        return colouring(roles.x, table[roles.x])
    if roles.aggregated:  # only replicates were swept: one group
        return colouring(None, [0])
    return colouring(None, table["job"])  # nothing swept: one colour per run


def _colours(table: pd.DataFrame, roles: Roles, colour: Colouring) -> list:
    if roles.x is not None:
        return colour.colours(table[roles.x])
    return colour.colours([0] * len(table) if roles.aggregated else table["job"])


def _finite_runs(history: pd.DataFrame, column: str) -> dict:
    """Per job, ``(epochs, values)`` of its finite ``column`` values, epochs ascending."""
    values = pd.to_numeric(history[column], errors="coerce").to_numpy(dtype=float)
    epochs = pd.to_numeric(history["epoch"], errors="coerce").to_numpy(dtype=float)
    codes, jobs = pd.factorize(history["job"])
    keep = np.isfinite(values) & (codes >= 0)
    codes, epochs, values = codes[keep], epochs[keep], values[keep]
    order = np.lexsort((epochs, codes))
    codes, epochs, values = codes[order], epochs[order], values[order]
    cuts = np.flatnonzero(np.diff(codes)) + 1
    return {jobs[c[0]]: (e, v) for c, e, v in zip(np.split(codes, cuts), np.split(epochs, cuts),
                                                    np.split(values, cuts)) if c.size}


def _draw_runs(panels: _Panels, history: pd.DataFrame, table: pd.DataFrame,
               plateaus: pd.DataFrame | None, roles: Roles, column: str, colour: Colouring):
    """One line per run, with its plateaus and convergence dot (training loss only)."""
    runs = _finite_runs(history, column)
    on_loss = column == "loss"
    spans = (dict(tuple(plateaus.groupby("job", sort=False)))
             if on_loss and plateaus is not None and len(plateaus) else {})
    colours = _colours(table, roles, colour)
    converged_at = floats(table, "convergence_epoch") if on_loss else np.full(len(table), np.nan)
    sklearn_stop = floats(table, SKLEARN_STOP) if on_loss else np.full(len(table), np.nan)
    diverged_at = floats(table, "diverged_epoch")
    shaking = flags(table, "oscillating")
    empty = np.array([])
    drawn = []
    seen = {"plateau": False, "convergence": False, "sklearn": False, "oscillating": False}
    for i, (job, panel, diverged) in enumerate(zip(table["job"], table["_panel"],
                                                   table["_diverged"])):
        epochs, values = runs.get(job, (empty, empty))
        ax = panels.axes[panel]
        style = OSCILLATING_STYLE if shaking[i] else dict(linewidth=1.5)
        line(ax, epochs, values, color=colours[i], linestyle="--" if diverged else "-",
             gid=f"curve:{job}", label="_curve", **style)
        if shaking[i] and values.size > 1:  # the centre of a period-2 oscillation
            line(ax, (epochs[1:] + epochs[:-1]) / 2, (values[1:] + values[:-1]) / 2,
                 color=colours[i], linewidth=1.5, gid=f"centre:{job}", label="_centre")
            seen["oscillating"] = True
        seen["plateau"] |= overlays.shade_plateaus(
            ax, job, epochs, values, spans.get(job), colours[i]) is not None
        seen["convergence"] |= overlays.mark_convergence(
            ax, job, epochs, values, converged_at[i], colours[i]) is not None
        seen["sklearn"] |= overlays.mark_sklearn_stop(
            ax, job, epochs, values, sklearn_stop[i], colours[i]) is not None
        sane = values
        if diverged and np.isfinite(diverged_at[i]):
            sane = values[epochs < diverged_at[i]]
        mark = (epochs[-1], values[-1]) if diverged and epochs.size else None
        drawn.append(_Drawn(ax, job, epochs, values, values, values, sane, mark))
    notes = [text for shown, text in ((seen["plateau"], "shaded: plateaus"),
                                      (seen["convergence"], "dots: convergence epoch"),
                                      (seen["sklearn"], "triangles: where scikit-learn's "
                                                        "stopping rule stopped"),
                                      (table["_diverged"].any(),
                                       "dashed with x: diverged (x = last finite value)"),
                                      (seen["oscillating"],
                                       "oscillating runs: thin, every epoch; thick, the mean "
                                       "of two successive epochs"))
             if shown]
    entries = overlays.legend_entries(seen["plateau"], seen["convergence"],
                                      bool(table["_diverged"].any()), seen["sklearn"])
    if seen["oscillating"]:
        entries.append(Line2D([], [], color="0.3", label="oscillating (every epoch)",
                              **OSCILLATING_STYLE))
    return drawn, notes, entries


def _draw_groups(panels: _Panels, history: pd.DataFrame, table: pd.DataFrame, roles: Roles,
                 column: str, colour: Colouring):
    """One mean line and one min–max band per group of replicates."""
    stats = group_curves(history, table, roles, column)
    table = table.assign(_diverged_at=floats(table, "diverged_epoch"))
    table.loc[~table["_diverged"], "_diverged_at"] = np.nan
    runs = table.groupby("group", sort=True).agg(
        n=("job", "size"), diverged=("_diverged", "sum"), panel=("_panel", "first"),
        diverged_at=("_diverged_at", "min"))
    first = table.drop_duplicates("group").set_index("group")
    colours = dict(zip(first.index, _colours(first, roles, colour)))
    drawn, legends = [], {}
    for group, curve in stats.groupby("group", sort=True):
        epochs = curve["epoch"].to_numpy(dtype=float)
        mean, low, high = (curve[s].to_numpy(dtype=float) for s in ("mean", "min", "max"))
        run = runs.loc[group]
        ax, c = panels.axes[int(run["panel"])], colours[group]
        outline = np.column_stack([np.r_[epochs, epochs[::-1]], np.r_[low, high[::-1]]])
        ax.add_collection(PolyCollection([outline], facecolors=[c], alpha=0.2, linewidths=0,
                                         gid=f"band:{group}", label="_band"), autolim=False)
        line(ax, epochs, mean, color=c, linewidth=1.6, linestyle="--" if run["diverged"] else "-",
             gid=f"curve:{group}", label="_curve")
        mark, sane = None, np.concatenate([low, high])
        if run["diverged"]:
            mark, sane = _first_divergence(epochs, mean, curve["n"].to_numpy(), run)
            name = label(roles.x, first.loc[group, roles.x]) + ": " if roles.x else ""
            legends.setdefault(int(run["panel"]), []).append(Line2D(
                [], [], color=c, linestyle="--", marker="x", markeredgecolor="tab:red",
                label=f"{name}{run['diverged']:g}/{run['n']:g} diverged"))
        drawn.append(_Drawn(ax, group, epochs, mean, low, high, sane, mark))
    where = "lower right" if _rising(drawn) else "upper right"
    for panel, entries in legends.items():
        _diverged_legend(panels.axes[panel], entries, where)
    notes = [f"line: {replicate_note(roles, runs['n'])}; band: min–max"]
    if runs["diverged"].any():
        notes.append("dashed with x: some replicates diverged (x = the first divergence)")
    return drawn, notes, []


def _first_divergence(epochs: np.ndarray, mean: np.ndarray, counts: np.ndarray, run: pd.Series):
    """Where a group's first replicate diverged, and the part of its mean before that.

    At the group's earliest ``diverged_epoch`` when known, else at the last
    epoch at which every replicate still had a finite value.
    """
    at = run["diverged_at"]
    if np.isfinite(at) and (epochs <= at).any():
        last = np.flatnonzero(epochs <= at)[-1]
        return (epochs[last], mean[last]), mean[epochs < at]
    whole = np.flatnonzero(counts >= run["n"])
    last = whole[-1] if whole.size else len(epochs) - 1
    return (epochs[last], mean[last]), mean[:last + 1]


def _rising(drawn: list[_Drawn]) -> bool:
    """Whether the curves mostly go up (accuracy), so the top right corner is busy."""
    ends = [(d.values[0], d.values[-1]) for d in drawn if d.values.size > 1]
    return bool(ends) and float(np.median([last - first for first, last in ends])) > 0


def _diverged_legend(ax: Axes, entries: list, where: str) -> None:
    """The diverged groups of a panel, in the corner the curves leave free."""
    if len(entries) > MAX_DIVERGED_ENTRIES:
        more = len(entries) - MAX_DIVERGED_ENTRIES + 1
        entries = entries[:MAX_DIVERGED_ENTRIES - 1] + [
            Line2D([], [], linestyle="none", label=f"… and {more} more groups")]
    ax.legend(handles=entries, loc=where, fontsize=SMALL_FONT - 1, framealpha=0.8)


def _axes_limits(panels: _Panels, drawn: list[_Drawn], log_scale: bool, log_x: bool = False,
                 from_zero: bool = False) -> tuple[float | None, list[str]]:
    """Fix the shared axes: epochs across; the values drawn up (clipped above the sane
    curves when a diverged one blew up), from 0 with ``from_zero`` on a linear scale (a
    loss: a flat curve is not zoomed into a steep one).

    Returns the top of the y axis when clipped (else None) and the y tick labels.
    """
    lay = panels.layout
    for axes, epochs in _x_ranges(panels, drawn):
        if log_x:
            epochs = epochs[epochs > 0]
        if epochs.size:
            fix_axes(axes, "x", epochs.min(), epochs.max(), margin=0.02, integer=not log_x,
                     log=log_x, nbins=max(3, int(lay.panel_width / 0.75)))
    lows = np.concatenate([d.lows for d in drawn] or [np.array([])])
    highs = np.concatenate([d.highs for d in drawn] or [np.array([])])
    if log_scale:
        lows, highs = lows[lows > 0], highs[highs > 0]
    if not lows.size or not highs.size:  # nothing to fix the values by: matplotlib's way
        if log_scale:
            for ax in panels.axes:
                ax.set_yscale("log")
        return None, []
    top, margin, (low, high) = None, 0.05, (lows.min(), highs.max())
    clipped = _clip(drawn, log_scale)
    if clipped is not None:
        top, margin, (low, high) = clipped[1], 0.0, clipped
    if from_zero and not log_scale and low >= 0:
        low, high = 0.0, high * (1 + margin)
        margin = 0.0
    ticks = fix_axes(panels.axes, "y", low, high, log=log_scale, margin=margin,
                     nbins=max(3, int(lay.panel_height / 0.5)))
    return top, ticks


def _x_ranges(panels: _Panels, drawn: list[_Drawn]) -> list[tuple[list[Axes], np.ndarray]]:
    """The panels' epochs: one range for every panel, or one per column of panels when a
    column's runs end before 1 / :data:`OWN_X_AXIS` of the longest (15 epochs beside 400)."""
    columns: list[list[Axes]] = []
    for ax in panels.axes:
        column = next((c for c in columns if ax.get_shared_x_axes().joined(ax, c[0])), None)
        if column is None:
            columns.append([ax])
        else:
            column.append(ax)
    empty = np.array([])
    epochs = [np.concatenate([d.epochs for d in drawn if any(d.ax is ax for ax in column)]
                             or [empty]) for column in columns]
    ends = [e.max() for e in epochs if e.size]
    if len(ends) > 1 and max(ends) > OWN_X_AXIS * min(ends):
        return list(zip(columns, epochs))
    return [(panels.axes, np.concatenate(epochs or [empty]))]


def _clip(drawn: list[_Drawn], log_scale: bool) -> tuple[float, float] | None:
    """The y limits clipped above the sane curves when a diverged one blew up, else None."""
    sane = np.concatenate([d.sane for d in drawn] or [np.array([])])
    highs = np.concatenate([d.highs for d in drawn] or [np.array([])])
    if not sane.size or not highs.size:
        return None
    high, low = sane.max(), sane.min()
    if log_scale:
        positive = sane[sane > 0]
        if not positive.size or highs.max() <= 10 * positive.max():
            return None
        top = positive.max() * 3
        return positive.min() / (top / positive.min()) ** 0.05, top
    if not (high > low and highs.max() > high + 0.5 * (high - low) + abs(high) * 0.5):
        return None
    top = high + 0.15 * (high - min(low, 0.0))
    return min(low, 0.0) - 0.02 * (top - min(low, 0.0)), top


def _decorate(panels: _Panels, table: pd.DataFrame, roles: Roles, column: str,
              log_scale: bool, colour: Colouring, notes: list[str], entries: list,
              xlabel: str) -> None:
    """Panel titles, axis labels, the margins they need, colorbar or legend, the title.

    Runs coloured one by one (nothing swept) are named by their overrides."""
    lay = panels.layout
    titles = [wrap(labels(panels.parameters, key), lay.panel_width, TITLE_FONT)
              if panels.parameters else [] for key in panels.keys]
    for ax, title in zip(panels.axes, titles):
        if title:
            ax.set_title("\n".join(title), fontsize=TITLE_FONT, y=1.0)
        ax.grid(True, alpha=0.3)
    lines = max(map(len, titles), default=0)
    lay.top = lay.hgap = 0.15 + (text_height(lines, TITLE_FONT) + 0.05 if lines else 0.0)
    name = COLUMN_LABELS.get(column, column)
    label_outer(panels.axes, panels.positions, xlabel,
                name + (" (log scale)" if log_scale else ""))
    names = dict(zip(table["job"], table["overrides"])) if "overrides" in table else {}
    handles = [] if roles.aggregated and not roles.x else colour.legend_handles(
        None if roles.x else lambda v: names.get(v) or f"job {v}")
    title = name[0].upper() + name[1:]
    if xlabel != TIME_AXES["epoch"]:
        title += f" against {xlabel}"
    if roles.keys:
        title += " by " + ", ".join(roles.keys)
    cax = lay.finish("\n".join([title, "; ".join(notes)]) if notes else title,
                     handles + entries)
    colour.colorbar(cax)

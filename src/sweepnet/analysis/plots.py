"""Plots of a sweep: loss curves, convergence, validation accuracy, decision boundaries.

Every function draws on its own :class:`~matplotlib.figure.Figure` rendered by
the Agg canvas (no pyplot, no global state, no window), saves it to ``path``
(the format follows the suffix: ``.png``, ``.svg``, ``.pdf``; PNG when there is
none) at a fixed dpi of :data:`DPI`, and returns the figure. Sizes are exact:
``figsize=(9, 5)`` gives a 900x500 PNG.

The frames are those of :func:`sweepnet.results.load` plus the curve analysis
(:func:`sweepnet.analysis.curves.analyze`): ``history`` (long, one row per job
and epoch), ``summary`` (one row per job) and ``plateaus`` (one row per
plateau); ``parameters`` names the swept columns (empty for a single run:
lines are then labelled by job).

Finding what was drawn
----------------------
Each artist of a plot carries a ``gid`` ``"<role>:<job>"`` (see
:func:`artists`), so a caller or a test can tell curves from decorations:

``curve``
    the loss (or accuracy) curve of a job: one :class:`~matplotlib.lines.Line2D`
    per job whose data are the job's epochs and finite values;
``plateau``
    a thick translucent segment over a plateau of the job's curve, one per
    row of ``plateaus``;
``convergence``
    the dot at the job's convergence epoch;
``diverged``
    the "x" at the last finite loss of a diverged job;
``series``
    in :func:`plot_convergence`, one line per value of the second swept
    parameter (``"series:<value>"``, or ``"series:all"``);
``stuck`` / ``failed``
    in :func:`plot_convergence`, the markers of stuck / failed runs.

Legend entries are proxy artists that are not added to the axes.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

__all__ = [
    "DPI",
    "artists",
    "plot_convergence",
    "plot_decision_boundary",
    "plot_decision_grid",
    "plot_loss_curves",
    "plot_val_accuracy",
]

#: dots per inch of every saved figure (sizes in pixels are ``figsize * DPI``)
DPI = 100
SINGLE_FIGSIZE = (9.0, 5.0)
WIDE_FIGSIZE = (12.0, 5.0)
DECISION_FIGSIZE = (8.0, 6.0)
DECISION_PANEL_SIZE = (4.0, 3.5)

SEQUENTIAL_CMAP = "viridis"
DECISION_CMAP = "Spectral_r"
#: line styles for the values of a second swept parameter ("--" marks divergence)
LINESTYLES = ["-", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 2))]
STUCK_COLOR, DIVERGED_COLOR, FAILED_COLOR = "tab:red", "tab:red", "0.45"
LOG_SPAN = 10.0  # a positive numeric range wider than this factor gets a log scale


# --------------------------------------------------------------------------- shared helpers


def artists(ax: Axes, role: str) -> list:
    """The artists of ``ax`` drawn for ``role`` (``"curve"``, ``"plateau"``, ...).

    Parameters
    ----------
    ax : Axes
        An axes of a figure returned by this module.
    role : str
        The part of the ``gid`` before the colon (see the module docstring).

    Returns
    -------
    list
        Lines and collections whose ``gid`` is ``role`` or starts with ``role + ":"``,
        in drawing order.
    """
    found = []
    for artist in [*ax.lines, *ax.collections, *ax.patches]:
        gid = artist.get_gid() or ""
        if gid == role or gid.startswith(role + ":"):
            found.append(artist)
    return found


def format_value(value) -> str:
    """A parameter value for a label: numbers with ``:g``, anything else as ``str``."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"{value:g}"
    return str(value)


def _label(parameter: str, value) -> str:
    return f"{parameter} = {format_value(value)}"


def _as_numbers(values: pd.Series) -> np.ndarray | None:
    """``values`` as floats when every non-missing one is a number (not a bool), else None."""
    if pd.api.types.is_bool_dtype(values):
        return None
    present = values.dropna()
    if any(isinstance(v, (bool, np.bool_)) for v in present):
        return None
    numbers = pd.to_numeric(present, errors="coerce")
    if numbers.isna().any():
        return None
    return pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()


def _floats(frame: pd.DataFrame, column: str, default: float = np.nan) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), default)
    return np.array(pd.to_numeric(frame[column], errors="coerce"), dtype=float)  # writable


def _flags(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    values = frame[column].map(lambda v: str(v).strip().lower() in ("true", "1", "1.0"))
    return np.array(values, dtype=bool)  # a writable copy


def _tick_label(value: float, _position=None) -> str:
    return f"{value:g}"


def _wants_log(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return bool(finite.size and (finite > 0).all() and finite.max() > LOG_SPAN * finite.min())


def _distinct(values: Sequence) -> list:
    """Distinct values in order of appearance (numbers sorted when all are numbers)."""
    seen = list(dict.fromkeys(v for v in values if not _missing(v)))
    if seen and all(isinstance(v, (int, float, np.integer, np.floating))
                    and not isinstance(v, (bool, np.bool_)) for v in seen):
        return sorted(seen)
    return seen


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


@dataclass
class _Colouring:
    """How jobs get their colour: by a numeric parameter (colormap) or by category."""

    parameter: str | None  # None: by job
    colors: dict  # job -> colour
    norm: Normalize | None = None  # numeric: the colorbar's norm
    categories: list | None = None  # categorical: (value, colour) legend entries

    def colorbar(self, fig: Figure, ax: Axes | Sequence[Axes], ticks: Sequence | None):
        """Add the colorbar of a numeric colouring (a no-op for a categorical one)."""
        if self.norm is None:
            return None
        from matplotlib.cm import ScalarMappable

        mappable = ScalarMappable(norm=self.norm, cmap=SEQUENTIAL_CMAP)
        cbar = fig.colorbar(mappable, ax=ax, pad=0.02)
        cbar.set_label(self.parameter)
        if ticks is not None and 1 < len(ticks) <= 8:
            cbar.set_ticks(list(ticks), labels=[format_value(t) for t in ticks])
            cbar.ax.minorticks_off()
        return cbar


def _colouring(table: pd.DataFrame, parameters: Sequence[str]) -> _Colouring:
    """Colour every job of ``table`` (any frame with ``job`` and the parameter columns).

    The first swept parameter decides: numeric with at least two values ->
    ``viridis`` with a (log, when positive and wider than a factor 10) norm
    and a colorbar; otherwise one categorical colour per value (per job when
    nothing was swept).
    """
    from matplotlib import colormaps

    rows = table.drop_duplicates("job")
    jobs = rows["job"].tolist()
    parameter = parameters[0] if parameters and parameters[0] in rows else None
    if parameter is not None:
        numbers = _as_numbers(rows[parameter])
        finite = numbers[np.isfinite(numbers)] if numbers is not None else np.array([])
        if np.unique(finite).size >= 2:
            if _wants_log(finite):
                norm = LogNorm(vmin=finite.min(), vmax=finite.max())
            else:
                norm = Normalize(vmin=finite.min(), vmax=finite.max())
            cmap = colormaps[SEQUENTIAL_CMAP]
            colors = {job: cmap(norm(v)) if np.isfinite(v) else "0.5"
                      for job, v in zip(jobs, numbers)}
            return _Colouring(parameter, colors, norm=norm)
        keys = rows[parameter].tolist()
    else:
        keys = jobs
    values = _distinct(keys)
    if len(values) <= 10:
        palette = [f"C{i}" for i in range(len(values))]
    else:
        palette = [colormaps["turbo"](x) for x in np.linspace(0.05, 0.95, len(values))]
    by_value = dict(zip(values, palette))
    colors = {job: by_value.get(key, "0.5") for job, key in zip(jobs, keys)}
    return _Colouring(parameter, colors, categories=list(by_value.items()))


def _linestyles(table: pd.DataFrame, parameters: Sequence[str]) -> tuple[dict, list]:
    """Per job, the line style of its value of the second swept parameter; and the legend."""
    rows = table.drop_duplicates("job")
    if len(parameters) < 2 or parameters[1] not in rows:
        return {job: "-" for job in rows["job"]}, []
    second = parameters[1]
    values = _distinct(rows[second].tolist())
    styles = {v: LINESTYLES[i % len(LINESTYLES)] for i, v in enumerate(values)}
    per_job = {job: styles.get(v, "-") for job, v in zip(rows["job"], rows[second])}
    legend = [Line2D([], [], color="0.3", linestyle=styles[v], label=_label(second, v))
              for v in values]
    return per_job, legend


def _colour_legend(colouring: _Colouring) -> list:
    if not colouring.categories:
        return []
    return [Line2D([], [], color=color, linewidth=2,
                   label=_label(colouring.parameter, value) if colouring.parameter
                   else f"job {format_value(value)}")
            for value, color in colouring.categories]


def _figure(figsize: tuple[float, float]) -> Figure:
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = path.suffix[1:].lower() or "png"
    fig.savefig(path, format=fmt, dpi=DPI)


def _jobs(history: pd.DataFrame, summary: pd.DataFrame | None) -> list:
    """Every job, in the summary's order, then those only in the history."""
    jobs = list(summary["job"]) if summary is not None and "job" in summary else []
    if "job" in history:
        jobs += [j for j in history["job"].drop_duplicates() if j not in set(jobs)]
    return list(dict.fromkeys(jobs))


def _param_table(history: pd.DataFrame, summary: pd.DataFrame | None,
                 parameters: Sequence[str]) -> pd.DataFrame:
    """One row per job with its parameter values (from the summary, else the history)."""
    columns = ["job", *[p for p in parameters]]
    frames = [f for f in (summary, history) if f is not None and "job" in f]
    parts = [f[[c for c in columns if c in f]].drop_duplicates("job") for f in frames]
    table = pd.concat(parts, ignore_index=True).drop_duplicates("job") if parts else None
    if table is None:
        return pd.DataFrame(columns=columns)
    return table


def _draw_curves(ax: Axes, history: pd.DataFrame, jobs: list, column: str,
                 colouring: _Colouring, styles: dict, diverged: set) -> dict:
    """One line per job (gid ``curve:<job>``) through its finite ``column`` values.

    Returns, per job, ``(epochs, values)`` of the finite points.
    """
    drawn = {}
    groups = dict(tuple(history.groupby("job", sort=False))) if len(history) else {}
    for job in jobs:
        run = groups.get(job)
        if run is None:
            epochs, values = np.array([]), np.array([])
        else:
            run = run.sort_values("epoch")
            epochs = run["epoch"].to_numpy(dtype=float)
            values = pd.to_numeric(run[column], errors="coerce").to_numpy(dtype=float)
            keep = np.isfinite(values)
            epochs, values = epochs[keep], values[keep]
        style = "--" if job in diverged else styles.get(job, "-")
        ax.plot(epochs, values, color=colouring.colors.get(job, "0.5"), linestyle=style,
                linewidth=1.6, gid=f"curve:{job}", label=f"_curve {job}")
        drawn[job] = (epochs, values)
    return drawn


# --------------------------------------------------------------------------- loss curves


def plot_loss_curves(history: pd.DataFrame, summary: pd.DataFrame, plateaus: pd.DataFrame,
                     parameters: Sequence[str], path: str | Path,
                     log_scale: bool = False) -> Figure:
    """Training loss per epoch, one line per job, with plateaus, convergence and divergence.

    Parameters
    ----------
    history : DataFrame
        Long history: ``job``, the parameter columns, ``epoch``, ``loss``, ...
    summary : DataFrame
        One row per job with the curve analysis (``convergence_epoch``,
        ``diverged``, ...).
    plateaus : DataFrame
        One row per plateau: ``job``, ``start``, ``end`` (1-based, inclusive), ...
    parameters : sequence of str
        The swept parameter columns; the first colours the lines (a colorbar
        when numeric, a legend otherwise), the second sets their line style.
    path : str or Path
        Where to save the figure (format from the suffix).
    log_scale : bool
        Put the loss axis on a log scale.

    Returns
    -------
    Figure
        One axes. Curve lines have gid ``curve:<job>`` (their data are the
        job's epochs and finite losses), plateau segments ``plateau:<job>``
        (one per plateau row), convergence dots ``convergence:<job>``, the
        "x" at the last finite loss of a diverged job ``diverged:<job>``;
        see :func:`artists`. Diverged runs are dashed.
    """
    parameters = list(parameters)
    fig = _figure(SINGLE_FIGSIZE)
    ax = fig.add_subplot()
    jobs = _jobs(history, summary)
    table = _param_table(history, summary, parameters)
    colouring = _colouring(table, parameters)
    styles, style_legend = _linestyles(table, parameters)

    diverged_flags = _flags(summary, "diverged") | (
        summary.get("status", pd.Series(index=summary.index, dtype=object)) == "diverged"
    ).to_numpy()
    diverged = {job for job, flag in zip(summary.get("job", []), diverged_flags) if flag}
    diverged_at = dict(zip(summary.get("job", []), _floats(summary, "diverged_epoch")))
    drawn = _draw_curves(ax, history, jobs, "loss", colouring, styles, diverged)

    # plateaus: the run's own curve, thick and translucent, over [start, end]
    n_plateaus = 0
    for row in plateaus.itertuples(index=False) if len(plateaus) else []:
        epochs, values = drawn.get(row.job, (np.array([]), np.array([])))
        inside = (epochs >= row.start) & (epochs <= row.end)
        ax.plot(epochs[inside], values[inside], color=colouring.colors.get(row.job, "0.5"),
                linewidth=7, alpha=0.25, solid_capstyle="butt", gid=f"plateau:{row.job}",
                label="_plateau", zorder=1.5)
        n_plateaus += 1

    # convergence dots
    converged = dict(zip(summary.get("job", []), _floats(summary, "convergence_epoch")))
    n_converged = 0
    for job in jobs:
        epoch = converged.get(job, np.nan)
        epochs, values = drawn[job]
        hit = np.flatnonzero(epochs == round(epoch)) if np.isfinite(epoch) else []
        if len(hit):
            ax.plot([epochs[hit[0]]], [values[hit[0]]], linestyle="none", marker="o",
                    markersize=6, color=colouring.colors.get(job, "0.5"),
                    markeredgecolor="black", markeredgewidth=0.8, zorder=4,
                    gid=f"convergence:{job}", label="_convergence")
            n_converged += 1

    # y range: keep the sane part readable when a diverged run blew up
    sane = [values for job, (epochs, values) in drawn.items() if job not in diverged]
    sane += [values[epochs < diverged_at.get(job, np.inf)] if np.isfinite(
        diverged_at.get(job, np.nan)) else values for job, (epochs, values) in drawn.items()
        if job in diverged]
    sane_values = np.concatenate(sane) if sane else np.array([])
    all_values = np.concatenate([v for _, v in drawn.values()]) if drawn else np.array([])
    top = None
    if log_scale:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(_tick_label))
    if sane_values.size and all_values.size:
        high, low = sane_values.max(), sane_values.min()
        if log_scale:
            positive = sane_values[sane_values > 0]
            if positive.size and all_values.max() > 10 * positive.max():
                top = positive.max() * 3
                ax.set_ylim(bottom=positive.min() / (top / positive.min()) ** 0.05)
        elif high > low and all_values.max() > high + 0.5 * (high - low) + abs(high) * 0.5:
            top = high + 0.15 * (high - min(low, 0.0))
        if top is not None:
            ax.set_ylim(top=top)
            if not log_scale:
                ax.set_ylim(bottom=min(low, 0.0) - 0.02 * (top - min(low, 0.0)))

    # diverged: an "x" at the last finite loss (at the top edge when clipped)
    for job in jobs:
        epochs, values = drawn[job]
        if job in diverged and epochs.size:
            y = values[-1] if top is None else min(values[-1], top)
            ax.plot([epochs[-1]], [y], linestyle="none", marker="x", markersize=9,
                    markeredgewidth=2.2, color=DIVERGED_COLOR, zorder=5, clip_on=False,
                    gid=f"diverged:{job}", label="_diverged")

    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss" + (" (log scale)" if log_scale else ""))
    what = " and ".join(parameters[:2]) if parameters else ""
    fig.suptitle(f"Training loss by {what}" if what else "Training loss")
    notes = []
    if n_plateaus:
        notes.append("shaded: plateaus")
    if n_converged:
        notes.append("dots: convergence epoch")
    if diverged:
        notes.append("dashed with x: diverged (x = last finite loss)")
    if top is not None:
        notes.append("loss axis clipped above the runs that did not diverge")
    if notes:
        ax.set_title("\n".join(textwrap.wrap(", ".join(notes), 110)), fontsize=9, color="0.3")
    ax.grid(True, alpha=0.3)

    handles = _colour_legend(colouring) + style_legend
    if n_plateaus:
        handles.append(Line2D([], [], color="0.4", linewidth=7, alpha=0.25,
                              solid_capstyle="butt", label="plateau"))
    if n_converged:
        handles.append(Line2D([], [], linestyle="none", marker="o", color="0.6",
                              markeredgecolor="black", label="convergence epoch"))
    if diverged:
        handles.append(Line2D([], [], color="0.3", linestyle="--", marker="x",
                              markeredgecolor=DIVERGED_COLOR, markeredgewidth=2,
                              label="diverged"))
    return _finish_curves(fig, ax, handles, colouring, table, path)


def _finish_curves(fig, ax, handles, colouring, table, path):
    """Legend, colour bar and file: the common end of the per-epoch curve plots."""
    if handles:
        ax.legend(handles=handles, fontsize="small", loc="best",
                  ncols=2 if len(handles) > 12 else 1)
    colouring.colorbar(fig, ax, _distinct(table[colouring.parameter].tolist())
                       if colouring.parameter else None)
    _save(fig, path)
    return fig


# --------------------------------------------------------------------------- convergence


def _off_scale(ax: Axes, xs: np.ndarray, **style) -> None:
    """Markers just below the top edge of ``ax`` at ``xs`` (for values not on the scale)."""
    if len(xs):
        ax.plot(xs, np.full(len(xs), 0.95), transform=ax.get_xaxis_transform(),
                linestyle="none", clip_on=False, zorder=5, **style)


def _headroom(ax: Axes) -> None:
    """Make room at the top of ``ax`` for the off-scale markers."""
    low, high = ax.get_ylim()
    if ax.get_yscale() == "log":
        ax.set_ylim(low, high * (high / low) ** 0.15)
    else:
        ax.set_ylim(low, high + 0.15 * (high - low))


def plot_convergence(summary: pd.DataFrame, parameters: Sequence[str],
                     path: str | Path) -> Figure:
    """Final loss and convergence epoch against the first swept parameter.

    Parameters
    ----------
    summary : DataFrame
        One row per job with ``status``, ``final_loss`` and the curve analysis
        (``convergence_epoch``, ``stuck``, ``diverged``).
    parameters : sequence of str
        The swept parameter columns: the first is the x axis (log scale when
        numeric, positive and wider than a factor 10; categorical positions
        with tick labels when not numeric; the job when nothing was swept),
        the second gives one line per value (legend).
    path : str or Path
        Where to save the figure (format from the suffix).

    Returns
    -------
    Figure
        Two axes, final loss (left) and convergence epoch (right). Each has
        one line per value of the second parameter, gid ``series:<value>``
        (``series:all`` with a single parameter) through the mean over the
        runs that neither diverged nor failed and have a finite value; stuck
        runs are circled in red (gid ``stuck``); runs off the scale are marked
        just below the top edge: diverged (red x, gid ``diverged``), failed
        (grey square, gid ``failed``), not converged (hollow triangle, gid
        ``not_converged``).
    """
    parameters = list(parameters)
    fig = _figure(WIDE_FIGSIZE)
    ax_loss, ax_conv = fig.subplots(1, 2)
    first = parameters[0] if parameters and parameters[0] in summary else None
    raw = summary[first] if first else summary["job"]
    x_name = first or "job"
    numbers = _as_numbers(raw) if first else None
    if numbers is not None and np.isfinite(numbers).any():
        x = numbers
        categories = None
    else:
        categories = _distinct(raw.tolist())
        position = {v: i for i, v in enumerate(categories)}
        x = np.array([position.get(v, np.nan) for v in raw], dtype=float)

    second = parameters[1] if len(parameters) > 1 and parameters[1] in summary else None
    if second:
        groups = [(format_value(v), (summary[second] == v).to_numpy(), f"C{i % 10}",
                   _label(second, v)) for i, v in enumerate(_distinct(summary[second].tolist()))]
    else:
        groups = [("all", np.ones(len(summary), dtype=bool), "C0", "runs")]

    status = summary["status"].astype(str).to_numpy() if "status" in summary else None
    diverged = _flags(summary, "diverged")
    failed = np.zeros(len(summary), dtype=bool)
    if status is not None:
        diverged |= status == "diverged"
        failed = (status == "failed") & ~diverged
    stuck = _flags(summary, "stuck")
    finals = _floats(summary, "final_loss")
    epochs = _floats(summary, "convergence_epoch")

    handles: dict[str, object] = {}
    panels = [(ax_loss, finals, "final training loss", "Final training loss", "no final loss"),
              (ax_conv, epochs, "convergence epoch", "Convergence epoch", "not converged")]
    for ax, y, ylabel, title, missing_label in panels:
        on_scale = ~diverged & ~failed & np.isfinite(y) & np.isfinite(x)
        for key, mask, color, label in groups:
            ok = mask & on_scale
            means = pd.Series(y[ok]).groupby(x[ok]).mean()
            line, = ax.plot(means.index.to_numpy(dtype=float), means.to_numpy(), marker="o",
                            color=color, gid=f"series:{key}", label=label)
            handles.setdefault(label, line)
            if len(means) < ok.sum():  # several runs at one x: show them all
                ax.plot(x[ok], y[ok], linestyle="none", marker="o", markersize=3, alpha=0.5,
                        color=color, gid=f"points:{key}", label="_points")
        if ax is ax_loss and _wants_log(y[on_scale]):
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(_tick_label))
        if ax is ax_conv:
            ax.set_ylim(bottom=0)
        circled = stuck & on_scale
        if circled.any():
            ax.plot(x[circled], y[circled], linestyle="none", marker="o", markersize=13,
                    markerfacecolor="none", markeredgecolor=STUCK_COLOR, markeredgewidth=1.8,
                    zorder=5, gid="stuck", label="_stuck")
        top_markers = [
            (diverged, dict(marker="x", markersize=9, markeredgewidth=2.2,
                            color=DIVERGED_COLOR), "diverged", "diverged (not finite)"),
            (failed, dict(marker="s", markersize=7, color=FAILED_COLOR), "failed", "failed"),
            (~diverged & ~failed & ~np.isfinite(y), dict(
                marker="^", markersize=8, markerfacecolor="none", markeredgewidth=1.5,
                color="0.35"), "not_converged", missing_label),
        ]
        if any((flag & np.isfinite(x)).any() for flag, *_ in top_markers):
            _headroom(ax)
        for flag, style, gid, label in top_markers:
            chosen = flag & np.isfinite(x)
            _off_scale(ax, x[chosen], gid=gid, label="_" + gid, **style)
            if chosen.any():
                handles.setdefault(label, Line2D([], [], linestyle="none", **style, label=label))
        circled_top = stuck & ~on_scale & np.isfinite(x)
        _off_scale(ax, x[circled_top], marker="o", markersize=13, markerfacecolor="none",
                   markeredgecolor=STUCK_COLOR, markeredgewidth=1.8, gid="stuck", label="_stuck")
        if stuck.any():
            handles.setdefault("stuck on a plateau", Line2D(
                [], [], linestyle="none", marker="o", markersize=11, markerfacecolor="none",
                markeredgecolor=STUCK_COLOR, markeredgewidth=1.8, label="stuck on a plateau"))

        if categories is not None:
            ax.set_xticks(range(len(categories)),
                          labels=[format_value(c) for c in categories])
            ax.set_xlim(-0.5, len(categories) - 0.5)
        else:
            if _wants_log(x):
                ax.set_xscale("log")
            values = np.unique(x[np.isfinite(x)])
            if len(values) <= 8:  # tick the swept values themselves
                ax.set_xticks(values, labels=[format_value(v) for v in values])
                ax.minorticks_off()
        ax.set_xlabel(x_name)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
    if not second:
        handles.pop("runs", None)
    fig.suptitle(f"Final loss and convergence by {x_name}")
    if handles:
        fig.legend(handles=list(handles.values()), loc="outside lower center",
                   ncols=min(len(handles), 6), fontsize="small")
    _save(fig, path)
    return fig


# --------------------------------------------------------------------------- validation accuracy


def plot_val_accuracy(history: pd.DataFrame, parameters: Sequence[str],
                      path: str | Path) -> Figure:
    """Validation accuracy per epoch, one line per job, coloured like the loss curves.

    Parameters
    ----------
    history : DataFrame
        Long history with a ``val_accuracy`` column.
    parameters : sequence of str
        The swept parameter columns (colour by the first, line style by the second).
    path : str or Path
        Where to save the figure (format from the suffix).

    Returns
    -------
    Figure
        One axes; the curve of each job has gid ``curve:<job>``.

    Raises
    ------
    ValueError
        When ``history`` has no (non-missing) ``val_accuracy``.
    """
    if "val_accuracy" not in history:
        raise ValueError("history has no val_accuracy column: the runs had no validation "
                         "split (dataset.split.test_size=0)")
    if not np.isfinite(pd.to_numeric(history["val_accuracy"], errors="coerce")).any():
        raise ValueError("history's val_accuracy column holds no values")
    parameters = list(parameters)
    fig = _figure(SINGLE_FIGSIZE)
    ax = fig.add_subplot()
    table = _param_table(history, None, parameters)
    colouring = _colouring(table, parameters)
    styles, style_legend = _linestyles(table, parameters)
    _draw_curves(ax, history, _jobs(history, None), "val_accuracy", colouring, styles, set())
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    what = " and ".join(parameters[:2])
    fig.suptitle(f"Validation accuracy by {what}" if what else "Validation accuracy")
    ax.grid(True, alpha=0.3)
    handles = _colour_legend(colouring) + style_legend
    return _finish_curves(fig, ax, handles, colouring, table, path)


# --------------------------------------------------------------------------- decision boundaries

GRID_POINTS = 200
MAX_GRID_POINTS = 4_000_000


def _check_data(X, y) -> tuple[np.ndarray, np.ndarray | None]:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        shape = "x".join(map(str, X.shape))
        raise ValueError(f"a decision boundary needs data with exactly 2 features "
                         f"(an (n, 2) array), got shape {shape}")
    if y is None:
        return X, None
    y = np.asarray(y).reshape(-1) if np.ndim(y) > 1 else np.asarray(y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} labels")
    return X, y


def _surface(predict: Callable, X: np.ndarray, grid_step: float | None):
    """The network output over a grid covering ``X`` plus a 10% margin."""
    low, high = X.min(axis=0), X.max(axis=0)
    span = high - low
    margin = np.where(span > 0, 0.1 * span, 0.5)
    low, high = low - margin, high + margin
    if grid_step is None:
        xs, ys = (np.linspace(low[i], high[i], GRID_POINTS) for i in range(2))
    else:
        if not grid_step > 0:
            raise ValueError(f"grid_step must be positive, got {grid_step}")
        xs, ys = (np.arange(low[i], high[i] + grid_step, grid_step) for i in range(2))
        if xs.size * ys.size > MAX_GRID_POINTS:
            raise ValueError(f"grid_step {grid_step:g} gives a grid of {xs.size}x{ys.size} "
                             f"points; use a larger step")
    xx, yy = np.meshgrid(xs, ys)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    out = np.asarray(predict(grid), dtype=float)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape != (grid.shape[0],):
        raise ValueError(f"predict must return one output per point, shape (n,) or (n, 1); "
                         f"got {out.shape} for n={grid.shape[0]}")
    return xx, yy, out.reshape(xx.shape)


def _levels(surfaces: Sequence[np.ndarray]) -> np.ndarray:
    values = np.concatenate([np.ravel(z) for z in surfaces])
    values = values[np.isfinite(values)]
    if not values.size or (values.min() >= 0 and values.max() <= 1):
        return np.linspace(0.0, 1.0, 21)
    low, high = values.min(), values.max()
    if high <= low:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, 21)


def _draw_surface(ax: Axes, xx, yy, zz, X, y, levels, title: str, legend: bool = True):
    """Filled contours of the output, the 0.5 boundary for probabilities, the data on top."""
    norm = Normalize(vmin=levels[0], vmax=levels[-1])
    surface = ax.contourf(xx, yy, np.ma.masked_invalid(zz), levels=levels, cmap=DECISION_CMAP,
                          norm=norm, alpha=0.85)
    surface.set_gid("decision")
    if levels[0] == 0 and levels[-1] == 1 and np.nanmin(zz) < 0.5 < np.nanmax(zz):
        boundary = ax.contour(xx, yy, np.ma.masked_invalid(zz), levels=[0.5], colors="black",
                              linewidths=1.0)
        boundary.set_gid("boundary")
    size = 22 if len(X) <= 500 else 12
    if y is None:
        ax.scatter(X[:, 0], X[:, 1], s=size, c="white", edgecolors="black", linewidths=0.5)
    elif set(np.unique(y).tolist()) <= {0, 1}:
        for cls, color in ((1, "red"), (0, "blue")):
            chosen = y == cls
            ax.scatter(X[chosen, 0], X[chosen, 1], s=size, c=color, edgecolors="black",
                       linewidths=0.5, label=f"class {cls}", gid=f"data:{cls}")
        if legend:
            ax.legend(loc="upper right", fontsize="small", framealpha=0.8)
    else:
        ax.scatter(X[:, 0], X[:, 1], s=size, c=y, cmap="tab10", edgecolors="black",
                   linewidths=0.5)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_title(title)
    return surface


def _decision_colorbar(fig: Figure, surface, ax) -> None:
    cbar = fig.colorbar(surface, ax=ax, label="network output")
    if surface.levels[0] == 0 and surface.levels[-1] == 1:
        cbar.set_ticks(np.linspace(0, 1, 5))


def plot_decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X, y,
                           ax: Axes | None = None, title: str | None = None,
                           path: str | Path | None = None,
                           grid_step: float | None = None) -> Figure:
    """The network output over the plane of two features, with the data on top.

    Parameters
    ----------
    predict : callable
        Maps an (n, 2) float array to (n,) or (n, 1) outputs (probabilities
        for a sigmoid output).
    X : array-like, shape (n, 2)
        The data.
    y : array-like, shape (n,) or (n, 1), or None
        Labels: class 1 is drawn red, class 0 blue (other labels: ``tab10``).
    ax : Axes, optional
        Draw into it (with its own colorbar); by default a new 8x6 inch figure.
    title : str, optional
        Axes title; "Decision boundary" by default.
    path : str or Path, optional
        Where to save the figure; nothing is saved without it.
    grid_step : float, optional
        Grid spacing in data units; by default 200 x 200 points over the data
        plus a 10% margin.

    Returns
    -------
    Figure
        The figure drawn on: a filled contour set (gid ``decision``, levels in
        [0, 1] when the outputs are probabilities, "Spectral_r"), the 0.5
        contour (gid ``boundary``) and a colorbar labelled "network output".

    Raises
    ------
    ValueError
        When X does not have exactly 2 features, or predict returns the wrong shape.
    """
    X, y = _check_data(X, y)
    xx, yy, zz = _surface(predict, X, grid_step)
    if ax is None:
        fig = _figure(DECISION_FIGSIZE)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    surface = _draw_surface(ax, xx, yy, zz, X, y, _levels([zz]), title or "Decision boundary")
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    _decision_colorbar(fig, surface, ax)
    if path is not None:
        _save(fig, path)
    return fig


def plot_decision_grid(panels: Sequence[tuple[str, Callable, object, object]],
                       path: str | Path, ncols: int = 3) -> Figure:
    """Decision boundaries of several runs, one panel each, with a shared colorbar.

    Parameters
    ----------
    panels : sequence of (title, predict, X, y)
        One panel per run, as for :func:`plot_decision_boundary`.
    path : str or Path
        Where to save the figure (format from the suffix).
    ncols : int
        Panels per row.

    Returns
    -------
    Figure
        One axes per panel (each with a filled contour set of gid
        ``decision``, all on the same levels) and one colorbar axes.
    """
    panels = list(panels)
    if not panels:
        raise ValueError("plot_decision_grid needs at least one panel")
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    data = [_check_data(X, y) for _, _, X, y in panels]
    surfaces = [_surface(predict, X, None) for (_, predict, _, _), (X, _) in zip(panels, data)]
    levels = _levels([zz for _, _, zz in surfaces])
    n = len(panels)
    cols = min(ncols, n)
    rows = math.ceil(n / cols)
    fig = _figure((DECISION_PANEL_SIZE[0] * cols + 1.2, DECISION_PANEL_SIZE[1] * rows + 0.6))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for extra in axes[n:]:
        fig.delaxes(extra)
    axes = list(axes[:n])
    surface = None
    for i, (ax, (title, *_), (X, y), (xx, yy, zz)) in enumerate(
            zip(axes, panels, data, surfaces)):
        surface = _draw_surface(ax, xx, yy, zz, X, y, levels, str(title), legend=i == 0)
        if i + cols >= n:
            ax.set_xlabel("feature 1")
        if i % cols == 0:
            ax.set_ylabel("feature 2")
    _decision_colorbar(fig, surface, axes)
    fig.suptitle("Decision boundaries across the sweep")
    _save(fig, path)
    return fig

"""What every sweep figure shares: the canvas, saving, layout, ticks, labels, colours, gids.

Layout
------
No layout engine: every figure is a grid of equal panels placed by margins
and gaps in inches (:class:`Layout`), computed from what goes around the
panels (tick labels, panel titles, the wrapped suptitle, a legend below, a
colorbar on the right). Text is measured with the Agg renderer's font
metrics, so titles are wrapped to the figure's width before it is drawn.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.gridspec import GridSpec
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullLocator

from ...rundir import write_atomic
from ..groups import is_numeric, ordered_values

#: dots per inch of every figure's layout, and of a saved one by default (``report.dpi``
#: and :func:`resolution` change what is saved; sizes in pixels are ``figsize * dpi``)
DPI = 100
#: the resolution :func:`save` writes at (set for a block by :func:`resolution`)
_SAVED_DPI: contextvars.ContextVar[int] = contextvars.ContextVar("sweepnet_saved_dpi",
                                                                 default=DPI)
#: the widest figure, in inches (1600 px)
MAX_WIDTH = 16.0
#: at most this many facet panels side by side
MAX_COLUMNS = 5
#: a positive numeric range wider than this factor gets a log scale
LOG_SPAN = 10.0
SEQUENTIAL_CMAP = "viridis"
#: up to this many values get a palette colour each (and a legend), not a colour scale
MAX_CATEGORIES = 6
MISSING_COLOR = "0.6"
DIVERGED_COLOR, STUCK_COLOR, FAILED_COLOR = "tab:red", "tab:red", "0.45"
FORMATS = ("png", "svg", "pdf")

#: font sizes in points: tick labels and axis labels, panel titles, the suptitle, legends
FONT, TITLE_FONT, SUPTITLE_FONT, SMALL_FONT = 10.0, 10.0, 12.0, 8.0
#: room in inches: a line of tick labels with its tick, an axis label, a line of text
TICKS, AXIS_LABEL = 0.25, 0.22
#: the colorbar: gap to the panels, its width, its ticks and label (inches)
COLORBAR_PAD, COLORBAR_WIDTH, COLORBAR_ROOM = 0.15, 0.15, 0.8
#: above the suptitle, and between it and the panel titles (inches)
TITLE_PAD, TITLE_GAP = 0.08, 0.1


def figure(width: float, height: float) -> Figure:
    """A figure on its own Agg canvas (no pyplot): ``width`` x ``height`` inches.

    Sizes are rounded to quarter inches, which are exact in binary, so the
    saved PNG is exactly ``width * DPI`` x ``height * DPI`` pixels.
    """
    fig = Figure(figsize=(quarter(width), quarter(height)), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


@contextmanager
def resolution(dpi: int) -> Iterator[None]:
    """Save figures at ``dpi`` dots per inch inside the block (the same layout in inches:
    more pixels, not more content); for this thread only."""
    token = _SAVED_DPI.set(int(dpi))
    try:
        yield
    finally:
        _SAVED_DPI.reset(token)


def quarter(inches: float) -> float:
    """``inches`` rounded to a quarter inch (exact in binary), at least one inch."""
    return max(round(inches * 4) / 4, 1.0)


def check_path(path: str | Path) -> tuple[Path, str]:
    """``path`` and its format (the suffix; PNG when there is none), before any drawing."""
    path = Path(path)
    fmt = path.suffix[1:].lower() or "png"
    if fmt not in FORMATS:
        raise ValueError(f"cannot save a plot as {path.name!r}: the suffix must be one of "
                         f"{', '.join('.' + f for f in FORMATS)}")
    return path, fmt


def save(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` atomically (:func:`sweepnet.rundir.write_atomic`).

    A report killed while saving leaves the previous plot (or none), never half a file.
    """
    path, fmt = check_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # zlib level 1: a third of the default's time for a PNG a few percent larger
    options = {"pil_kwargs": {"compress_level": 1}} if fmt == "png" else {}
    dpi = _SAVED_DPI.get()
    write_atomic(path, lambda temp: fig.savefig(temp, format=fmt, dpi=dpi, **options))
    return path


def artists(ax: Axes, role: str) -> list:
    """The artists of ``ax`` drawn for ``role`` (``"curve"``, ``"band"``, ...), in drawing order.

    An artist belongs to ``role`` when its ``gid`` is ``role`` or starts with
    ``role + ":"`` (see the package docstring for the roles).
    """
    found = []
    for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.images, *ax.texts]:
        gid = artist.get_gid() or ""
        if gid == role or gid.startswith(role + ":"):
            found.append(artist)
    return found


# --------------------------------------------------------------------------- labels


def format_value(value) -> str:
    """A parameter value for a label: numbers with ``:g``, anything else as ``str``."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"{value:g}"
    return str(value)


def label(parameter: str, value) -> str:
    """``"model.hidden = [16]"``."""
    return f"{parameter} = {format_value(value)}"


def labels(parameters: Sequence[str], values: Sequence) -> str:
    """``"optimizer.lr = 0.1, model.hidden = [16]"`` (empty when nothing is named)."""
    return ", ".join(label(p, v) for p, v in zip(parameters, values))


def floats(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``frame[column]`` as a writable float array (NaN where missing or not a number)."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    return np.array(pd.to_numeric(frame[column], errors="coerce"), dtype=float)


def flags(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``frame[column]`` as booleans (``True``, ``"true"``, ``1``; missing is False)."""
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    values = frame[column]
    if pd.api.types.is_bool_dtype(values):
        return np.array(values.fillna(False), dtype=bool)  # a writable copy
    return np.array(values.map(lambda v: str(v).strip().lower() in ("true", "1", "1.0")),
                    dtype=bool)


def statuses(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per run: diverged (flag or status) and failed (status, not diverged)."""
    status = summary["status"].astype(str).to_numpy() if "status" in summary else None
    diverged = flags(summary, "diverged")
    if status is None:
        return diverged, np.zeros(len(summary), dtype=bool)
    diverged |= status == "diverged"
    return diverged, (status == "failed") & ~diverged


def wants_log(values) -> bool:
    """Positive finite values spanning more than a factor :data:`LOG_SPAN`."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    return bool(finite.size and (finite > 0).all() and finite.max() > LOG_SPAN * finite.min())


def tick_label(value: float) -> str:
    """A tick label: a plain number (``0.01``, not ``10^-2``; ``-0`` as ``0``)."""
    return f"{value + 0.0:g}"


def nice_ticks(low: float, high: float, log: bool = False, nbins: int = 5,
               integer: bool = False) -> np.ndarray:
    """At most about ``nbins + 1`` round values between ``low`` and ``high``.

    On a log scale: powers of ten (every k-th when they are many), else
    1-2-5 multiples, else the round linear values; never fewer than two
    when the range allows them.
    """
    if log and low > 0 and high > low:
        first, last = int(np.ceil(np.log10(low) - 1e-9)), int(np.floor(np.log10(high) + 1e-9))
        decades = 10.0 ** np.arange(first, last + 1)
        if decades.size >= 3:
            step = -(-decades.size // (nbins + 1))
            return decades[::step]
        for subs in ((1, 2, 5), (1, 2, 3, 5)):
            values = np.array([m * 10.0 ** k for k in range(first - 1, last + 1) for m in subs])
            values = values[(values >= low * (1 - 1e-9)) & (values <= high * (1 + 1e-9))]
            if 2 <= values.size:
                return values[::-(-values.size // (nbins + 1))]
    ticks = MaxNLocator(nbins, integer=integer, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    span = high - low
    ticks = ticks[(ticks >= low - 1e-9 * span) & (ticks <= high + 1e-9 * span)]
    return ticks if ticks.size else np.unique([low, high])


def fix_axis(ax: Axes, which: str, low: float, high: float, log: bool = False,
             margin: float = 0.05, nbins: int = 5, integer: bool = False,
             ticks: Sequence[float] | None = None,
             labels: Sequence[str] | None = None) -> list[str]:
    """Fix one axis of ``ax`` (``"x"`` or ``"y"``): limits, scale and ticks, computed once.

    The limits are ``[low, high]`` widened by ``margin`` of the span (of the
    decades on a log scale); the ticks :func:`nice_ticks` (or ``ticks`` with
    ``labels``) as plain numbers, no minor ticks. Automatic locators would
    recompute them for every axes at every draw; shared axes share them.
    Returns the tick labels.
    """
    axis = ax.xaxis if which == "x" else ax.yaxis
    if log:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
        ratio = (high / low) ** margin if high > low else 2.0
        low, high = low / ratio, high * ratio
    else:
        span = high - low if high > low else max(abs(high), 1.0) * 0.1
        low, high = low - margin * span, high + margin * span
    (ax.set_xlim if which == "x" else ax.set_ylim)(low, high)
    if ticks is None:
        ticks = nice_ticks(low, high, log=log, nbins=nbins, integer=integer)
    labels = list(labels) if labels is not None else [tick_label(t) for t in ticks]
    axis.set_ticks(list(ticks), labels=labels)
    axis.set_minor_locator(NullLocator())
    return labels


def replicate_note(roles, sizes: Sequence[int]) -> str:
    """``"mean over seed (n=5)"``: what one aggregated mark stands for."""
    sizes = sorted({int(s) for s in sizes if s})
    n = (f"n={sizes[0]}" if len(sizes) == 1 else f"n={sizes[0]}–{sizes[-1]}") if sizes else "n=0"
    return f"mean over {', '.join(roles.replicates)} ({n})"


# --------------------------------------------------------------------------- colours


@dataclass
class Colouring:
    """The colour of each value of one parameter: a colormap (numeric) or a palette."""

    parameter: str | None
    values: list
    norm: Normalize | None = None  # numeric: the colorbar's norm
    palette: dict | None = None  # categorical: value -> colour

    def colours(self, values: Sequence) -> list:
        """The colour of each of ``values`` (grey for unknown or missing ones)."""
        if self.norm is not None:
            numbers = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce")
            cmap = colormaps[SEQUENTIAL_CMAP]
            return [cmap(self.norm(v)) if np.isfinite(v) else MISSING_COLOR
                    for v in numbers.to_numpy(dtype=float)]
        return [self.palette.get(v, MISSING_COLOR) for v in values]

    def colorbar(self, cax: Axes | None):
        """A colorbar for a numeric colouring in ``cax`` (see :meth:`Layout.finish`),
        ticked at the values when at most 8."""
        if self.norm is None or cax is None:
            return None
        cbar = colorbar(cax, ScalarMappable(norm=self.norm, cmap=SEQUENTIAL_CMAP),
                        self.parameter)
        if len(self.values) <= 8:
            ticks = [float(v) for v in self.values]
            labels = [format_value(v) for v in self.values]
        else:
            ticks = nice_ticks(self.norm.vmin, self.norm.vmax, log=isinstance(self.norm, LogNorm))
            labels = [tick_label(t) for t in ticks]
        cbar.set_ticks(ticks, labels=labels)
        return cbar

    def legend_handles(self, name=None) -> list:
        """Legend entries of a categorical colouring (none for a numeric one)."""
        if self.palette is None:
            return []
        name = name or (lambda v: label(self.parameter, v))
        return [Line2D([], [], color=c, linewidth=2, label=name(v))
                for v, c in self.palette.items()]


def colouring(parameter: str | None, values: Sequence) -> Colouring:
    """Colour by ``parameter``: one palette colour per value for a handful of values (at
    most :data:`MAX_CATEGORIES`, or any number of non-numeric ones); ``viridis`` with a
    colorbar for more numeric values (a log norm when positive and wider than a factor 10),
    where pale ends would otherwise stand for single runs."""
    series = pd.Series(list(values), dtype=object)
    distinct = ordered_values(series)
    if parameter is not None and len(distinct) > MAX_CATEGORIES and is_numeric(series):
        numbers = np.array([float(v) for v in distinct])
        norm_type = LogNorm if wants_log(numbers) else Normalize
        return Colouring(parameter, distinct, norm=norm_type(numbers.min(), numbers.max()))
    return categorical(parameter, distinct)


def categorical(parameter: str | None, values: Sequence) -> Colouring:
    """One colour per value (``tab10``, or ``turbo`` beyond ten values), in natural order."""
    distinct = ordered_values(pd.Series(list(values), dtype=object))
    if len(distinct) <= 10:
        palette = [f"C{i}" for i in range(len(distinct))]
    else:
        palette = [colormaps["turbo"](x) for x in np.linspace(0.05, 0.95, len(distinct))]
    return Colouring(parameter, distinct, palette=dict(zip(distinct, palette)))


# --------------------------------------------------------------------------- facets


def combinations(frame: pd.DataFrame, parameters: Sequence[str]) -> list[tuple]:
    """Every combination of the values of ``parameters`` in ``frame``, natural order.

    The full product of each parameter's values, so a grid of panels stays
    aligned even when a job is missing; ``[()]`` when there are no parameters.
    """
    values = [ordered_values(frame[p]) if p in frame else [] for p in parameters]
    return list(itertools.product(*values))


def grid_positions(n_inner: int, n_outer: int, ncols: int | None = None
                   ) -> tuple[int, int, list[tuple[int, int]]]:
    """Where the panels of a facet grid go: ``(nrows, ncols, [(row, column), ...])``.

    Panels come ``n_outer`` blocks of ``n_inner`` (e.g. facet combinations x
    hue values): each block starts a row, and one wider than
    :data:`MAX_COLUMNS` wraps onto several rows. With ``n_inner <= 1`` the
    ``n_outer`` panels simply wrap (``ncols`` of them per row).
    """
    if n_inner <= 1:
        n = max(n_outer, 1)
        ncols = max(1, min(n, ncols or MAX_COLUMNS))
        return -(-n // ncols), ncols, [(i // ncols, i % ncols) for i in range(n)]
    per_row = -(-n_inner // -(-n_inner // (ncols or MAX_COLUMNS)))  # balanced rows
    rows_per_block = -(-n_inner // per_row)
    positions = [(block * rows_per_block + i // per_row, i % per_row)
                 for block in range(max(n_outer, 1)) for i in range(n_inner)]
    return rows_per_block * max(n_outer, 1), per_row, positions


def facet_axes(layout: Layout, positions: Sequence[tuple[int, int]], sharex: bool = False,
               sharey: bool = False) -> list[Axes]:
    """One axes per position of the layout's grid.

    Shared axes share x within a column and y within a row (small groups:
    matplotlib visits every member of a group whenever one is drawn) and show
    their tick labels only on the outer panels (left column, lowest panel of
    each column). Give them the same limits with :func:`fix_axes`.
    """
    axes: list[Axes] = []
    columns: dict[int, Axes] = {}
    rows: dict[int, Axes] = {}
    lowest = {c: max(r for r, cc in positions if cc == c) for _, c in positions}
    for row, col in positions:
        ax = layout.subplot(row, col, sharex=columns.get(col) if sharex else None,
                            sharey=rows.get(row) if sharey else None)
        columns.setdefault(col, ax)
        rows.setdefault(row, ax)
        if sharex and row < lowest[col]:
            ax.xaxis.set_tick_params(labelbottom=False)
        if sharey and col > 0:
            ax.yaxis.set_tick_params(labelleft=False)
        axes.append(ax)
    return axes


def fix_axes(axes: Sequence[Axes], which: str, *args, **kwargs) -> list[str]:
    """:func:`fix_axis` on every axes of ``axes``, once per group of shared axes.

    Returns the tick labels.
    """
    done: list[Axes] = []
    labels: list[str] = []
    for ax in axes:
        shared = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
        if not any(shared.joined(ax, other) for other in done):
            labels = fix_axis(ax, which, *args, **kwargs)
            done.append(ax)
    return labels


def line(ax: Axes, x, y, **style) -> Line2D:
    """A line (or markers) on ``ax``, without autoscaling: every figure fixes its limits
    itself (:func:`fix_axis`), and ``Axes.plot`` costs several times more per line."""
    artist = Line2D(np.asarray(x, dtype=float), np.asarray(y, dtype=float), **style)
    ax.add_artist(artist)
    return artist


def label_outer(axes: Sequence[Axes], positions: Sequence[tuple[int, int]], xlabel: str,
                ylabel: str) -> None:
    """Axis labels on the lowest panel of each column and the panels of the first column."""
    lowest = {c: max(r for r, cc in positions if cc == c) for _, c in positions}
    for ax, (row, col) in zip(axes, positions):
        if row == lowest[col]:
            ax.set_xlabel(xlabel)
        if col == 0:
            ax.set_ylabel(ylabel)


def colorbar(cax: Axes, mappable, text: str):
    """A colorbar in ``cax`` labelled ``text``, without minor ticks (ticks: the caller's)."""
    cbar = cax.get_figure().colorbar(mappable, cax=cax)
    cbar.set_label(text)
    cbar.minorticks_off()
    return cbar


# --------------------------------------------------------------------------- layout


@functools.cache
def _measure() -> RendererAgg:
    return RendererAgg(1, 1, DPI)


def text_width(text: str, size: float = FONT) -> float:
    """The width in inches of ``text`` (its widest line) at ``size`` points."""
    if not text:
        return 0.0
    font = FontProperties(size=size)
    return max(_measure().get_text_width_height_descent(line, font, ismath=False)[0]
               for line in text.split("\n")) / DPI


def text_height(lines: int, size: float = FONT) -> float:
    """The height in inches of ``lines`` lines of text at ``size`` points."""
    return lines * 1.35 * size / 72


def wrap(text: str, width: float, size: float = FONT) -> list[str]:
    """``text`` as lines no wider than ``width`` inches at ``size`` points.

    Its own line breaks are kept; a line too wide breaks between words
    (a single word wider than ``width`` stays whole).
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        whole = text_width(paragraph, size)
        if whole <= width:
            lines.append(paragraph)
            continue
        chars = max(8, int(len(paragraph) * width / whole))
        while True:
            wrapped = textwrap.wrap(paragraph, chars, break_on_hyphens=False) or [""]
            if chars <= 8 or max(map(lambda line: text_width(line, size), wrapped)) <= width:
                break
            chars -= 1 + chars // 20
        lines += wrapped
    return lines


#: legend entries: the room a handle takes besides its text, a row's height (inches)
LEGEND_HANDLE, LEGEND_ROW = 0.55, 0.2


@dataclass
class Layout:
    """Where a figure's panels go: a grid of equal panels, margins and gaps in inches.

    No layout engine: :func:`layout` settles the width (panels, gaps, the
    margins, a colorbar's room) and :meth:`finish` the height once the title
    and the legend are known, then places the panels, the suptitle, the
    legend below the panels and the colorbar axes right of them.
    """

    fig: Figure
    grid: GridSpec  # on the figure's subplot parameters: placed by subplots_adjust
    nrows: int
    ncols: int
    panel_height: float  # inches, wanted (with a fixed height: what is left)
    left: float  # left of the panels: y tick labels and y label
    right: float  # right of the panels (a colorbar included)
    top: float  # between the suptitle and the panels: panel titles
    bottom: float  # below the panels: x tick labels and x label
    wgap: float
    hgap: float
    colorbar: bool
    height: float | None = None  # a fixed figure height

    @property
    def panel_width(self) -> float:
        """Inches: what the margins and gaps leave of the figure's width, per column."""
        around = self.left + self.right + (self.ncols - 1) * self.wgap
        return max((self.fig.get_figwidth() - around) / self.ncols, 0.2)

    def subplot(self, row: int, col: int, **kwargs) -> Axes:
        return self.fig.add_subplot(self.grid[row, col], **kwargs)

    def finish(self, title: str | None = None, handles: Sequence = ()) -> Axes | None:
        """Settle the height; place panels, suptitle (wrapped) and legend (below).

        Returns the colorbar's axes (labelled ``"<colorbar>"``) when the layout
        has one, else None.
        """
        fig, width = self.fig, self.fig.get_figwidth()
        lines = wrap(title, width - 0.3, SUPTITLE_FONT) if title else []
        head = TITLE_PAD + (text_height(len(lines), SUPTITLE_FONT) + TITLE_GAP if lines else 0)
        ncols, rows = legend_shape(handles, width)
        foot = rows * LEGEND_ROW + 0.15 if rows else 0.0
        around = head + self.top + self.bottom + foot + (self.nrows - 1) * self.hgap
        height = self.height or quarter(around + self.nrows * self.panel_height)
        panel_height = max((height - around) / self.nrows, 0.2)
        fig.set_size_inches(width, height)
        fig.subplots_adjust(left=self.left / width, right=1 - self.right / width,
                            bottom=(self.bottom + foot) / height,
                            top=1 - (head + self.top) / height,
                            wspace=self.wgap / self.panel_width, hspace=self.hgap / panel_height)
        if lines:
            fig.suptitle("\n".join(lines), y=1 - TITLE_PAD / height, va="top",
                         fontsize=SUPTITLE_FONT)
        if rows:
            fig.legend(handles=list(handles), loc="lower center", ncols=ncols,
                       bbox_to_anchor=(0.5, 0.05 / height), fontsize=SMALL_FONT, frameon=False)
        if not self.colorbar:
            return None
        low, high = (self.bottom + foot) / height, 1 - (head + self.top) / height
        tall = min(high - low, 6.0 / height)  # a very tall figure: the colorbar at its top
        return fig.add_axes(((width - self.right + COLORBAR_PAD) / width, high - tall,
                             COLORBAR_WIDTH / width, tall), label="<colorbar>")


def layout(nrows: int, ncols: int, panel: tuple[float, float], *, left: float = 0.75,
           right: float = 0.2, top: float = 0.1, bottom: float = 0.55, wgap: float = 0.25,
           hgap: float = 0.45, colorbar: bool = False,
           size: tuple[float, float] | None = None) -> Layout:
    """A :class:`Layout` of ``nrows`` x ``ncols`` panels of ``panel`` inches (see there).

    With ``size`` the figure is that big and the panels take what is left;
    else the panels are ``panel`` big, narrower when the figure would be
    wider than :data:`MAX_WIDTH`. Margins and gaps are inches.
    """
    right = right + (COLORBAR_PAD + COLORBAR_WIDTH + COLORBAR_ROOM if colorbar else 0.0)
    around = left + right + (ncols - 1) * wgap
    width = size[0] if size else quarter(min(around + ncols * panel[0], MAX_WIDTH))
    fig = figure(width, size[1] if size else 4.0)
    return Layout(fig, fig.add_gridspec(nrows, ncols), nrows, ncols, panel[1], left, right, top,
                  bottom, wgap, hgap, colorbar, size[1] if size else None)


def legend_shape(handles: Sequence, width: float) -> tuple[int, int]:
    """Columns and rows of a legend of ``handles`` across ``width`` inches (0 rows: none)."""
    if not handles:
        return 1, 0
    widest = max(text_width(h.get_label(), SMALL_FONT) for h in handles) + LEGEND_HANDLE
    ncols = max(1, min(len(handles), int((width - 0.3) // widest)))
    return ncols, -(-len(handles) // ncols)


def ticks_room(labels: Sequence[str], size: float = FONT) -> float:
    """Inches from an axes' edge to the far side of its widest tick label."""
    return 0.12 + max((text_width(t, size) for t in labels), default=0.0)


def slant(axes: Sequence[Axes], texts: Sequence[str], spacing: float) -> float:
    """Slant the x tick labels of ``axes`` when ``texts``, ``spacing`` inches apart, would
    overlap. Returns the extra room in inches they then take below the axes."""
    widest = max((text_width(t) for t in texts), default=0.0)
    if widest <= 0.85 * spacing:
        return 0.0
    for ax in axes:
        ax.tick_params(axis="x", labelrotation=30, rotation_mode="xtick")
    return 0.5 * widest

"""Decision surfaces: a network's output over the plane of two features, data on top.

The surfaces come from :func:`sweepnet.analysis.surface.decision_surface`
(saved by each run), so drawing never rebuilds an experiment.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure

from .style import (
    AXIS_LABEL,
    SMALL_FONT,
    TICKS,
    check_path,
    colorbar,
    facet_axes,
    fix_axes,
    grid_positions,
    label_outer,
    layout,
    nice_ticks,
    save,
    text_height,
    tick_label,
    ticks_room,
)

#: what the axis labels add after ``dataset.split.scale``
SCALING_LABELS = {"none": "", "standard": " (standardized)", "minmax": " (min-max scaled)"}

#: the output as a pale blue-to-red image, so that the data drawn on it in dark blue and dark
#: red stand out on either side of the boundary
CMAP = ListedColormap(0.5 * colormaps["RdBu_r"](np.linspace(0.1, 0.9, 256)) + 0.5,
                      name="pale_RdBu_r")
CLASS_COLOURS = {0: "#08306b", 1: "#7f0000"}
SINGLE_SIZE = (8.0, 6.0)
PANEL_SIZE = (3.0, 2.6)
#: panel titles of a grid: characters per line, font size (points)
TITLE_CHARS, TITLE_FONT = 35, 9.0
OUTPUT = "network output"


def plot_decision_boundary(surface: dict, title: str | None = None,
                           path: str | Path | None = None, ax: Axes | None = None) -> Figure:
    """One network's output over the plane, its decision boundary, and the data.

    Parameters
    ----------
    surface : dict
        ``x0`` of shape (G,), ``x1`` of shape (H,), ``z`` of shape (H, G),
        ``X`` of shape (n, 2) and optionally ``y`` of shape (n,), as returned
        by :func:`sweepnet.analysis.surface.decision_surface`.
    title : str, optional
        Axes title; "Decision boundary" by default.
    path : str or Path, optional
        Where to save the figure; nothing is saved without it.
    ax : Axes, optional
        Draw into it (with its own colorbar); by default a new 8x6 inch figure.

    Returns
    -------
    Figure
        The output as an image (gid ``decision``, an ``AxesImage`` over the
        grid's extent; its norm spans 0..1 when the outputs are
        probabilities, else is symmetric about 0), the boundary (gid
        ``boundary``: the 0.5 contour of probabilities, the 0 contour of
        logits or other outputs), the data (one scatter per class, class 1
        dark red and class 0 dark blue; gid ``data:<class>``, ``data`` without
        labels), a colorbar labelled "network output", and the axes labelled
        with the features' names (``surface["names"]``; "(standardized)" or
        "(min-max scaled)" after ``surface["scaling"]``).

    Raises
    ------
    ValueError
        When ``surface`` lacks a key or its shapes do not match.
    """
    surface = _checked(surface)
    if path is not None:
        check_path(path)
    norm = _norm([surface["z"]])
    xlabel, ylabel = axis_names(surface)
    if ax is not None:
        image = _draw(ax, surface, norm, title or "Decision boundary")
        ax.set(xlabel=xlabel, ylabel=ylabel)
        fig = ax.get_figure()
        _ticks(fig.colorbar(image, ax=ax, label=OUTPUT, fraction=0.05, pad=0.02), norm)
    else:
        lay = layout(1, 1, SINGLE_SIZE, top=0.35, colorbar=True, size=SINGLE_SIZE)
        ax = lay.subplot(0, 0)
        image = _draw(ax, surface, norm, title or "Decision boundary")
        ax.set(xlabel=xlabel, ylabel=ylabel)
        lay.left = AXIS_LABEL + ticks_room(_fix([ax], surface, nbins=8))
        fig = lay.fig
        _ticks(colorbar(lay.finish(), image, OUTPUT), norm)
    if path is not None:
        save(fig, path)
    return fig


def plot_decision_grid(panels: Sequence[tuple[str, dict]], path: str | Path,
                       ncols: int = 4, title: str = "Decision boundaries across the sweep"
                       ) -> Figure:
    """Decision surfaces of several runs, one panel each, on one colour scale.

    Parameters
    ----------
    panels : sequence of (title, surface)
        One panel per run; ``surface`` as for :func:`plot_decision_boundary`.
        Titles are wrapped at about 35 characters a line.
    path : str or Path
        Where to save the figure (``.png``, ``.svg`` or ``.pdf``).
    ncols : int
        Panels per row.
    title : str
        The figure's title.

    Returns
    -------
    Figure
        One axes per panel (gids as in :func:`plot_decision_boundary`, every
        ``decision`` image on the same norm) and one colorbar. Panels over the
        same plane (equal ``x0`` and ``x1``) share their axes, tick labels on
        the outer panels only.

    Raises
    ------
    ValueError
        When there is no panel, ``ncols < 1``, or a surface is malformed.
    """
    panels = list(panels)
    if not panels:
        raise ValueError("plot_decision_grid needs at least one (title, surface) panel")
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    check_path(path)
    surfaces = [_checked(surface, f"panel {title!r}") for title, surface in panels]
    norm = _norm([s["z"] for s in surfaces])
    nrows, ncols, positions = grid_positions(1, len(panels), ncols)
    lay = layout(nrows, ncols, PANEL_SIZE, colorbar=True)
    same = all(np.array_equal(s[k], surfaces[0][k]) for s in surfaces for k in ("x0", "x1"))
    axes = facet_axes(lay, positions, sharex=same, sharey=same)
    titles = [_wrap_title(str(name)) for name, _ in panels]
    rooms = []
    for i, (ax, (_, col), name, surface) in enumerate(zip(axes, positions, titles, surfaces)):
        image = _draw(ax, surface, norm, name, legend=i == 0)
        ax.title.set_fontsize(TITLE_FONT)
        if not same:
            rooms.append((col, ticks_room(_fix([ax], surface, nbins=4))))
    if same:  # shared axes: one set of limits and ticks
        rooms.append((0, ticks_room(_fix(axes, surfaces[0], nbins=4))))
    label_outer(axes, positions, *axis_names(surfaces[0]))
    lines = max(name.count("\n") + 1 for name in titles)
    lay.left = AXIS_LABEL + max(room for col, room in rooms if col == 0)
    lay.wgap = 0.2 if same else max(room for _, room in rooms) + 0.15
    lay.top = 0.12 + text_height(lines, TITLE_FONT)
    lay.hgap = lay.top + (0.05 if same else TICKS + 0.05)
    _ticks(colorbar(lay.finish(title), image, OUTPUT), norm)
    save(lay.fig, path)
    return lay.fig


def _checked(surface: dict, where: str = "surface") -> dict:
    """``surface`` with its arrays as numpy, after checking keys and shapes."""
    if not isinstance(surface, dict):
        raise ValueError(f"{where}: expected a dict from decision_surface(), "
                         f"got {type(surface).__name__}")
    missing = [k for k in ("x0", "x1", "z", "X") if k not in surface]
    if missing:
        raise ValueError(f"{where} lacks {', '.join(missing)}; a decision surface has x0, "
                         f"x1, z, X and optionally y (keys found: {', '.join(surface)})")
    x0, x1 = np.asarray(surface["x0"], float), np.asarray(surface["x1"], float)
    z, X = np.asarray(surface["z"], float), np.asarray(surface["X"], float)
    if z.shape != (x1.size, x0.size):
        raise ValueError(f"{where}: z must have shape (len(x1), len(x0)) = "
                         f"({x1.size}, {x0.size}), got {z.shape}")
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{where}: X must have shape (n, 2), got {X.shape}")
    y = surface.get("y")
    if y is not None:
        y = np.asarray(y).reshape(-1)
        if y.size != X.shape[0]:
            raise ValueError(f"{where}: X has {X.shape[0]} rows but y has {y.size} labels")
    names = surface.get("names")
    names = None if names is None else [str(n) for n in np.asarray(names).reshape(-1)]
    if names is not None and len(names) != 2:
        raise ValueError(f"{where}: names must name the 2 features, got {names!r}")
    if "scaling" in surface:
        scaling = str(np.asarray(surface["scaling"]))
    else:  # surfaces saved before dataset.split.scale
        scaling = "standard" if bool(np.asarray(surface.get("standardized", False))) else "none"
    return {"x0": x0, "x1": x1, "z": z, "X": X, "y": y, "names": names, "scaling": scaling}


def axis_names(surface: dict) -> tuple[str, str]:
    """The plane's axis labels: the features' names (``feature 1``, ``feature 2`` when the
    data did not name them), marked with how the run scaled them."""
    names = surface.get("names") or ["feature 1", "feature 2"]
    suffix = SCALING_LABELS.get(surface.get("scaling", "none"), "")
    return names[0] + suffix, names[1] + suffix


def _is_probability(z: np.ndarray) -> bool:
    finite = z[np.isfinite(z)]
    return bool(finite.size and finite.min() >= 0 and finite.max() <= 1)


def _wrap_title(title: str) -> str:
    """``title`` in lines of about :data:`TITLE_CHARS` characters, broken between its
    comma-separated parts where it can (and where it breaks lines itself)."""
    if "\n" in title:
        return "\n".join(_wrap_title(line) for line in title.split("\n"))
    lines: list[str] = []
    for part in title.split(", "):
        if lines and len(lines[-1]) + 2 + len(part) <= TITLE_CHARS:
            lines[-1] += ", " + part
        else:
            if lines:
                lines[-1] += ","
            lines += textwrap.wrap(part, TITLE_CHARS) or [""]
    return "\n".join(lines)


def _norm(surfaces: Sequence[np.ndarray]) -> Normalize:
    """One colour scale for all surfaces: 0..1 for probabilities, else symmetric about 0."""
    if all(_is_probability(z) for z in surfaces):
        return Normalize(0.0, 1.0)
    finite = np.concatenate([z[np.isfinite(z)] for z in surfaces])
    bound = float(np.abs(finite).max()) if finite.size else 1.0
    bound = bound if bound > 0 else 1.0
    return Normalize(-bound, bound)


def _extent(values: np.ndarray) -> tuple[float, float]:
    """The outer edges of grid cells centred on ``values`` (ascending, evenly spaced)."""
    step = (values[-1] - values[0]) / (values.size - 1) if values.size > 1 else 1.0
    return values[0] - step / 2, values[-1] + step / 2


def _draw(ax: Axes, surface: dict, norm: Normalize, title: str, legend: bool = True):
    """The output as an image, the boundary where it crosses its threshold, the data."""
    x0, x1, z = surface["x0"], surface["x1"], np.ma.masked_invalid(surface["z"])
    image = ax.imshow(z, cmap=CMAP, norm=norm, origin="lower", aspect="auto",
                      extent=(*_extent(x0), *_extent(x1)), interpolation="bilinear",
                      interpolation_stage="data",
                      gid="decision")
    threshold = 0.5 if _is_probability(surface["z"]) else 0.0
    if z.count() and z.min() < threshold < z.max():
        boundary = ax.contour(x0, x1, z, levels=[threshold], colors="black", linewidths=1.2)
        boundary.set_gid("boundary")
    _scatter(ax, surface["X"], surface["y"], legend)
    ax.set_title(title, y=1.0)
    return image


def _fix(axes: list[Axes], surface: dict, nbins: int) -> list[str]:
    """The plane's limits and ticks (computed once); returns the y tick labels."""
    x0, x1 = surface["x0"], surface["x1"]
    fix_axes(axes, "x", x0.min(), x0.max(), margin=0.0, nbins=nbins)
    return fix_axes(axes, "y", x1.min(), x1.max(), margin=0.0, nbins=nbins)


def _scatter(ax: Axes, X: np.ndarray, y: np.ndarray | None, legend: bool) -> None:
    """One scatter per class: class 1 dark red, class 0 dark blue (on the pale image of the
    same hue: the colours of the output), others ``tab10``; small markers, white edges."""
    style = dict(s=10 if len(X) <= 500 else 6, edgecolors="white", linewidths=0.4)
    if y is None:
        ax.scatter(X[:, 0], X[:, 1], color="white", gid="data", **style)
        return
    classes = np.unique(y).tolist()
    binary = set(classes) <= {0, 1}
    order = [c for c in (1, 0) if c in classes] if binary else classes
    for k, cls in enumerate(order):
        chosen = y == cls
        colour = CLASS_COLOURS[cls] if binary else f"C{k % 10}"
        ax.scatter(X[chosen, 0], X[chosen, 1], color=colour, label=f"class {cls}",
                   gid=f"data:{cls}", **style)
    if legend and len(order) <= 10:
        ax.legend(loc="upper right", fontsize=SMALL_FONT, framealpha=0.8, markerscale=1.5)


def _ticks(cbar, norm: Normalize) -> None:
    """The colorbar's ticks: quarters of probabilities, else round values."""
    if (norm.vmin, norm.vmax) == (0.0, 1.0):
        ticks = np.linspace(0, 1, 5)
    else:
        ticks = nice_ticks(norm.vmin, norm.vmax, nbins=6)
    cbar.set_ticks(ticks, labels=[tick_label(t) for t in ticks])

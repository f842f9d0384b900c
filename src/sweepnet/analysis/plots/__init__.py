"""The figures of a run or sweep, drawn from its frames; matplotlib lives only here.

Figures
-------
:func:`plot_curves` (``curves.py``)
    a history column per epoch (``loss``, ``val_loss``, ``val_accuracy``):
    one line per run, or per group of replicates (mean and min–max band).
:func:`plot_convergence` (``convergence.py``)
    final losses and convergence epoch against ``roles.x``.
:func:`plot_heatmap` (``heatmap.py``)
    a metric's group means over the grid ``roles.x`` x ``roles.hue``.
:func:`plot_decision_boundary`, :func:`plot_decision_grid` (``decision.py``)
    a network's output over the plane of two features, with the data.
:func:`plot_search` (``search.py``)
    a search's trials: objective by trial and by parameter, where pruning stopped
    them (one small figure per search, laid out by matplotlib).

``style.py`` holds what they share (canvas, atomic saving, the fixed layout,
ticks, labels, colours, facets) and ``overlays.py`` the marks drawn on a
run's curve.

Speed
-----
A report draws several figures at the end of every sweep, so each is built
for speed: no layout engine (margins are computed in inches, text measured
with the font's metrics), limits and ticks fixed once per figure (no
autoscaling, no automatic locators) and lines added without ``Axes.plot``'s
machinery.

Every function draws on its own :class:`~matplotlib.figure.Figure` on the
Agg canvas (no pyplot, no global state, no window), saves it atomically to
``path`` (the format follows the suffix: ``.png``, ``.svg`` or ``.pdf``) at
:data:`DPI` dots per inch (``style.resolution(dpi)`` for another, as
``report.dpi`` does), and returns it. Sizes are exact: a figure of
``(9, 5)`` inches is a 900 x 500 PNG; none is wider than 1600 px. Where the
sweep's parameters go is decided by a :class:`~sweepnet.analysis.groups.Roles`:
``x``, ``hue``, ``col`` (facets) and ``replicates`` (aggregated over).

Finding what was drawn
----------------------
Every artist that carries data has a ``gid`` ``"<role>"`` or
``"<role>:<key>"``; :func:`artists` finds them by role, so tests and callers
check data, not pixels. Legend entries are proxies, never on an axes.

``curve:<job>`` / ``curve:<group>``
    a run's finite values per epoch, or a group's mean over its replicates;
``band:<group>``
    the min–max band of a group (a ``PolyCollection`` of one polygon);
``plateau:<job>``
    the run's curve, thick and translucent, over its plateaus (one line per
    run, NaN between plateaus);
``convergence:<job>``
    the dot at a run's convergence epoch;
``diverged:<job>`` / ``diverged:<group>``
    the "x" at a diverged run's last finite value, or on a group's mean where
    its first replicate diverged; in :func:`plot_convergence`, ``diverged``
    marks diverged runs at the top edge;
``series:<hue value>``, ``errorbar:<hue value>``, ``points:<hue value>``
    in :func:`plot_convergence`: the per-x means of one hue value
    (``series:all`` without a hue), their min–max bars, the single runs;
``stuck``, ``failed``, ``not_converged``, ``no_value``
    in :func:`plot_convergence`: stuck runs circled; runs off the scale;
``heatmap``, ``cell:<group>``
    the image of group means and each cell's annotation;
``decision``, ``boundary``, ``data:<class>``
    the image of a network's output (``imshow`` on one norm for all panels),
    its decision boundary (the 0.5 contour of probabilities, the 0 contour of
    logits), the data (one scatter per class).
"""

from __future__ import annotations

from .convergence import plot_convergence
from .curves import plot_curves
from .decision import plot_decision_boundary, plot_decision_grid
from .heatmap import plot_heatmap
from .search import plot_search
from .style import DPI, artists

__all__ = ["DPI", "artists", "plot_convergence", "plot_curves", "plot_decision_boundary",
           "plot_search",
           "plot_decision_grid", "plot_heatmap"]

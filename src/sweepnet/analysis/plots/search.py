"""A search's trials: the objective by trial with the running best, against each searched
parameter, and the epochs each trial trained (where the pruner stopped it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..search import BEST, SearchSettings
from .style import check_path, figure, floats, save, wants_log

PANEL = (3.6, 3.0)  # inches
COLOURS = {"complete": "#1f77b4", "pruned": "#d62728", "failed": "#7f7f7f"}


def plot_search(trials: pd.DataFrame, settings: SearchSettings, parameters: Sequence[str],
                path: str | Path) -> Figure:
    """The search's figure from :func:`sweepnet.analysis.search.trial_table`'s ``trials``.

    Panels: the objective of each complete trial by trial number and the best so far;
    the objective against each of ``parameters`` (pruned and failed trials as marks
    along the top, at their values); the epochs each trial trained, pruned ones red.
    """
    check_path(path)
    if trials.empty:
        raise ValueError("plot_search needs at least one trial")
    objective = settings.objective
    n = 2 + len(parameters)
    fig = figure(PANEL[0] * n, PANEL[1] + 0.6)
    axes = fig.subplots(1, n, squeeze=False)[0]
    values = floats(trials, objective)
    done = np.isfinite(values)
    top = np.nanmax(values) if done.any() else 1.0
    ax = axes[0]
    ax.plot(trials["trial"][done], values[done], "o", color=COLOURS["complete"],
            label="complete")
    ax.step(trials["trial"], floats(trials, BEST), where="post", color="black", lw=1,
            label=f"best so far ({settings.direction})")
    _marks(ax, trials, trials["trial"], top)
    ax.set(xlabel="trial", ylabel=objective, title=f"{objective} by trial")
    ax.legend(fontsize=7)
    for ax, parameter in zip(axes[1:], parameters):
        x = pd.to_numeric(trials[parameter], errors="coerce")
        numeric = x.notna().all()
        position = x if numeric else pd.Series(pd.factorize(trials[parameter].astype(str))[0])
        ax.plot(position[done], values[done], "o", color=COLOURS["complete"])
        _marks(ax, trials, position, top)
        if numeric and wants_log(x):
            ax.set_xscale("log")
        if not numeric:
            names = pd.factorize(trials[parameter].astype(str))[1]
            ax.set_xticks(range(len(names)), names, rotation=30, fontsize=7)
        ax.set(xlabel=parameter, title=f"{objective} by {parameter}")
    ax = axes[-1]
    epochs = floats(trials, "epochs")
    colours = [COLOURS[s] for s in trials["state"]]
    ax.bar(trials["trial"], epochs, color=colours, width=0.8)
    ax.set(xlabel="trial", ylabel="epochs trained", title="where pruning stopped trials")
    fig.suptitle(f"Search: {len(trials)} trials, "
                 + ", ".join(f"{(trials['state'] == s).sum()} {s}" for s in COLOURS))
    fig.tight_layout()
    save(fig, path)
    return fig


def _marks(ax, trials: pd.DataFrame, x, top: float) -> None:
    """Pruned and failed trials (no objective) as marks along the top of the panel."""
    for state in ("pruned", "failed"):
        chosen = (trials["state"] == state).to_numpy()
        if chosen.any():
            ax.plot(np.asarray(x)[chosen], np.full(chosen.sum(), top * 1.05), "x",
                    color=COLOURS[state], label=f"{state} (no value)", clip_on=False)

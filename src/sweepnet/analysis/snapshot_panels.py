"""The decision boundaries a run's snapshots show (:mod:`sweepnet.snapshots`).

A run that kept snapshots saves the network's output at some of them beside
the final one (``snapshot_epochs``, ``snapshot_z`` in its decision surface).
Two figures draw them, one row of panels per group:

- ``plateau_boundaries``: the boundary on the run's longest plateau (the
  snapshot nearest its middle on the time axis) beside the boundary at the end;
- ``snapshot_boundaries`` (``report.snapshots`` a list of epochs): the
  boundary at each chosen epoch, then at the end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..snapshots import nearest, plateau_middle


def snapshot_surfaces(surface: dict) -> dict[int, dict]:
    """A saved surface's snapshots by epoch, each a surface of its own (the same grid and
    data, the output at that epoch); empty when the run saved none."""
    epochs = surface.get("snapshot_epochs")
    if epochs is None:
        return {}
    base = {k: v for k, v in surface.items() if not k.startswith("snapshot_")}
    return {int(e): {**base, "z": z} for e, z in zip(np.asarray(epochs), surface["snapshot_z"])}


def longest_plateau(plateaus: pd.DataFrame) -> dict | None:
    """The longest of one run's plateaus on the time axis (the largest end / start ratio)."""
    if plateaus.empty:
        return None
    span = (plateaus["end"] - 0.5) / (plateaus["start"] - 0.5)
    return plateaus.loc[span.idxmax()].to_dict()


def plateau_panels(title: str, surface: dict, plateaus: pd.DataFrame, run: dict
                   ) -> list[tuple[str, dict]]:
    """Two panels, on the run's longest plateau and at its end (none without a plateau or
    a snapshot). ``plateaus``: the run's rows of ``sweep_plateaus.csv``; ``run``: its row
    of the summary."""
    snapshots = snapshot_surfaces(surface)
    plateau = longest_plateau(plateaus)
    if not snapshots or plateau is None:
        return []
    start, end = int(plateau["start"]), int(plateau["end"])
    epoch = nearest(snapshots, plateau_middle(start, end))
    return [(f"{title}\non the plateau at {plateau['level']:.3g} (epochs {start}-{end}): "
             f"epoch {epoch}", snapshots[epoch]),
            (f"{title}\nat the end: {_end(run)}", surface)]


def epoch_panels(title: str, surface: dict, run: dict) -> list[tuple[str, dict]]:
    """A panel per snapshot the run saved, then one at its end."""
    return [(f"{title}\nepoch {epoch}", at) for epoch, at in snapshot_surfaces(surface).items()
            ] + [(f"{title}\nat the end: {_end(run)}", surface)]


def _end(run: dict) -> str:
    """``epoch 1000, loss 0.25`` from a summary row (what of it is known)."""
    epochs, loss = pd.to_numeric(pd.Series([run.get("epochs"), run.get("final_loss")]),
                                 errors="coerce")
    parts = [] if pd.isna(epochs) else [f"epoch {int(epochs)}"]
    return ", ".join(parts + ([] if pd.isna(loss) else [f"loss {loss:.3g}"])) or "no epoch"

"""A search's trials (``hydra/sweeper=search``, :mod:`sweepnet.runner.search`).

Read from what the runs wrote, like every table: each run records its
``trial`` (the summary's ``trial`` and ``state`` columns), and the sweep's
``multirun.yaml`` the objective and its direction. A trial is ``pruned`` when
one of its runs was, ``failed`` when one failed or diverged, else ``complete``
with the mean objective over its runs (replicates).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import rundir

#: the column of each trial's place in the search so far (the best objective up to it)
BEST = "best_so_far"


@dataclass(frozen=True)
class SearchSettings:
    objective: str = "final_val_loss"
    direction: str = "minimize"


def search_settings(path: Path) -> SearchSettings | None:
    """The objective and direction of the search in ``path`` (None: not a search)."""
    from omegaconf import OmegaConf

    config = OmegaConf.create(rundir.sweep_config(path))

    def setting(key: str, default: str) -> str:  # its interpolations (${objective}) resolved
        value = OmegaConf.select(config, f"hydra.sweeper.{key}", default=default,
                                 throw_on_resolution_failure=False)
        return default if value is None else str(value)

    if "sweepnet_search" not in setting("_target_", ""):
        return None
    return SearchSettings(setting("objective", "final_val_loss"),
                          setting("direction", "minimize"))


def trial_table(summary: pd.DataFrame, parameters: Sequence[str],
                settings: SearchSettings) -> pd.DataFrame:
    """One row per trial: ``trial``, ``state``, the objective, the best objective so far,
    ``runs``, the searched ``parameters``, ``epochs`` (the most any of its runs trained)
    and ``pruned_epoch`` (where the pruner stopped it)."""
    objective = settings.objective
    runs = summary[summary["trial"].notna()] if "trial" in summary else summary.iloc[:0]
    rows = []
    for trial, group in runs.groupby("trial", sort=True):
        states = set(group["state"])
        state = "pruned" if "pruned" in states else "failed" if "failed" in states \
            else "complete"
        pruned = group.loc[group["state"] == "pruned", "epochs"]
        rows.append({"trial": int(trial), "state": state,
                     objective: group[objective].mean() if state == "complete" else math.nan,
                     "runs": len(group), **{p: group[p].iloc[0] for p in parameters},
                     "epochs": int(group["epochs"].max()),
                     "pruned_epoch": int(pruned.min()) if len(pruned) else pd.NA})
    columns = ["trial", "state", objective, BEST, "runs", *parameters, "epochs", "pruned_epoch"]
    table = pd.DataFrame(rows, columns=[c for c in columns if c != BEST])
    values = pd.to_numeric(table[objective], errors="coerce")
    best = values.cummin() if settings.direction == "minimize" else values.cummax()
    table.insert(3, BEST, best.ffill())
    table["pruned_epoch"] = table["pruned_epoch"].astype("Int64")
    return table

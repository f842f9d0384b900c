"""Regenerate the figures the README shows, from fresh sweeps.

    python docs/make_figures.py

Runs three sweeps into a temporary directory and copies their figures into
``docs/``:

- ``sweepnet experiment=lr_sweep`` (tutorial 003's learning-rate study):
  ``lr_sweep_loss_curves.png``, ``lr_sweep_loss_lr_time.png``,
  ``lr_sweep_convergence.png``, ``lr_sweep_decision_boundaries.png``;
- the same study from sweepnet's default start (:data:`DEFAULT_START`):
  ``default_start_loss_lr_time.png``, ``default_start_convergence.png``;
- the grid of "Reading a grid", learning rate x width x 5 seeds
  (:data:`GRID`): ``grid_loss_curves.png``, ``grid_convergence.png``,
  ``grid_heatmap.png``.
"""

import shutil
import sys
import tempfile
from pathlib import Path

from sweepnet.runner.app import main

LR_SWEEP = ["experiment=lr_sweep"]
DEFAULT_START = ["experiment=lr_sweep", "seed=0", "dataset.split.test_size=0.2",
                 "baseline=null"]
GRID = ["-m", "optimizer.lr=0.5,1,2", "seed=0,1,2,3,4", "model.hidden=[4],[16],[64]"]
FIGURES = {
    "lr_sweep": (LR_SWEEP, ["loss_curves.png", "loss_lr_time.png", "convergence.png",
                            "decision_boundaries.png"]),
    "default_start": (DEFAULT_START, ["loss_lr_time.png", "convergence.png"]),
    "grid": (GRID, ["loss_curves.png", "convergence.png", "heatmap.png"]),
}


def make_figures(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for prefix, (command, names) in FIGURES.items():
            sweep_dir = Path(tmp) / prefix
            if main([*command, f"hydra.sweep.dir={sweep_dir}"]) != 0:
                sys.exit(f"the {prefix} sweep failed")
            for name in names:
                shutil.copy(sweep_dir / name, target / f"{prefix}_{name}")
                print(f"wrote {target / f'{prefix}_{name}'}")


if __name__ == "__main__":
    make_figures(Path(__file__).resolve().parent)

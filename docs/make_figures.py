"""Regenerate the figures the README shows, from a fresh lr_sweep.

    python docs/make_figures.py

Runs ``sweepnet experiment=lr_sweep`` into a temporary directory and copies its
loss curves, convergence plot and decision boundaries into ``docs/``.
"""

import shutil
import sys
import tempfile
from pathlib import Path

from sweepnet.runner.app import main

FIGURES = ["loss_curves.png", "convergence.png", "decision_boundaries.png"]


def make_figures(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sweep_dir = Path(tmp) / "lr_sweep"
        if main(["experiment=lr_sweep", f"hydra.sweep.dir={sweep_dir}"]) != 0:
            sys.exit("the lr_sweep failed")
        for name in FIGURES:
            shutil.copy(sweep_dir / name, target / f"lr_sweep_{name}")
            print(f"wrote {target / f'lr_sweep_{name}'}")


if __name__ == "__main__":
    make_figures(Path(__file__).resolve().parent)

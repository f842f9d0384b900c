"""Regenerate the figures the documentation shows (docs/*.md), from fresh sweeps.

    python docs/make_figures.py

Runs three sweeps into a temporary directory and copies their figures into
``docs/``:

- ``sweepnet experiment=lr_sweep`` (tutorial 003's learning-rate study):
  ``lr_sweep_loss_curves.png``, ``lr_sweep_loss_lr_time.png``,
  ``lr_sweep_convergence.png``, ``lr_sweep_decision_boundaries.png``;
- the same study from sweepnet's default start (:data:`DEFAULT_START`):
  ``default_start_loss_lr_time.png``, ``default_start_convergence.png``;
- the grid of docs/reading.md ("Grids"), learning rate x width x 5 seeds
  (:data:`GRID`): ``grid_loss_curves.png``, ``grid_convergence.png``,
  ``grid_heatmap.png``;
- ``sweepnet experiment=escape_plateau``: ``escape_plateau.png``, its runs
  against lr x epoch, one panel per kind of change (:data:`CHANGES`) with the
  stuck start in each, a dot where a run leaves the plateau;
- ``sweepnet experiment=learning_strategies``: ``learning_strategies_loss_curves.png``.
"""

import shutil
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sweepnet.analysis import load  # noqa: E402
from sweepnet.analysis.curves import lr_times  # noqa: E402
from sweepnet.runner.app import main  # noqa: E402

LR_SWEEP = ["experiment=lr_sweep"]
DEFAULT_START = ["experiment=lr_sweep", "seed=0", "dataset.split.test_size=0.2",
                 "baseline=null"]
GRID = ["-m", "optimizer.lr=0.5,1,2", "seed=0,1,2,3,4", "model.hidden=[4],[16],[64]"]
FIGURES = {
    "lr_sweep": (LR_SWEEP, ["loss_curves.png", "loss_lr_time.png", "convergence.png",
                            "decision_boundaries.png"]),
    "default_start": (DEFAULT_START, ["loss_lr_time.png", "convergence.png",
                                      "plateau_boundaries.png"]),
    "grid": (GRID, ["loss_curves.png", "convergence.png", "heatmap.png"]),
    "learning_strategies": (["experiment=learning_strategies"], ["loss_curves.png"]),
    "escape": (["experiment=escape_plateau"], []),
}
#: the escape study's options by the kind of change they make
CHANGES = {"momentum (effective lr = lr / (1 - β))": ["momentum_0.5", "momentum_0.9",
                                                      "nesterov_0.9"],
           "Adam": ["adam"], "learning-rate schedule": ["invscaling", "adaptive"],
           "initial scale": ["init_small", "init_he", "init_large"],
           "width": ["width_4", "width_64", "width_256"],
           "mini-batches": ["batch_32", "batch_128"],
           "initial weights": ["seed_1", "seed_2", "seed_3"]}


def escape_figure(sweep_dir: Path, path: Path) -> None:
    """The escape study: each kind of change against the stuck start, loss vs lr x epoch."""
    sweep = load(sweep_dir)
    rows = sweep.summary.set_index("escape")
    history = sweep.history

    def curve(name):
        run = history[history["job"] == rows.loc[name, "job"]].sort_values("epoch")
        return lr_times(run, rows.loc[name]), run["loss"].to_numpy()

    fig, axes = plt.subplots(2, 4, figsize=(13, 6), sharey=True)
    for ax, (change, names) in zip(axes.flat, CHANGES.items()):
        ax.plot(*curve("baseline"), color="black", lw=2, label="start: lr 1, stuck")
        for name in names:
            (line,) = ax.plot(*curve(name), lw=1.2, label=name)
            left = rows.loc[name, "escaped_lr_time"]
            if left == left:  # leaves the plateau there
                epoch = int(rows.loc[name, "escaped_epoch"])
                loss = history.loc[(history["job"] == rows.loc[name, "job"])
                                   & (history["epoch"] == epoch), "loss"].iloc[0]
                ax.plot([left], [loss], "o", color=line.get_color(), mec="black")
        ax.set(xscale="log", yscale="log", title=change, xlabel="lr × epoch")
        ax.legend(fontsize=7, loc="lower left")
        ax.grid(alpha=0.3)
    axes.flat[-1].axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("training loss")
    fig.suptitle("What escapes the plateau of the default start (make_moons, 2-16-1, "
                 "full-batch SGD at lr 1); dots: where a run leaves it")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def make_figures(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for prefix, (command, names) in FIGURES.items():
            sweep_dir = Path(tmp) / prefix
            if main([*command, f"hydra.sweep.dir={sweep_dir}"]) != 0:
                sys.exit(f"the {prefix} sweep failed")
            for name in names:
                shutil.copy(sweep_dir / name, target / f"{prefix}_{name}")
                print(f"wrote {target / f'{prefix}_{name}'}")
            if prefix == "escape":
                escape_figure(sweep_dir, target / "escape_plateau.png")
                print(f"wrote {target / 'escape_plateau.png'}")


if __name__ == "__main__":
    make_figures(Path(__file__).resolve().parent)

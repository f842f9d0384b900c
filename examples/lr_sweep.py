"""Tutorial 003's learning-rate study with the sweepnet engine, in one script.

    python examples/lr_sweep.py [OUTPUT_DIR]

Trains make_moons(1000, noise=0.2) with a 2-16-1 relu/sigmoid network by
full-batch gradient descent (1000 / lr epochs, as the tutorial does) for each
learning rate in 2, 1, 0.5, 0.3, 0.2, 0.1, then writes the long history table
``history.csv`` and the plot ``loss_curves.png`` to OUTPUT_DIR
(``outputs/lr_sweep`` by default).
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.datasets import make_moons  # noqa: E402

import sweepnet as sn  # noqa: E402

LEARNING_RATES = [2, 1, 0.5, 0.3, 0.2, 0.1]


def main(out_dir: Path) -> None:
    X, y = make_moons(1000, noise=0.2, random_state=0)
    runs = []
    for lr in LEARNING_RATES:
        trainer = sn.Trainer(sn.mlp([2, 16, 1], seed=99), sn.BCE(), sn.SGD(lr))
        history = trainer.fit(X, y, epochs=int(1000 / lr))
        print(f"lr={lr:<4} epochs={len(history):<5} final loss={history['loss'].iloc[-1]:.4f}")
        runs.append(history.assign(lr=lr, status=trainer.status_))
    table = pd.concat(runs, ignore_index=True)

    out_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_dir / "history.csv", index=False)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for lr, run in table.groupby("lr"):
        ax.plot(run["epoch"], run["loss"], label=f"lr = {lr:g}")
    ax.set(xlabel="epoch", ylabel="training loss (binary cross entropy)",
           title="make_moons, 2-16-1 relu/sigmoid, full-batch gradient descent")
    ax.legend(title="learning rate")
    fig.tight_layout()
    fig.savefig(out_dir / "loss_curves.png", dpi=100)
    print(f"wrote {out_dir / 'history.csv'} and {out_dir / 'loss_curves.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("outputs/lr_sweep"))

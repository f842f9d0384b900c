"""A bare Hydra app: sweepnet's training in plain numpy, one JSON file per job.

The reference that ``benchmarks/sweeps.py`` times sweepnet against: what a
researcher writes by hand around ``@hydra.main`` (a structured config, the
data from scikit-learn, a 2-layer network with ReLU and a sigmoid, binary
cross entropy, (mini-batch) gradient descent, the loss history into
``result.json``), with Hydra's own sweeper and launcher and no checks, tables
or plots.

    python benchmarks/bare_app.py -m lr=0.1,1 seed=0,1 dataset=moons epochs=200
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import hydra
import numpy as np
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig


@dataclass
class Config:
    dataset: str = "moons"       # or breast_cancer
    lr: float = 1.0
    seed: int = 0
    epochs: int = 1000
    epoch_budget: float = 0.0    # > 0: round(epoch_budget / lr) epochs (tutorial 003)
    batch_size: int = 0          # 0: full batch
    hidden: int = 16
    test_size: float = 0.2
    standardize: bool = False


ConfigStore.instance().store(name="config", node=Config)


def load(cfg: Config):
    from sklearn.datasets import load_breast_cancer, make_moons
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if cfg.dataset == "moons":
        X, y = make_moons(1000, noise=0.2, random_state=cfg.seed)
    else:
        X, y = load_breast_cancer(return_X_y=True)
    if cfg.test_size > 0:
        X, _, y, _ = train_test_split(X, y, test_size=cfg.test_size, random_state=cfg.seed,
                                      stratify=y)
    if cfg.standardize:
        X = StandardScaler().fit_transform(X)
    return X, y.reshape(-1, 1).astype(float)


@hydra.main(config_path=None, config_name="config", version_base=None)
def main(cfg: Config) -> None:
    X, y = load(cfg)
    rng = np.random.default_rng(cfg.seed)
    d, h = X.shape[1], cfg.hidden
    w1 = rng.uniform(-1, 1, (d, h)) * np.sqrt(6 / (d + h))
    w2 = rng.uniform(-1, 1, (h, 1)) * np.sqrt(6 / (h + 1))
    b1, b2 = np.zeros(h), np.zeros(1)
    epochs = round(cfg.epoch_budget / cfg.lr) if cfg.epoch_budget > 0 else cfg.epochs
    size = cfg.batch_size or len(X)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X)) if size < len(X) else np.arange(len(X))
        total = 0.0
        for start in range(0, len(X), size):
            xb, yb = X[order[start:start + size]], y[order[start:start + size]]
            a = np.maximum(xb @ w1 + b1, 0)
            p = np.clip(1 / (1 + np.exp(-(a @ w2 + b2))), 1e-15, 1 - 1e-15)
            total += -np.sum(yb * np.log(p) + (1 - yb) * np.log(1 - p))
            g2 = (p - yb) / len(xb)
            ga = (g2 @ w2.T) * (a > 0)
            w2 -= cfg.lr * a.T @ g2
            b2 -= cfg.lr * g2.sum(0)
            w1 -= cfg.lr * xb.T @ ga
            b1 -= cfg.lr * ga.sum(0)
        losses.append(total / len(X))
    out = Path(HydraConfig.get().runtime.output_dir) / "result.json"
    out.write_text(json.dumps({"lr": cfg.lr, "seed": cfg.seed, "loss": losses}))


if __name__ == "__main__":
    main()

"""The four tutorials as presets: ``sweepnet experiment=tutorial_00N`` gives their numbers.

References: the numbers each tutorial prints, and, epoch by epoch, a plain numpy
re-implementation of each tutorial's training loop written here from its
description (draw order, batching, update rule), independent of the engine.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, make_moons
from sklearn.model_selection import train_test_split

from sweepnet.runner.app import main


def run(workdir: Path, *args: str) -> tuple[pd.DataFrame, dict]:
    """A single run; its history and result record."""
    assert main([*args, "hydra.run.dir=run", "report.decision_boundaries=false"]) == 0
    history = pd.read_csv(workdir / "run" / "history.csv")
    return history, json.loads((workdir / "run" / "result.json").read_text())


def sweep(workdir: Path, *args: str) -> pd.DataFrame:
    """A sweep; its summary table."""
    assert main([*args, "hydra.sweep.dir=sweep"]) == 0
    return pd.read_csv(workdir / "sweep" / "sweep_summary.csv")


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --- tutorial 000 -------------------------------------------------------------------------

def test_tutorial_000_ends_at_its_printed_loss(workdir):
    history, result = run(workdir, "experiment=tutorial_000")
    assert len(history) == 2000 and result["status"] == "ok"
    assert history["loss"].iloc[-1] == pytest.approx(0.2137417, abs=1e-6)


def test_tutorial_000_epoch_by_epoch_equals_its_loop_in_float32(workdir):
    """Its loop: np.random.seed(42); W = randn(4, 3), b = randn(4) as float32; per sample
    W -= lr * outer((yhat - y), x) (sigmoid + BCE), the epoch loss summed."""
    history, _ = run(workdir, "experiment=tutorial_000", "trainer.epochs=300")
    from sweepnet.datasets import toy

    X, Y = (a.astype(np.float32) for a in toy())
    rng = np.random.RandomState(42)
    W = rng.randn(4, 3).astype(np.float32)
    b = rng.randn(4).astype(np.float32)
    lr = np.float32(0.01)
    losses = []
    for _ in range(300):
        total = np.float32(0)
        for x, y in zip(X, Y):
            yhat = sigmoid(W @ x + b)
            total += -(y * np.log(yhat) + (1 - y) * np.log(1 - yhat)).sum()
            delta = yhat - y
            W -= lr * np.outer(delta, x)
            b -= lr * delta
        losses.append(total)
    # float32 throughout; the engine's fused sigmoid/BCE gradient rounds differently
    np.testing.assert_allclose(history["loss"], losses, rtol=2e-5)


def test_toy_is_importable_from_the_datasets_package():
    from sweepnet.datasets import breast_cancer, toy

    X, Y = toy()
    assert X.shape == (5, 3) and Y.shape == (5, 4)
    assert breast_cancer()[0].shape == (569, 30)


# --- tutorial 001 -------------------------------------------------------------------------

# the tutorial's printed epochs: (loss, val_loss, val_metric), three decimals
PRINTED_001 = [(0.421, 0.263, 0.939), (0.246, 0.198, 0.956), (0.199, 0.169, 0.965),
               (0.170, 0.152, 0.965), (0.158, 0.140, 0.965), (0.144, 0.132, 0.965),
               (0.138, 0.125, 0.965), (0.131, 0.120, 0.965), (0.126, 0.116, 0.965),
               (0.120, 0.112, 0.965)]
PRINTED_001_DEEP = [(0.617, 0.496, 0.930), (0.457, 0.352, 0.939), (0.340, 0.258, 0.939),
                    (0.258, 0.204, 0.939), (0.210, 0.173, 0.939), (0.183, 0.153, 0.939),
                    (0.162, 0.139, 0.939), (0.141, 0.128, 0.947), (0.133, 0.120, 0.965),
                    (0.122, 0.114, 0.974)]


def tutorial_001_loop(hidden: list[int], epochs: int = 10):
    """Tutorial 001's procedure: one RandomState(9) draws the weights (uniform(+-1/sqrt(in)),
    (in, out), zero bias), then every epoch permutes the already shuffled training set;
    batches of 64, the last partial one dropped; mean gradients; SGD at 0.1."""
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, random_state=9)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    X_train, X_val = (X_train - mean) / std, (X_val - mean) / std
    y_train, y_val = y_train.reshape(-1, 1), y_val.reshape(-1, 1)
    rng = np.random.RandomState(9)
    sizes = [30, *hidden, 1]
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        k = 1 / np.sqrt(n_in)
        params.append([rng.uniform(-k, k, (n_in, n_out)), np.zeros(n_out)])

    def forward(x):
        activations = [x]
        for i, (W, b) in enumerate(params):
            z = activations[-1] @ W + b
            activations.append(sigmoid(z) if i == len(params) - 1 else np.maximum(z, 0))
        return activations

    def bce(p, t):
        p = p.clip(1e-8, 1 - 1e-8)
        return -(t * np.log(p) + (1 - t) * np.log(1 - p))

    rows = []
    for _ in range(epochs):
        order = rng.permutation(len(X_train))
        X_train, y_train = X_train[order], y_train[order]
        total, seen = 0.0, 0
        for start in range(0, len(X_train) // 64 * 64, 64):
            xb, yb = X_train[start:start + 64], y_train[start:start + 64]
            acts = forward(xb)
            total += bce(acts[-1], yb).sum()
            seen += len(xb)
            grad = (acts[-1] - yb) / len(xb)
            for i in reversed(range(len(params))):
                W, b = params[i]
                grad_W, grad_b = acts[i].T @ grad, grad.sum(axis=0)
                grad = (grad @ W.T) * (acts[i] > 0)
                W -= 0.1 * grad_W
                b -= 0.1 * grad_b
        out = forward(X_val)[-1]
        rows.append((total / seen, bce(out, y_val).mean(), ((out > 0.5) == y_val).mean()))
    return np.array(rows)


def test_tutorial_001_reproduces_every_printed_epoch(workdir):
    history, result = run(workdir, "experiment=tutorial_001")
    ours = history[["loss", "val_loss", "val_accuracy"]].to_numpy()
    np.testing.assert_allclose(ours, tutorial_001_loop([]), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(np.round(ours, 3), np.array(PRINTED_001))
    assert round(result["baselines"]["logreg"]["val_accuracy"], 3) == 0.982


def test_tutorial_001_deep_is_its_network_from_a_fresh_seed(workdir):
    history, _ = run(workdir, "experiment=tutorial_001_deep")
    ours = history[["loss", "val_loss", "val_accuracy"]].to_numpy()
    np.testing.assert_allclose(ours, tutorial_001_loop([20]), rtol=1e-9, atol=1e-12)


def test_tutorial_001_deep_printed_epochs_continue_the_notebooks_random_state():
    """In the notebook the deep network is drawn after the logistic one has trained: its
    weights and batch orders continue the same np.random state, and its loader starts
    from the order the first run left. Replayed with the engine, every epoch matches."""
    import sweepnet as sn
    from sweepnet.datasets import split

    data = split(*load_breast_cancer(return_X_y=True), test_size=0.2, stratify=False, seed=9,
                 scale="standard")
    rng = np.random.RandomState(9)

    def trainer(sizes):
        model = sn.mlp(sizes, init="torch_uniform_zero_bias", seed=rng)
        return sn.Trainer(model, sn.BCE(), sn.SGD(0.1), batch_size=64, shuffle="cumulative",
                          seed=rng, drop_last=True)

    first = trainer([30, 1])
    first.fit(data.X_train, data.y_train, 10, validation_data=(data.X_val, data.y_val))
    order = first.order_
    history = trainer([30, 20, 1]).fit(data.X_train[order], data.y_train[order], 10,
                                       validation_data=(data.X_val, data.y_val))
    ours = history[["loss", "val_loss", "val_accuracy"]].to_numpy()
    np.testing.assert_array_equal(np.round(ours, 3), np.array(PRINTED_001_DEEP))


def test_tutorial_001_prints_its_accuracy_and_baselines(workdir, capsys):
    run(workdir, "experiment=tutorial_001")
    lines = capsys.readouterr().out.splitlines()
    final = next(line for line in lines if "final loss" in line)
    assert "validation accuracy 0.9649" in final
    baselines = next(line for line in lines if "scikit-learn on the same data" in line)
    assert "LogisticRegression validation accuracy 0.9825" in baselines
    assert "MLPClassifier validation accuracy" in baselines


# --- tutorial 002 -------------------------------------------------------------------------

def test_tutorial_002_spread_over_seeds_contains_its_single_draw(workdir):
    summary = sweep(workdir, "experiment=tutorial_002")
    assert len(summary) == 20 and (summary["status"] == "ok").all()
    accuracy = summary["final_val_accuracy"]
    assert accuracy.min() <= 0.912 <= accuracy.max()
    groups = pd.read_csv(workdir / "sweep" / "sweep_groups.csv")
    assert len(groups) == 1 and groups["n"].iloc[0] == 20  # seeds are replicates


def test_tutorial_002_keras_spread_contains_kerass_draw(workdir):
    summary = sweep(workdir, "experiment=tutorial_002_keras")
    assert len(summary) == 20
    accuracy = summary["final_val_accuracy"]
    assert accuracy.min() <= 0.649 <= accuracy.max()


def test_tutorial_002_from_the_builtin_data_equals_the_csv(workdir):
    """Kaggle's bdiag.csv layout (an id column, a trailing comma) gives the same runs."""
    data = load_breast_cancer(as_frame=True)
    frame = pd.DataFrame({"id": np.arange(842302, 842302 + 569),
                          "diagnosis": np.where(data.target == 0, "M", "B"),
                          "radius_mean": data.data["mean radius"],
                          "texture_mean": data.data["mean texture"]})
    text = frame.to_csv(index=False).replace("\n", ",\n")  # the empty 33rd column
    (workdir / "bdiag.csv").write_text(text)
    args = ["experiment=tutorial_002", "seed=3,7"]
    builtin = sweep(workdir, *args)
    assert main(["-m", *args, "dataset=csv", "dataset.path=bdiag.csv",
                 "dataset.target=diagnosis", "dataset.positive=M",
                 "hydra.sweep.dir=from_csv"]) == 0
    from_csv = pd.read_csv(workdir / "from_csv" / "sweep_summary.csv")
    for column in ("final_loss", "final_val_accuracy"):
        np.testing.assert_array_equal(builtin[column], from_csv[column])


# --- tutorial 003 -------------------------------------------------------------------------

def tutorial_003_loop(hidden: list[int], epochs: int):
    """Tutorial 003's procedure: RandomState(42) draws, layer by layer, randn(out, in) * 0.1
    then randn(out, 1) * 0.1; full-batch gradient descent at lr 1 on all 1000 points."""
    X, y = make_moons(1000, noise=0.2, random_state=0)
    y = y.reshape(-1, 1)
    rng = np.random.RandomState(42)
    sizes = [2, *hidden, 1]
    params = [[rng.randn(o, i) * 0.1, rng.randn(o, 1) * 0.1] for i, o in zip(sizes, sizes[1:])]
    losses = []
    for _ in range(epochs):
        acts, zs = [X.T], []
        for k, (W, b) in enumerate(params):
            zs.append(W @ acts[-1] + b)
            acts.append(sigmoid(zs[-1]) if k == len(params) - 1 else np.maximum(zs[-1], 0))
        p = acts[-1].T
        losses.append(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        delta = (p - y).T / len(X)
        for k in reversed(range(len(params))):
            W, b = params[k]
            grad_W, grad_b = delta @ acts[k].T, delta.sum(axis=1, keepdims=True)
            if k:
                delta = (W.T @ delta) * (zs[k - 1] > 0)
            W -= 1.0 * grad_W
            b -= 1.0 * grad_b
    return np.array(losses)


@pytest.mark.parametrize("preset, hidden", [("tutorial_003", [16]),
                                            ("tutorial_003_deep", [4, 6, 6, 4])])
def test_tutorial_003_equals_its_loop(workdir, preset, hidden):
    history, result = run(workdir, f"experiment={preset}", "trainer.epochs=300",
                          "baseline=null")
    assert "val_loss" not in history  # trained on all 1000 points
    np.testing.assert_allclose(history["loss"], tutorial_003_loop(hidden, 300),
                               rtol=1e-10)


def test_lr_sweep_records_where_sklearn_would_have_stopped(workdir):
    """tutorial 003's study: sweepnet trains every epoch; MLPClassifier with its own
    stopping rule stops early on the low rates' plateau."""
    from sklearn.neural_network import MLPClassifier

    summary = sweep(workdir, "experiment=lr_sweep", "optimizer.lr=2,0.1", "trainer.epochs=300")
    X, y = make_moons(1000, noise=0.2, random_state=0)
    for lr, epochs, n_iter in zip(summary["optimizer.lr"], summary["epochs"],
                                  summary["sklearn_mlp_n_iter"]):
        assert epochs == 300
        reference = MLPClassifier((16,), solver="sgd", learning_rate_init=lr, momentum=0.0,
                                  alpha=0.0, batch_size=1000, max_iter=300, random_state=99)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference.fit(X, y)
        assert n_iter == reference.n_iter_
    assert summary["sklearn_mlp_n_iter"].min() < 300

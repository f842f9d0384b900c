"""Paired speed benchmark of sweepnet against scikit-learn and PyTorch.

    python benchmarks/engine.py [--repeats N] [--quick]

(A) make_moons(1000, noise=0.2), 2-16-1 relu/sigmoid, full-batch SGD lr=1,
    1000 epochs, float64: time per epoch.
(B) make_classification(100_000, 32 features), 32-256-256-1 relu, mini-batches
    of 256, SGD lr=0.01, 3 epochs: samples per second, sweepnet and PyTorch in
    float32, scikit-learn in float64 (its MLPClassifier computes in the dtype
    of X; float64 is what it is normally used with).

The three libraries run interleaved in one process, repeat after repeat, so
machine noise hits them alike; medians are reported. sweepnet's heap padding
(``sweepnet._allocator``) is applied before anything is timed, so every
library runs with the same allocator settings. PyTorch is skipped when it is
not installed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import sweepnet as sn
from sweepnet._allocator import keep_heap_padding

try:
    import torch
except ImportError:  # the benchmark still compares against scikit-learn
    torch = None


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def sklearn_fit(X, y, hidden, lr, batch_size, epochs, shuffle):
    clf = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", solver="sgd",
                        learning_rate_init=lr, momentum=0.0, alpha=0.0, batch_size=batch_size,
                        shuffle=shuffle, tol=0.0, n_iter_no_change=epochs + 1,
                        max_iter=epochs, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)


def torch_fit(X, y, sizes, lr, batch_size, epochs, logits):
    torch.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    if not logits:
        layers.append(torch.nn.Sigmoid())
    net = torch.nn.Sequential(*layers).to(X.dtype)
    loss_fn = torch.nn.BCEWithLogitsLoss() if logits else torch.nn.BCELoss()
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    n = len(X)
    for _ in range(epochs):
        order = torch.randperm(n) if batch_size < n else torch.arange(n)
        Xs, ys = X[order], y[order]
        for i in range(0, n, batch_size):
            opt.zero_grad()
            loss = loss_fn(net(Xs[i:i + batch_size]), ys[i:i + batch_size])
            loss.backward()
            opt.step()
            loss.item()  # the loss history needs the value, as in sweepnet and scikit-learn


def bench_a(repeats: int, epochs: int) -> dict[str, list[float]]:
    """Seconds per epoch, full-batch moons."""
    X, y = make_moons(1000, noise=0.2, random_state=0)
    runs = {"sweepnet": [], "scikit-learn": [], "pytorch": []}
    if torch is not None:
        Xt = torch.from_numpy(X)
        yt = torch.from_numpy(y.astype(np.float64)).reshape(-1, 1)
    for _ in range(repeats):
        trainer = sn.Trainer(sn.mlp([2, 16, 1], seed=0), sn.BCE(), sn.SGD(1.0))
        runs["sweepnet"].append(timed(trainer.fit, X, y, epochs) / epochs)
        runs["scikit-learn"].append(
            timed(lambda: sklearn_fit(X, y, (16,), 1.0, len(X), epochs, False)) / epochs)
        if torch is not None:
            runs["pytorch"].append(
                timed(lambda: torch_fit(Xt, yt, [2, 16, 1], 1.0, len(X), epochs, False))
                / epochs)
    return runs


def bench_b(repeats: int, n_samples: int, epochs: int = 3) -> dict[str, list[float]]:
    """Training samples per second, 32-256-256-1 with mini-batches of 256."""
    X, y = make_classification(n_samples, 32, n_informative=16, random_state=0)
    X32 = X.astype(np.float32)
    runs = {"sweepnet": [], "scikit-learn": [], "pytorch": []}
    if torch is not None:
        Xt = torch.from_numpy(X32)
        yt = torch.from_numpy(y.astype(np.float32)).reshape(-1, 1)
    seen = n_samples * epochs
    for _ in range(repeats):
        model = sn.mlp([32, 256, 256, 1], output=None, seed=0, dtype=np.float32)
        trainer = sn.Trainer(model, sn.BCEWithLogits(), sn.SGD(0.01), batch_size=256)
        runs["sweepnet"].append(seen / timed(trainer.fit, X32, y, epochs))
        runs["scikit-learn"].append(
            seen / timed(lambda: sklearn_fit(X, y, (256, 256), 0.01, 256, epochs, True)))
        if torch is not None:
            runs["pytorch"].append(
                seen / timed(lambda: torch_fit(Xt, yt, [32, 256, 256, 1], 0.01, 256, epochs,
                                               True)))
    return runs


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    versions = f"numpy {np.__version__}, sweepnet {sn.__version__}"
    if torch is not None:
        versions += f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {versions}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true",
                        help="fewer epochs and samples, for a smoke run")
    args = parser.parse_args()
    # opt-in, process-wide: Trainer.fit never sets it; apply it before warm-up and timing
    keep_heap_padding()
    epochs_a, n_b = (100, 20_000) if args.quick else (1000, 100_000)

    print(f"machine: {machine()}")
    bench_a(1, 5), bench_b(1, 2_000, 1)  # warm-up: imports, thread pools, caches
    a = bench_a(args.repeats, epochs_a)
    b = bench_b(args.repeats, n_b)

    def median(runs, name):
        return statistics.median(runs[name]) if runs[name] else None

    def paired(runs, name):
        """Median over repeats of sweepnet's value / the other's, measured side by side."""
        if not runs[name]:
            return None
        return statistics.median(s / o for s, o in zip(runs["sweepnet"], runs[name]))

    def cell(value, fmt):
        return "n/a" if value is None else fmt.format(value)

    print("\n| benchmark | sweepnet | scikit-learn | PyTorch | vs scikit-learn | vs PyTorch |")
    print("|---|---|---|---|---|---|")
    a_us = {k: None if median(a, k) is None else median(a, k) * 1e6 for k in a}
    print("| (A) moons 2-16-1, full batch, time per epoch (lower is better) | "
          + " | ".join(cell(a_us[k], "{:.0f} µs") for k in ("sweepnet", "scikit-learn",
                                                            "pytorch"))
          + f" | {cell(paired(a, 'scikit-learn'), '{:.2f}x time')} "
          + f"| {cell(paired(a, 'pytorch'), '{:.2f}x time')} |")
    print("| (B) 32-256-256-1, batch 256, samples per second (higher is better) | "
          + " | ".join(cell(median(b, k), "{:,.0f}/s")
                       for k in ("sweepnet", "scikit-learn", "pytorch"))
          + f" | {cell(paired(b, 'scikit-learn'), '{:.2f}x throughput')} "
          + f"| {cell(paired(b, 'pytorch'), '{:.2f}x throughput')} |")
    print(f"\nmedians of {args.repeats} repeats; ratios are medians of the per-repeat ratios "
          "(each library measured right after the other)")
    print("targets: (A) <= 0.40x scikit-learn's and <= 0.30x PyTorch's time per epoch; "
          "(B) >= 2.5x scikit-learn's and >= 1.2x PyTorch's throughput")


if __name__ == "__main__":
    main()

"""Paired benchmark of stacked training: sweepnet against batched PyTorch, and S3 end to end.

    python benchmarks/stacks.py [--repeats N] [--models M] [--epochs E] [--skip-command]

The networks of sweep S3 (``benchmarks/sweeps.py``): ``M`` = 300 networks
2-16-1 (ReLU, sigmoid output, binary cross entropy) on make_moons(1000,
noise=0.2) split 80/20 (one data set per seed: 50 seeds x 6 learning rates),
mini-batches of 32 drawn per network, plain SGD with a learning rate per
network, 200 epochs, float64, every epoch's training loss kept:

- ``sweepnet``: :func:`sweepnet.fit_stack` on the 300 trainers;
- ``sweepnet_snapshots``: the same, every network keeping its weights at the
  log-spaced snapshot epochs (the runner's default, ``report.snapshots=plateaus``);
- ``bmm``: PyTorch, the same networks as ``(M, b, d)`` tensors, ``torch.baddbmm``
  forward, autograd backward, per-network learning rates;
- ``vmap``: PyTorch, ``torch.func.vmap`` over ``functional_call`` and ``grad``
  of one network (the ensembling recipe);
- ``command``: the whole S3 command in a fresh process (``sweepnet -m
  optimizer.lr=2,1,0.5,0.3,0.2,0.1 'seed=range(0,50)' trainer.batch_size=32
  trainer.epochs=200``): start-up, checks, training, 300 run directories,
  tables and figures, the plateau figure included; ``command_no_snapshots``: the
  same with ``report.snapshots=null`` (what snapshots cost the whole command).

Training times are medians over ``--repeats``, the variants run one after the
other within each repeat; ratios are medians of per-repeat ratios. PyTorch
variants are skipped when torch is not installed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

import sweepnet as sn
from sweepnet._allocator import keep_heap_padding

try:
    import torch
except ImportError:  # the benchmark still times sweepnet and the command
    torch = None

LRS = (2.0, 1.0, 0.5, 0.3, 0.2, 0.1)
COMMAND = ["-m", "optimizer.lr=2,1,0.5,0.3,0.2,0.1", "seed=range(0,50)",
           "trainer.batch_size=32", "trainer.epochs=200"]


def networks(models: int):
    """Per network: its learning rate, seed and training data (the S3 split)."""
    specs = []
    for i in range(models):
        lr, seed = LRS[i % len(LRS)], i // len(LRS)
        X, y = make_moons(1000, noise=0.2, random_state=seed)
        X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, random_state=seed,
                                                  stratify=y)
        specs.append((lr, seed, X_train, y_train.astype(np.float64)))
    return specs


def run_sweepnet(specs, epochs: int, snapshots=None) -> float:
    trainers = [sn.Trainer(sn.mlp([2, 16, 1], seed=seed), sn.BCE(), sn.SGD(lr),
                           batch_size=32, seed=seed, snapshots=snapshots)
                for lr, seed, _, _ in specs]
    start = time.perf_counter()
    sn.fit_stack(trainers, [(X, y) for _, _, X, y in specs], [epochs] * len(specs))
    return time.perf_counter() - start


def torch_data(specs):
    X = torch.from_numpy(np.stack([X for _, _, X, _ in specs]))
    y = torch.from_numpy(np.stack([y for _, _, _, y in specs]))[..., None]
    lr = torch.tensor([lr for lr, _, _, _ in specs], dtype=torch.float64)
    return X, y, lr


def torch_params(m: int):
    g = torch.Generator().manual_seed(0)
    bound1, bound2 = (6 / 18) ** 0.5, (6 / 17) ** 0.5
    return [((torch.rand(m, 2, 16, generator=g, dtype=torch.float64) * 2 - 1) * bound1),
            ((torch.rand(m, 1, 16, generator=g, dtype=torch.float64) * 2 - 1) * bound1),
            ((torch.rand(m, 16, 1, generator=g, dtype=torch.float64) * 2 - 1) * bound2),
            ((torch.rand(m, 1, 1, generator=g, dtype=torch.float64) * 2 - 1) * bound2)]


def batches(n: int, m: int, batch_size: int):
    """Each network's own permutation of its rows, then the slices of the epoch."""
    order = torch.argsort(torch.rand(m, n), dim=1)
    return order, [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


def torch_epochs(X, y, epochs: int, step) -> float:
    """Seconds of a batched PyTorch loop: every network's own batch order each epoch;
    ``step(xb, yb)`` updates every network and returns its batch losses."""
    m, n = X.shape[0], X.shape[1]
    rows = torch.arange(m)[:, None]
    start = time.perf_counter()
    for _ in range(epochs):
        order, slices = batches(n, m, 32)
        Xs, ys = X[rows, order], y[rows, order]
        total = torch.zeros(m, dtype=torch.float64)
        for s in slices:
            total += step(Xs[:, s], ys[:, s]) * (s.stop - s.start)
        (total / n).tolist()  # the loss history needs the values
    return time.perf_counter() - start


def run_bmm(specs, epochs: int) -> float:
    X, y, lr = torch_data(specs)
    params = [p.requires_grad_() for p in torch_params(X.shape[0])]
    lr = lr.view(-1, 1, 1)
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none")

    def step(xb, yb):
        w1, b1, w2, b2 = params
        out = torch.baddbmm(b2, torch.relu(torch.baddbmm(b1, xb, w1)), w2)
        losses = loss_fn(out, yb).mean(dim=(1, 2))  # one loss per network
        losses.sum().backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
        return losses.detach()

    return torch_epochs(X, y, epochs, step)


def run_vmap(specs, epochs: int) -> float:
    from torch.func import functional_call, grad_and_value, stack_module_state, vmap

    X, y, lr = torch_data(specs)
    nets = [torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(),
                                torch.nn.Linear(16, 1)).double() for _ in range(X.shape[0])]
    params, buffers = stack_module_state(nets)
    base = nets[0].to("meta")
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def loss(p, b, xb, yb):
        return loss_fn(functional_call(base, (p, b), (xb,)), yb)

    gradients = vmap(grad_and_value(loss))

    def step(xb, yb):
        grads, losses = gradients(params, buffers, xb, yb)
        with torch.no_grad():
            for name, p in params.items():
                p -= lr.view(-1, *([1] * (p.ndim - 1))) * grads[name]
        return losses

    return torch_epochs(X, y, epochs, step)


def run_command(*extra: str) -> float:
    script = Path(sys.executable).parent / "sweepnet"
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        done = subprocess.run([str(script), *COMMAND, *extra, f"hydra.sweep.dir={tmp}/s"],
                              capture_output=True, text=True)
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"the S3 command failed:\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--skip-command", action="store_true",
                        help="do not time the whole S3 command")
    args = parser.parse_args()
    keep_heap_padding()
    specs = networks(args.models)
    variants = {"sweepnet": run_sweepnet,
                "sweepnet_snapshots": lambda specs, epochs: run_sweepnet(specs, epochs, "log")}
    if torch is not None:
        torch.set_num_threads(os.cpu_count() or 1)
        variants.update(bmm=run_bmm, vmap=run_vmap)
    if not args.skip_command and args.models == 300 and args.epochs == 200:
        variants["command"] = lambda specs, epochs: run_command()
        variants["command_no_snapshots"] = \
            lambda specs, epochs: run_command("report.snapshots=null")
    for name, run in variants.items():  # warm-up: imports, thread pools
        if not name.startswith("command"):
            run(specs[:12], 2)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for repeat in range(args.repeats):
        for name, run in variants.items():
            times[name].append(run(specs, args.epochs))
        print(f"repeat {repeat + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in
                                                   times.items()), flush=True)
    print(f"\n{args.models} networks 2-16-1, batches of 32, {args.epochs} epochs, float64; "
          f"torch {torch.__version__ if torch else 'absent'} ({os.cpu_count()} cores)")
    print("| variant | median time | sweepnet / variant (paired) |")
    print("|---|---|---|")
    for name, values in times.items():
        ratio = statistics.median(s / v for s, v in zip(times["sweepnet"], values))
        print(f"| {name} | {statistics.median(values):.2f} s | {ratio:.2f} |")
    for name, reference in (("sweepnet_snapshots", "sweepnet"),
                            ("command", "command_no_snapshots")):
        if name in times:
            ratio = statistics.median(a / b for a, b in zip(times[name], times[reference]))
            print(f"{name} / {reference}, snapshots on / off (paired): {ratio:.3f}")
    if "command" in times and "bmm" in times:
        ratio = statistics.median(c / b for c, b in zip(times["command"], times["bmm"]))
        print(f"\nthe whole S3 command / the bmm loop's training alone: {ratio:.2f} "
              f"(target <= 1.0)")


if __name__ == "__main__":
    main()

"""The training loop, one for a model and for a stack: :func:`train`.

``Trainer.fit`` trains one model and returns its per-epoch history as a
DataFrame; :func:`fit_stack` trains several at once (:mod:`sweepnet.stacking`)
with the same loop, so early stopping, continued fits, validation,
divergence and interrupts work alike for both.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .errors import ShapeError
from .layers.activations import Softmax
from .layers.sequential import Sequential
from .losses import CrossEntropy, Loss
from .optimizers import Optimizer
from .schedules import Schedule
from .snapshots import Snapshots
from .stacking import Stack
from .stopping import EarlyStopping

OK, DIVERGED = "ok", "diverged"


def _non_negative(name: str, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


def check_output_layer(model: Sequential, loss: Loss) -> None:
    """Raise ``ValueError`` when the network's last layer cannot feed ``loss``.

    A loss on probabilities (``BCE``) needs a last layer whose ``outputs`` are
    ``"probabilities"`` (``Sigmoid``, ``Softmax``); a loss on logits
    (``BCEWithLogits``, ``CrossEntropy``) must not get outputs that were
    already squashed into probabilities.
    """
    last = model.layers[-1]
    name = type(loss).__name__
    squashed = getattr(last, "outputs", None) == "probabilities"
    if loss.expects == "probabilities" and not squashed:
        raise ValueError(
            f"{name} takes probabilities, but the network ends in {last!r}; end it with "
            "a Sigmoid (or Softmax), or use BCEWithLogits on the raw outputs"
        )
    if loss.expects == "logits" and squashed:
        raise ValueError(
            f"{name} takes logits, but the network ends in {last!r}, which squashes them "
            "into probabilities; remove that layer, or use BCE on probabilities"
        )


class Trainer:
    """Fit a :class:`~sweepnet.layers.Sequential` with a loss and an optimizer.

    Parameters
    ----------
    model : Sequential
        The network.
    loss : Loss
        A :mod:`~sweepnet.losses` loss.
    optimizer : Optimizer
        An :mod:`~sweepnet.optimizers` optimizer.
    batch_size : int or None, default=None
        Samples per update; ``None`` (or at least the number of samples) is
        full-batch gradient descent.
    shuffle : bool or "cumulative", default=True
        Mini-batches only. ``True``: every epoch takes a fresh permutation of
        the samples, ``rng.permutation(n)``. ``"cumulative"``: every epoch
        permutes the previous epoch's order, as a data loader that shuffles
        its dataset in place does (tutorial 001); the orders are as random,
        the draws differ. ``False``: the samples in the order given.
    seed : int, None, RandomState or Generator, default=0
        The generator of the batch orders: an integer seeds a generator of
        the trainer's own (``np.random.default_rng(seed)``: the same seed
        gives bit-identical histories); a ``RandomState`` or ``Generator`` is
        used as it is, e.g. the one that drew the model's initial weights, as
        in a script that calls ``np.random.seed`` once.
    drop_last : bool, default=False
        Drop the last mini-batch of an epoch when it is smaller than
        ``batch_size`` (PyTorch's ``DataLoader(drop_last=True)``); the epoch's
        loss is then the mean over the samples it trained on.
    early_stopping : EarlyStopping, optional
        Stop before ``epochs`` by scikit-learn's rule (see
        :mod:`sweepnet.stopping`); the history says when and why.
    alpha : float, default=0.0
        L2 penalty on the weights, scikit-learn's (:mod:`sweepnet.regularization`):
        the recorded loss is the penalized one, the validation loss is not.
    schedule : Schedule or str, default="constant"
        How the optimizer's rate changes between epochs (:mod:`sweepnet.schedules`:
        ``constant``, ``invscaling``, ``adaptive``); with a schedule that is not
        constant the history records each epoch's ``lr``.
    snapshots : Snapshots, "log", list of int or None, default=None
        Keep the weights at these epochs (:mod:`sweepnet.snapshots`; ``"log"``:
        a log-spaced set) in ``snapshots_``.

    Attributes
    ----------
    status_ : str
        ``"ok"``, or ``"diverged"`` when a non-finite loss stopped training.
    history_ : pandas.DataFrame
        The history returned by the last :meth:`fit`.
    order_ : ndarray or None
        With ``shuffle="cumulative"``: the order of the samples in the last
        epoch (``X[order_]`` is the data as that epoch's loader held it).
    samples_seen_ : int
        Training samples seen over every fit (``invscaling``'s ``t``).
    snapshots_ : dict of int to dict
        The weights kept at each snapshot epoch, as :meth:`Sequential.state_dict
        <sweepnet.layers.Sequential.state_dict>` (copies).
    """

    def __init__(self, model: Sequential, loss: Loss, optimizer: Optimizer,
                 batch_size: int | None = None, shuffle: bool | str = True, seed=0,
                 drop_last: bool = False, early_stopping: EarlyStopping | None = None,
                 alpha: float = 0.0, schedule: Schedule | str = "constant",
                 snapshots: Snapshots | str | Sequence[int] | None = None) -> None:
        if batch_size is not None and (
            not isinstance(batch_size, (int, np.integer)) or batch_size < 1
        ):
            raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
        if not isinstance(model, Sequential):
            model = Sequential(model)
        self.model, self.loss, self.optimizer = model, loss, optimizer
        if shuffle not in (True, False, "cumulative"):
            raise ValueError(f"shuffle must be True, False or 'cumulative', got {shuffle!r}")
        if drop_last not in (True, False):
            raise ValueError(f"drop_last must be True or False, got {drop_last!r}")
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = bool(drop_last)
        self.rng = seed if isinstance(seed, (np.random.RandomState, np.random.Generator)) \
            else np.random.default_rng(seed)
        self.order_: np.ndarray | None = None
        if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
            raise TypeError(f"early_stopping must be an EarlyStopping, got {early_stopping!r}")
        self.early_stopping = early_stopping
        self.alpha = _non_negative("alpha", alpha)
        self.schedule = schedule if isinstance(schedule, Schedule) else Schedule(schedule)
        if self.schedule.name == "adaptive" and early_stopping is None:
            raise ValueError("schedule='adaptive' divides the rate when the stopping rule "
                             "fires: give the trainer an EarlyStopping")
        self.snapshots = snapshots if snapshots is None or isinstance(snapshots, Snapshots) \
            else Snapshots(snapshots)
        self.snapshots_: dict[int, dict[str, np.ndarray]] = {}
        self.samples_seen_ = 0
        #: the optimizer's rate when training started (``invscaling``'s ``lr0``)
        self.lr_init_: float | None = None
        check_output_layer(model, loss)

    def prepare(self, X, y, what: str = "data",
                training: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Cast to the model's dtype and check every shape before training (and, for
        ``training`` data, that its batches hold samples)."""
        try:
            X = np.asarray(X, dtype=self.model.dtype)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{what}: features must be numeric ({error})") from None
        if X.ndim != 2 or X.shape[0] == 0:
            raise ShapeError(f"{what}: features must have shape (n_samples, n_features) with "
                             f"n_samples >= 1, got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError(f"{what}: features contain NaN or infinite values")
        y = np.asarray(y)
        if y.shape[:1] != X.shape[:1]:
            raise ShapeError(f"{what}: {X.shape[0]} samples of features but labels of shape "
                             f"{y.shape}")
        if training and self.drop_last and self.batch_size is not None and self.batch_size > len(X):
            raise ValueError(f"{what}: drop_last=True with batch_size={self.batch_size} above "
                             f"the {len(X)} samples would drop every sample (the one batch is "
                             f"smaller than batch_size): set drop_last=False or a batch_size "
                             f"of at most {len(X)}")
        with np.errstate(all="ignore"):  # only its shape counts (weights may be huge)
            n_outputs = self.model.forward(X[:1]).shape[-1]
        if n_outputs == 1 and isinstance(self.model.layers[-1], Softmax):
            raise ValueError("the network ends in a Softmax over a single output, which is "
                             "always 1: it can learn nothing; end it with a Sigmoid for one "
                             "output, or give it one output per class")
        return X, self.loss.prepare_targets(y, n_outputs).astype(X.dtype)

    def get_state(self) -> dict:
        """Everything a fit continues from, as plain data (str keys, arrays, numbers).

        ``weights`` (the model's :meth:`~sweepnet.layers.Sequential.state_dict`),
        ``optimizer`` (its state, keyed ``"<layer>.<name>"``), ``rng`` (the
        batch-order generator's state), ``order`` (the last epoch's order with
        ``shuffle="cumulative"``), ``stopping`` (early stopping's count, best value
        and best weights) and ``history`` (the epochs so far, column by column).
        :meth:`set_state` on a trainer built the same way continues exactly.
        """
        history = getattr(self, "history_", None)
        stopper = self.early_stopping
        rng = self.rng
        return {
            "weights": {k: v.copy() for k, v in self.model.state_dict().items()},
            "optimizer": {f"{i}.{name}": {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                          for k, v in entry.items()}
                          for (i, name), entry in self.optimizer.state.items()},
            "rng": (rng.bit_generator.state if isinstance(rng, np.random.Generator)
                    else rng.get_state(legacy=False)),
            "order": None if self.order_ is None else self.order_.copy(),
            "stopping": None if stopper is None else {
                "best": stopper.best, "count": stopper.count,
                "best_params": None if stopper.best_params is None else
                [{k: v.copy() for k, v in layer.items()} for layer in stopper.best_params]},
            "history": {} if history is None else
            {c: history[c].to_numpy() for c in history.columns},
            "schedule": {"seen": self.samples_seen_, "lr": float(self.optimizer.lr),
                         "lr_init": self.lr_init_},
            "snapshots": {str(epoch): {k: v.copy() for k, v in state.items()}
                          for epoch, state in self.snapshots_.items()},
        }

    def set_state(self, state: dict) -> None:
        """Continue from :meth:`get_state`'s data (see there); the next ``fit`` goes on."""
        import pandas as pd

        self.model.load_state_dict(state["weights"])
        self.optimizer.state = {
            (int(key.split(".", 1)[0]), key.split(".", 1)[1]):
                {k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v)
                 for k, v in entry.items()}
            for key, entry in state["optimizer"].items()}
        if isinstance(self.rng, np.random.Generator):
            self.rng.bit_generator.state = state["rng"]
        else:
            self.rng.set_state(state["rng"])
        self.order_ = None if state["order"] is None else np.array(state["order"])
        stopping = state.get("stopping")
        if stopping is not None and self.early_stopping is not None:
            self.early_stopping.best = stopping["best"]
            self.early_stopping.count = stopping["count"]
            self.early_stopping.best_params = stopping["best_params"]
        history = pd.DataFrame(state["history"])
        self.history_ = history
        self.status_ = OK
        schedule = state.get("schedule")
        if schedule is not None:
            self.samples_seen_ = int(schedule["seen"])
            self.optimizer.lr = float(schedule["lr"])
            self.lr_init_ = None if schedule["lr_init"] is None else float(schedule["lr_init"])
        self.snapshots_ = {int(epoch): {k: np.array(v, copy=True) for k, v in kept.items()}
                           for epoch, kept in (state.get("snapshots") or {}).items()}

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of the trained model: ``(n_samples, n_outputs)`` for the
        binary losses (``p`` of label 1 per output), softmax rows for ``CrossEntropy``."""
        X = self._features(X)
        return self.loss.probabilities(self.model.forward(X))

    def predict(self, X) -> np.ndarray:
        """Labels: ``0``/``1`` (one column per output; 1-D for one output) for the binary
        losses, class indices for ``CrossEntropy``; the outputs themselves for ``MSE``."""
        X = self._features(X)
        out = self.model.forward(X)
        if self.loss.accuracy(out[:1], out[:1]) is None:  # not a classifier: a regression
            return out[:, 0] if out.shape[1] == 1 else out
        proba = self.loss.probabilities(out)
        if isinstance(self.loss, CrossEntropy):
            return proba.argmax(axis=1)
        labels = (proba > 0.5).astype(np.int64)
        return labels[:, 0] if labels.shape[1] == 1 else labels

    def _features(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=self.model.dtype)
        if X.ndim != 2:
            raise ShapeError(f"features must have shape (n_samples, n_features), got {X.shape}")
        return X

    def step_bytes(self, n_samples: int, n_features: int) -> int:
        """About the memory one training step takes beyond the weights and the data::

            2 * rows * (n_features + sum of every layer's output width) * itemsize

        with ``rows`` the samples of a batch (all of them, full-batch): the
        forward pass keeps every layer's input for the backward pass, which makes
        a gradient of each (measured: 9.9 GB peak for this estimate's 9.3 GB).
        """
        rows = n_samples if self.batch_size is None else min(self.batch_size, n_samples)
        x = np.zeros((1, n_features), dtype=self.model.dtype)
        widths = n_features
        with np.errstate(all="ignore"):
            for layer in self.model.layers:
                x = layer.forward(x)
                widths += x.shape[-1]
        return 2 * rows * widths * np.dtype(self.model.dtype).itemsize

    def batch_slices(self, n: int) -> list[slice]:
        """Each mini-batch's rows of an epoch's (ordered) ``n`` samples."""
        size = self.batch_size
        if size is None or size >= n:
            return [slice(0, n)]
        stop = n - n % size if self.drop_last else n
        return [slice(i, min(i + size, n)) for i in range(0, stop, size)]

    def epoch_order(self, n: int) -> np.ndarray | None:
        """The order of the ``n`` samples for the next epoch (``None``: as given).

        Draws from the trainer's generator only for shuffled mini-batches.
        """
        if not self.shuffle or self.batch_size is None or self.batch_size >= n:
            return None
        order = self.rng.permutation(n)
        if self.shuffle == "cumulative":
            if self.order_ is None or len(self.order_) != n:
                self.order_ = np.arange(n)
            order = self.order_ = self.order_[order]
        return order

    def _batches(self, X, Y):
        order = self.epoch_order(X.shape[0])
        if order is not None:
            X, Y = X[order], Y[order]
        return [(X[s], Y[s]) for s in self.batch_slices(X.shape[0])]

    def fit(self, X, y, epochs: int, validation_data: tuple | None = None,
            on_epoch_end: Callable[[dict], None] | None = None):
        """Train for ``epochs`` more epochs and return the whole history.

        A second ``fit`` continues: the weights, the optimizer's state, the
        batch-order generator and early stopping's count go on (as scikit-learn's
        ``warm_start``), epochs are numbered on from the last one, and its rows
        are appended to ``history_``. The loop is :func:`train`'s, on a stack of
        this one model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Labels; class indices or one-hot rows for ``CrossEntropy``.
        epochs : int
        validation_data : (X_val, y_val), optional
            Evaluated after every epoch.
        on_epoch_end : callable, optional
            Called with each epoch's row (a dict), e.g. to report progress.

        Returns
        -------
        pandas.DataFrame
            One row per epoch: ``epoch``, ``loss`` (the sample-weighted mean of
            the mini-batch losses, each taken before its batch's update, as in
            scikit-learn's ``loss_curve_``; the sum with ``reduction="sum"``),
            ``val_loss`` and ``val_accuracy`` with validation data, and
            ``time`` (seconds of training). ``history.attrs["status"]`` is
            ``"ok"`` or ``"diverged"``; ``history.attrs["stopped"]`` is ``None``,
            or ``{"epoch": e, "reason": ...}`` when early stopping ended it.
        """
        data = (X, y) if validation_data is None else (X, y, *validation_data)
        report = None if on_epoch_end is None else (lambda models, rows: on_epoch_end(rows[0]))
        return fit_stack([self], [data], [epochs], report)[0]


def fit_stack(trainers: Sequence[Trainer], data: Sequence[tuple], epochs: Sequence[int],
              on_epoch_end: Callable[[list[int], list[dict]], Mapping[int, str] | None]
              | None = None) -> list:
    """Train every trainer's model, all at once, as each would be trained alone.

    Parameters
    ----------
    trainers : sequence of Trainer
        Trainers with equal :func:`~sweepnet.stacking.stack_key` (fresh, or all
        continuing earlier fits of the same parameters); one trainer trains
        alone whatever it holds.
    data : sequence of (X, y) or (X, y, X_val, y_val)
        Each model's training (and validation) data, as for ``Trainer.fit``;
        validation data for all models or for none. Models with identical
        features share one array.
    epochs : sequence of int
        Each model's number of epochs (more epochs, for a continued fit).
    on_epoch_end : callable, optional
        Called after every epoch with the indices of the trainers still training
        and their rows (the dicts ``Trainer.fit`` records). It may return
        ``{index: reason}``: those models stop now, as early stopping stops one
        (``history.attrs["stopped"]`` says the epoch and the reason).

    Returns
    -------
    list of pandas.DataFrame
        Each model's history, equal to what ``trainers[m].fit`` returns
        (``time`` is the stack's clock). On ``KeyboardInterrupt`` every
        model keeps its weights, optimizer state and the epochs it finished
        (``history_``), then the interrupt is raised again.
    """
    trainers = list(trainers)
    if len(epochs) != len(trainers):
        raise ValueError("fit_stack needs one data tuple and one epoch count per trainer")
    budgets = [int(e) if isinstance(e, (int, np.integer)) else e for e in epochs]
    if any(not isinstance(e, int) or e < 1 for e in budgets):
        raise ValueError(f"epochs must be positive integers, got {list(epochs)}")
    return train(Stack(trainers, data), np.array(budgets), on_epoch_end)


def train(stack: Stack, budgets: np.ndarray, on_epoch_end=None) -> list:
    """The training loop: every model of ``stack`` for its ``budgets`` more epochs.

    Each epoch, for every mini-batch: the models' losses before the update
    (a model whose loss is not finite is frozen for the rest of the epoch),
    backpropagation and the optimizer's step; then each model's row (its
    loss is the sample-weighted mean of its batch losses; validation loss and
    accuracy), ``on_epoch_end``, and the models that leave: diverged (a
    non-finite epoch loss), stopped early (their :class:`EarlyStopping`, or
    ``on_epoch_end``), or through their budget. See :func:`fit_stack`.
    """
    import pandas as pd

    trainers = stack.trainers
    previous = [getattr(t, "history_", None) for t in trainers]
    previous = [None if p is None or p.empty else p for p in previous]
    first = [1 if p is None else int(p["epoch"].iloc[-1]) + 1 for p in previous]
    offset = [0.0 if p is None else float(p["time"].iloc[-1]) for p in previous]
    stoppers = [t.early_stopping for t in trainers]
    for trainer, stopper, before in zip(trainers, stoppers, previous):
        if before is None:  # a fresh fit; a continued one goes on counting
            if stopper is not None:
                stopper.reset()
            trainer.samples_seen_, trainer.lr_init_ = 0, float(trainer.optimizer.lr)
            trainer.snapshots_ = {}
    scheduled = [not t.schedule.constant for t in trainers]
    kept = [t.snapshots for t in trainers]
    rows: list[list[dict]] = [[] for _ in trainers]
    statuses, stopped = [OK] * len(trainers), [None] * len(trainers)
    weight_by_size = stack.loss.reduction == "mean"
    seen = sum(s.stop - s.start for s in stack.slices) if weight_by_size else 1
    budgets = [int(b) for b in budgets]  # Python numbers: per-epoch work stays cheap
    start = time.perf_counter()
    try:
        # overflow in a diverging run is caught below as a non-finite loss
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            epoch = 0
            while stack.active.size:
                epoch += 1
                losses = stack.epoch(weight_by_size)
                active = stack.active.tolist()
                new_rows = _rows(stack, active, [total / seen for total in losses], epoch,
                                 first, offset, time.perf_counter() - start)
                _keep_snapshots(stack, active, new_rows, kept)
                for j, (i, row) in enumerate(zip(active, new_rows)):
                    rows[i].append(row)
                    trainers[i].samples_seen_ += stack.n_samples
                    if scheduled[i]:
                        row["lr"] = stack.lr_of(j)
                asked = on_epoch_end(active, new_rows) if on_epoch_end is not None else None
                done = []
                for j, (i, row) in enumerate(zip(active, new_rows)):
                    reason = None
                    if not math.isfinite(row["loss"]):
                        statuses[i] = DIVERGED
                    elif stoppers[i] is not None:
                        reason = _early_stop(stack, j, trainers[i], row)
                    if scheduled[i] and statuses[i] != DIVERGED and reason is None:
                        trainer = trainers[i]
                        stack.set_lr(j, trainer.schedule.after_epoch(
                            trainer.lr_init_, stack.lr_of(j), trainer.samples_seen_))
                    if reason is None and asked:
                        reason = asked.get(i)
                    if reason is not None:
                        stopped[i] = {"epoch": row["epoch"], "reason": reason}
                    done.append(statuses[i] == DIVERGED or reason is not None
                                or epoch >= budgets[i])
                if any(done):
                    stack.leave(np.array(done))
    except KeyboardInterrupt:
        if stack.active.size:
            stack.leave(np.ones(stack.active.size, dtype=bool))
        raise
    finally:
        histories = []
        for i, trainer in enumerate(trainers):
            history = pd.DataFrame(rows[i])
            if previous[i] is not None:
                history = pd.concat([previous[i], history], ignore_index=True)
            history.attrs["status"], history.attrs["stopped"] = statuses[i], stopped[i]
            trainer.status_, trainer.history_ = statuses[i], history
            histories.append(history)
    return histories


def _keep_snapshots(stack: Stack, active: list[int], rows: list[dict], kept: list) -> None:
    """The weights of the active models whose snapshot epochs include this one."""
    wanted = [j for j, (i, row) in enumerate(zip(active, rows))
              if kept[i] is not None and row["epoch"] in kept[i]]
    if wanted:
        for j, state in zip(wanted, stack.states_of(wanted)):
            stack.trainers[active[j]].snapshots_[rows[j]["epoch"]] = state


def _rows(stack: Stack, active: list[int], epoch_loss: list[float], epoch: int,
          first: list[int], offset: list[float], now: float) -> list[dict]:
    """This epoch's row of each active model (see :meth:`Trainer.fit`)."""
    rows = [{"epoch": first[i] + epoch - 1, "loss": float(value)}
            for i, value in zip(active, epoch_loss)]
    if stack.validating:
        val_loss, accuracy = stack.validate()
        for j, row in enumerate(rows):
            row["val_loss"] = float(val_loss[j])
            if accuracy is not None:
                row["val_accuracy"] = float(accuracy[j])
    for i, row in zip(active, rows):
        row["time"] = now + offset[i]
    return rows


def _early_stop(stack: Stack, j: int, trainer: Trainer, row: dict) -> str | None:
    """Update the ``j``-th active model's early stopping. When it fires, an ``adaptive``
    schedule lowers the rate and training goes on; otherwise, with the best epoch's
    weights kept (val_accuracy), they are put back. Returns why it stops, or None."""
    stopper = trainer.early_stopping
    reason = stopper.update(row)
    if stopper.improved and stopper.keeps_best:
        stopper.best_params = stack.params_of(j)
    if reason is not None:
        lower = trainer.schedule.on_stop(stack.lr_of(j))
        if lower is not None:
            stack.set_lr(j, lower)
            stopper.count = 0
            return None
    if reason is not None and stopper.keeps_best and stopper.best_params is not None:
        stack.set_params_of(j, stopper.best_params)  # scikit-learn keeps the best weights
    return reason


__all__ = ["Trainer", "check_output_layer", "fit_stack", "train"]

"""Watching the pipeline: one small interface for progress, logs and (next) pruning, trackers.

An :class:`Observer` is told when a stack starts training, after every epoch
(the runs still training and their rows; it may ask to stop some of them:
what a search's pruner does), and when a run is finished and recorded. The
pipeline calls every observer it is given, in order; none of them changes
what a run computes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from ..progress import Progress, duration

log = logging.getLogger("sweepnet")


class Observer:
    """What the pipeline tells whoever watches it; every method does nothing by default."""

    def stack_started(self, runs: Sequence) -> None:
        """A stack of ``runs`` (:class:`~sweepnet.runner.job.Run`) is about to train."""

    def epoch_ended(self, runs: Sequence, rows: Sequence[dict]) -> Mapping[int, str] | None:
        """An epoch ended for ``runs`` (the ones still training), ``rows[i]`` being
        ``runs[i]``'s. Return ``{i: reason}`` to stop ``runs[i]`` now (or None)."""
        return None

    def run_finished(self, run, record: dict) -> None:
        """``run`` is written and recorded (``record`` is its ``result.json``)."""


class TrainingProgress(Observer):
    """The progress line of a sweep: model-epochs trained out of all it will train."""

    def __init__(self, total: int) -> None:
        self.progress = Progress("training: model-epochs", total)
        self.stacks, self.size = 0, 0

    def stack_started(self, runs) -> None:
        self.stacks += 1
        self.size = len(runs)

    def epoch_ended(self, runs, rows):
        self.progress.done += len(runs)
        detail = f"stack {self.stacks}: {len(runs)} of {self.size} jobs training" \
            if self.size else ""
        self.progress.update(self.progress.done, detail)
        return None

    def close(self) -> None:
        """End the line with what was really trained (fewer after an interrupt)."""
        self.progress.close(self.progress.done)


class EpochLog(Observer):
    """A log line every ``every`` epochs of a single run (``trainer.log_every``)."""

    def __init__(self, every: int, epochs: int) -> None:
        self.every, self.epochs = every, epochs

    def epoch_ended(self, runs, rows):
        row = rows[0]
        epoch = row["epoch"]
        if self.every > 0 and (epoch % self.every == 0 or epoch == self.epochs):
            extra = "".join(f"  {k} {row[k]:.4f}" for k in ("val_loss", "val_accuracy")
                            if k in row)
            log.info(f"epoch {epoch:>{len(str(self.epochs))}}/{self.epochs}  loss "
                     f"{row['loss']:.6f}{extra}  ({duration(row['time'])})")
        return None


class StopAtEpochEnd(Observer):
    """Turns a stop request (Ctrl-C, SIGTERM: :attr:`requested`, set by the command's
    signal handler) into ``stop`` raised at the end of an epoch, where every run's
    state is whole and a checkpoint continues exactly."""

    def __init__(self) -> None:
        self.requested: BaseException | None = None

    def stack_started(self, runs) -> None:
        if self.requested is not None:  # the next stack does not start
            raise self.requested

    def epoch_ended(self, runs, rows):
        if self.requested is not None:
            raise self.requested
        return None

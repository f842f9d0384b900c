"""``hydra/sweeper=checked``: Hydra's basic sweeper, minus composing every job to check it.

Hydra's basic sweeper composes each job's config before launching it, to find
a bad one early (``validate_batch_is_legal``). The ``sweepnet`` command has
already composed, built and checked every job before Hydra starts
(:func:`sweepnet.runner.app.plan`), so this sweeper skips that second
composition for the jobs it checked, and validates any other job as the basic
sweeper does. Everything else (``hydra.sweeper.params``, ``max_batch_size``,
the job order) is the basic sweeper's.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore


@dataclass
class CheckedSweeperConf:
    _target_: str = "hydra_plugins.sweepnet_launcher.checked_sweeper.CheckedSweeper"
    max_batch_size: Optional[int] = None  # noqa: UP045 (Hydra's structured configs)
    params: Optional[dict[str, str]] = None  # noqa: UP045


ConfigStore.instance().store(group="hydra/sweeper", name="checked", node=CheckedSweeperConf,
                             provider="sweepnet")


class CheckedSweeper(BasicSweeper):
    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        from sweepnet.runner.stacked import checked

        unchecked = [job for job in batch if tuple(job) not in checked]
        if unchecked:
            super().validate_batch_is_legal(unchecked)

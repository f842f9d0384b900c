"""``hydra/launcher=stacked``: a sweep's jobs train together as numpy stacks.

sweepnet's default launcher for sweeps. Its config holds the options of
sweepnet's executors (:mod:`sweepnet.runner.executors`); the ``sweepnet``
command plans the sweep and runs it through its pipeline, so this module only
registers the launcher and its options with Hydra, on the model of Hydra's own
``hydra_joblib_launcher``. ``hydra/launcher=basic`` (or ``joblib``,
``submitit_*``) runs one job per call of Hydra's launcher instead.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


@dataclass
class StackedLauncherConf:
    _target_: str = "hydra_plugins.sweepnet_launcher.stacked_launcher.StackedLauncher"
    # worker processes for large stacks; null: the cores available (1: all in-process)
    workers: Optional[int] = None  # noqa: UP045 (Hydra's structured configs)
    # a stack is split across workers only into chunks of at least this many models
    min_models_per_worker: int = 32


ConfigStore.instance().store(group="hydra/launcher", name="stacked", node=StackedLauncherConf,
                             provider="sweepnet")


class StackedLauncher(Launcher):
    def __init__(self, workers: Optional[int] = None,  # noqa: UP045
                 min_models_per_worker: int = 32) -> None:
        self.workers, self.min_models_per_worker = workers, min_models_per_worker

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        pass

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        raise RuntimeError("the stacked launcher runs inside the sweepnet command "
                           "(sweepnet -m ...) or sweepnet.sweep(); under another Hydra app, "
                           "use hydra/launcher=basic")

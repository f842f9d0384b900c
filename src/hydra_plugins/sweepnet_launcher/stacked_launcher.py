"""``hydra/launcher=stacked``: a sweep's jobs train together as numpy stacks.

sweepnet's default launcher for sweeps (``hydra/launcher=basic`` runs one job
after the other instead). The work is done by :mod:`sweepnet.runner.stacked`;
this module only registers the launcher with Hydra, on the model of Hydra's
own ``hydra_joblib_launcher``.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


@dataclass
class StackedLauncherConf:
    _target_: str = "hydra_plugins.sweepnet_launcher.stacked_launcher.StackedLauncher"


ConfigStore.instance().store(group="hydra/launcher", name="stacked", node=StackedLauncherConf,
                             provider="sweepnet")


class StackedLauncher(Launcher):
    def __init__(self) -> None:
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        self.config = config
        self.task_function = task_function
        self.hydra_context = hydra_context

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        from sweepnet.runner.stacked import launch

        return launch(self, job_overrides, initial_job_idx)

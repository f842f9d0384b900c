"""``hydra/launcher=stacked``: a sweep's jobs train together as numpy stacks.

sweepnet's default launcher for sweeps. Its config holds the options of
sweepnet's executors (:mod:`sweepnet.runner.executors`; ``executor=submitit`` or
``ray``: :mod:`sweepnet.runner.distributed`); the ``sweepnet``
command plans the sweep and runs it through its pipeline, so this module only
registers the launcher and its options with Hydra, on the model of Hydra's own
``hydra_joblib_launcher``. ``hydra/launcher=basic`` (or ``joblib``,
``submitit_*``) runs one job per call of Hydra's launcher instead.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf


@dataclass
class StackedLauncherConf:
    _target_: str = "hydra_plugins.sweepnet_launcher.stacked_launcher.StackedLauncher"
    # where stacks train: local (this machine), submitit (a SLURM job array, or local
    # processes with cluster=local) or ray (Ray tasks)
    executor: str = "local"
    # local: worker processes for large stacks; null: the cores available (1: all
    # in-process). submitit, ray: the most tasks one stack is cut into; null: no limit
    workers: Optional[int] = None  # noqa: UP045 (Hydra's structured configs)
    # a stack is split across workers only into chunks of at least this many models
    min_models_per_worker: int = 32
    # submitit's options (executor=submitit), named as in Hydra's submitit launcher
    cluster: str = "slurm"  # slurm, or local: processes on this machine
    submitit_folder: Optional[str] = None  # noqa: UP045  null: <sweep dir>/.submitit/%j
    partition: Optional[str] = None  # noqa: UP045
    timeout_min: int = 60
    cpus_per_task: int = 1  # also each Ray task's CPUs (its BLAS threads)
    mem_gb: Optional[float] = None  # noqa: UP045
    account: Optional[str] = None  # noqa: UP045
    qos: Optional[str] = None  # noqa: UP045
    array_parallelism: int = 256
    # SLURM sends the warning signal (SIGUSR2) this long before the time limit: each task
    # then checkpoints its stack at the end of an epoch and requeues itself, at most
    # max_num_timeout times
    signal_delay_s: int = 120
    max_num_timeout: int = 3
    # more sbatch options, e.g. {mail-type:END,comment:lr}: an open dict (keys of any name)
    additional_parameters: Any = field(
        default_factory=lambda: OmegaConf.create({}, flags={"struct": False}))
    # Ray (executor=ray): auto, ray://host:10001 or host:6379; null: a local Ray cluster
    # started for the sweep with this machine's cores
    address: Optional[str] = None  # noqa: UP045


ConfigStore.instance().store(group="hydra/launcher", name="stacked", node=StackedLauncherConf,
                             provider="sweepnet")


class StackedLauncher(Launcher):
    def __init__(self, **options: Any) -> None:
        self.options = options

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        pass

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        raise RuntimeError("the stacked launcher runs inside the sweepnet command "
                           "(sweepnet -m ...) or sweepnet.sweep(); under another Hydra app, "
                           "use hydra/launcher=basic")

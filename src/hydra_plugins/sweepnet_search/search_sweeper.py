"""``hydra/sweeper=search``: Optuna trials trained as sweepnet stacks, pruned inside them.

This module only registers the sweeper and its options with Hydra (on the
model of Hydra's own sweeper plugins); the ``sweepnet`` command runs the search
itself (:mod:`sweepnet.runner.search`), so that a batch of trials is planned,
checked and trained like a grid's jobs. ``pip install "sweepnet[search]"``
installs Optuna.
"""

from dataclasses import dataclass
from typing import Any, Dict, List, Optional  # noqa: UP035 (Hydra's structured configs)

from hydra.core.config_store import ConfigStore
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


@dataclass
class SearchSweeperConf:
    _target_: str = "hydra_plugins.sweepnet_search.search_sweeper.SearchSweeper"
    n_trials: int = 20  # trials in all: a resumed search completes to this total
    sampler: str = "tpe"  # tpe, random, cmaes, grid, qmc
    seed: Optional[int] = 0  # noqa: UP045 - the sampler's seed (null: unseeded)
    direction: str = "minimize"  # or maximize
    objective: str = "${objective}"  # a summary metric (the root key objective by default)
    batch: int = 8  # trials asked at once, built and trained together as stacks
    pruner: str = "none"  # none, median, asha (successive halving), hyperband
    replicates: Optional[str] = None  # noqa: UP045 - KEY:COUNT, e.g. seed:5
    # the search space, as on the command line: {optimizer.lr: "tag(log, interval(0.01, 4))"}
    params: Optional[Dict[str, Any]] = None  # noqa: UP006, UP045


ConfigStore.instance().store(group="hydra/sweeper", name="search", node=SearchSweeperConf,
                             provider="sweepnet")


class SearchSweeper(Sweeper):
    def __init__(self, **options: Any) -> None:
        self.options = options

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        pass

    def sweep(self, arguments: List[str]) -> Any:  # noqa: UP006
        raise RuntimeError("the search sweeper runs inside the sweepnet command (sweepnet -m "
                           "hydra/sweeper=search ...)")

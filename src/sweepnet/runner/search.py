"""``hydra/sweeper=search``: Optuna trials trained as stacks, pruned inside the stack.

    sweepnet -m hydra/sweeper=search 'optimizer.lr=tag(log, interval(0.01, 4))' \\
        hydra.sweeper.n_trials=48 hydra.sweeper.batch=16 hydra.sweeper.pruner=asha

The search space is :mod:`sweepnet.runner.search_space`'s. The search asks
Optuna for ``batch`` trials at a time; each trial is one job per replicate
(``hydra.sweeper.replicates=seed:5``), and a batch's jobs are composed, built
and checked like a grid's, then trained by the pipeline, stacked where they
can share a stack. While they train, each trial reports its objective's
per-epoch value (the mean over its replicates) at the log-spaced epochs of
:data:`sweepnet.snapshots.LOG_EPOCHS`; when the pruner says so, the trial's
runs leave the stack there (status ``pruned``, the epoch in ``stopped``) and
the others go on with their own numbers. A finished trial is told its
objective: the mean over its replicates of the summary column
``hydra.sweeper.objective`` (a failed or diverged run fails its trial).

The study lives in the sweep directory (:data:`sweepnet.rundir.SEARCH_STUDY`,
Optuna's journal file: no server). The same command again continues it to
``n_trials`` in all: trials an interruption left running train on from their
runs' checkpoints, and finished ones are kept. Each run records its ``trial``;
the sweep's tables give it ``trial`` and ``state`` columns, and
``search_trials.csv`` one row per trial (:mod:`sweepnet.analysis.search`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from .. import rundir
from ..results import METRICS
from ..snapshots import LOG_EPOCHS
from .build import ConfigError
from .observers import Observer
from .search_space import SearchSpace, search_space

log = logging.getLogger("sweepnet")

SAMPLERS = ("tpe", "random", "cmaes", "grid", "qmc")
PRUNERS = ("none", "median", "asha", "hyperband")
DIRECTIONS = ("minimize", "maximize")
#: objective columns: the summary's metric columns (``final_val_loss``, ...)
OBJECTIVES = {column: (kind, metric) for column, kind, metric in METRICS}
#: the sweeper's options that define the search (a resume must not change them)
DEFINING = ("sampler", "seed", "direction", "objective", "pruner", "replicates", "params")


@dataclass
class Search:
    """A search's options, checked, and its space."""

    space: SearchSpace
    n_trials: int
    sampler: str
    seed: int | None
    direction: str
    objective: str
    batch: int
    pruner: str
    definition: dict  # what a resume must not change (:func:`definition`)

    @property
    def metric(self) -> str:
        """The history column the objective is read from while a run trains."""
        return OBJECTIVES[self.objective][1]


def searching(root: DictConfig) -> bool:
    """Whether the root config asks for this sweeper (``hydra/sweeper=search``)."""
    return str(root.hydra.runtime.choices.get("hydra/sweeper")) == "search"


def search_options(root: DictConfig, overrides: list[str]) -> Search:
    """The sweeper's options (``hydra.sweeper.*``) and space, checked: ConfigError names the
    key, the value and what is allowed."""
    options = OmegaConf.to_container(root.hydra.sweeper, resolve=True)

    def one_of(key, allowed):
        if options.get(key) not in allowed:
            raise ConfigError(f"hydra.sweeper.{key} must be one of {', '.join(allowed)}, got "
                              f"{options.get(key)!r}")
        return options[key]

    for key in ("n_trials", "batch"):
        value = options.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"hydra.sweeper.{key} must be a positive integer, got {value!r}")
    if options["objective"] not in OBJECTIVES:
        raise ConfigError(f"hydra.sweeper.objective must be a metric of the summary: "
                          f"{', '.join(OBJECTIVES)}; got {options['objective']!r}")
    sweeps = [o for o in overrides if not o.lstrip("+~").startswith("hydra")]
    space = search_space(sweeps, options.get("params"), options.get("replicates"))
    search = Search(space, options["n_trials"], one_of("sampler", SAMPLERS), options["seed"],
                    one_of("direction", DIRECTIONS), options["objective"], options["batch"],
                    one_of("pruner", PRUNERS), definition(root, overrides))
    _sampler(search)  # a grid over floats fails here, before anything runs
    return search


def first_trial(space: SearchSpace) -> list[str]:
    """A trial at every parameter's first value (the low end, the first choice), to check
    the fixed overrides before anything runs."""
    params = {}
    for key, distribution in space.distributions.items():
        choices = getattr(distribution, "choices", None)
        params[key] = choices[0] if choices is not None else distribution.low
    return space.overrides(params) + space.replicates()[0]


def definition(root: DictConfig, overrides: list[str]) -> dict:
    """What defines a search (a resume must ask for the same): the sweeper's options but
    ``n_trials`` and ``batch``, and the command's overrides but ``hydra.*`` ones."""
    options = OmegaConf.to_container(root.hydra.sweeper, resolve=True)
    return {**{key: options.get(key) for key in DEFINING},
            "overrides": sorted(o for o in overrides if not o.lstrip("+~").startswith(
                ("hydra", "resume=")))}


def check_same_search(sweep_dir: Path, search: Search) -> None:
    """Refuse a sweep directory that holds another search (or a grid): a resume must ask
    for the same space, fixed overrides, sampler, objective and pruner."""
    if not sweep_dir.is_dir():
        return
    if not (sweep_dir / rundir.SEARCH_STUDY).exists():
        if any(rundir.job_dirs(sweep_dir)):
            raise ConfigError(f"hydra.sweep.dir={sweep_dir} holds a sweep that is not a "
                              f"search; search into a new directory")
        return
    before = study(search, sweep_dir).user_attrs.get("search") or {}
    changed = [k for k in search.definition if before.get(k) != search.definition[k]]
    if changed:
        shown = ", ".join("the overrides" if k == "overrides" else f"hydra.sweeper.{k}"
                          for k in changed)
        raise ConfigError(f"hydra.sweep.dir={sweep_dir} holds another search ({shown} "
                          f"differ); continue it with the same command (hydra.sweeper."
                          f"n_trials may grow), or search into a new directory")


# --------------------------------------------------------------------------- Optuna


def _sampler(search: Search):
    import optuna

    seed = search.seed
    if search.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    if search.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if search.sampler == "qmc":
        return optuna.samplers.QMCSampler(seed=seed, warn_independent_sampling=False)
    if search.sampler == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    grid = {}
    for key, distribution in search.space.distributions.items():
        if hasattr(distribution, "choices"):
            grid[key] = list(distribution.choices)
        elif isinstance(distribution, optuna.distributions.IntDistribution):
            grid[key] = list(range(distribution.low, distribution.high + 1, distribution.step))
        else:
            raise ConfigError(f"hydra.sweeper.sampler=grid takes choice(...) and range(...) "
                              f"parameters; {key} is an interval of floats")
    return optuna.samplers.GridSampler(grid, seed=seed)


def _pruner(search: Search):
    import optuna

    return {"none": optuna.pruners.NopPruner, "median": optuna.pruners.MedianPruner,
            "asha": optuna.pruners.SuccessiveHalvingPruner,
            "hyperband": optuna.pruners.HyperbandPruner}[search.pruner]()


def study(search: Search, sweep_dir: Path):
    """The search's study, in the sweep directory's journal (created or continued)."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(sweep_dir / rundir.SEARCH_STUDY)))
    return optuna.create_study(study_name="sweepnet", storage=storage,
                               sampler=_sampler(search), pruner=_pruner(search),
                               direction=search.direction, load_if_exists=True)


class Pruning(Observer):
    """Reports each trial's objective at the log-spaced epochs (the mean over its replicates
    still training) and stops a trial's runs when the pruner says so."""

    def __init__(self, trial_of: dict[Path, object], metric: str) -> None:
        self.trial_of, self.metric = trial_of, metric

    def epoch_ended(self, runs, rows):
        by_trial: dict[int, tuple[object, list[int], list[float]]] = {}
        for i, (run, row) in enumerate(zip(runs, rows)):
            trial = self.trial_of.get(run.run_dir)
            if trial is None or row["epoch"] not in LOG_EPOCHS:
                continue
            entry = by_trial.setdefault(trial.number, (trial, [], []))
            entry[1].append(i)
            entry[2].append(float(row.get(self.metric, math.nan)))
        stop = {}
        for trial, members, values in by_trial.values():
            finite = [v for v in values if math.isfinite(v)]
            if not finite:
                continue
            trial.report(sum(finite) / len(finite), rows[members[0]]["epoch"])
            if trial.should_prune():
                stop.update(dict.fromkeys(members, "pruned"))
        return stop


def objective_of(search: Search, records: list[dict]):
    """A trial's state and value from its runs' records: pruned when a run was; failed when
    one failed, diverged or has no value; else the mean objective over its runs."""
    from optuna.trial import TrialState

    statuses = [r.get("status") for r in records]
    if rundir.PRUNED in statuses:
        return TrialState.PRUNED, None
    kind, metric = OBJECTIVES[search.objective]
    values = [(r.get(kind) or {}).get(metric) for r in records]
    if not records or any(s != rundir.OK for s in statuses) or any(
            v is None or not math.isfinite(v) for v in values):
        return TrialState.FAIL, None
    return TrialState.COMPLETE, sum(values) / len(values)


def run_search(plan, observers) -> None:
    """Ask, build, train and tell batches of trials until the study holds ``n_trials``
    (module docstring). A stop request (Ctrl-C) leaves the batch's trials running in the
    study and their runs with checkpoints: the same command continues them."""
    from optuna.trial import Trial, TrialState

    from . import pipeline
    from .compose import config_groups
    from .hydra_api import initialized
    from .plan import _build_jobs

    search: Search = plan.search
    the_study = study(search, plan.sweep_dir)
    if "search" not in the_study.user_attrs:
        the_study.set_user_attr("search", search.definition)
    replicates = search.space.replicates()
    groups, cache = config_groups(plan.config_dir), {}
    total = search.n_trials * len(replicates)
    while True:
        trials = the_study.get_trials(deepcopy=False)
        finished = sum(t.state.is_finished() for t in trials)
        running = [t for t in trials if t.state == TrialState.RUNNING]
        room = max(0, search.n_trials - finished - len(running))
        batch = [Trial(the_study, t._trial_id) for t in running[:search.batch]]
        batch += [the_study.ask(search.space.distributions)
                  for _ in range(min(search.batch - len(batch), room))]
        if not batch:
            return
        next_job = 1 + max((j for t in trials for j in t.user_attrs.get("jobs", ())),
                           default=-1)
        specs, trial_of, runs_of = [], {}, {}
        with initialized(plan.config_dir):
            for trial in batch:
                overrides = search.space.overrides(trial.params)
                jobs = trial.user_attrs.get("jobs") or list(
                    range(next_job, next_job + len(replicates)))
                try:
                    built = [_build_jobs([overrides + extra], plan.root, True,
                                         plan.config_name, groups, first=j,
                                         data_cache=cache)[0]
                             for j, extra in zip(jobs, replicates)]
                except ConfigError as error:  # the sampled values make no network
                    log.warning(f"trial {trial.number} ({' '.join(overrides)}): {error}")
                    the_study.tell(trial, state=TrialState.FAIL)
                    continue
                if "jobs" not in trial.user_attrs:
                    trial.set_user_attr("jobs", jobs)
                    next_job += len(replicates)
                for spec in built:
                    spec.record = {"trial": trial.number}
                    trial_of[spec.run_dir] = trial
                specs += built
                runs_of[trial.number] = (trial, len(built))
        log.info(f"search: trials {', '.join(str(n) for n in runs_of)} "
                 f"({len(specs)} jobs; {finished} of {search.n_trials} trials finished)")
        records = pipeline.run_jobs(specs, [*observers, Pruning(trial_of, search.metric)],
                                    total=total)
        at = 0
        for trial, count in runs_of.values():
            state, value = objective_of(search, records[at:at + count])
            at += count
            the_study.tell(trial, value, state=state) if state == TrialState.COMPLETE \
                else the_study.tell(trial, state=state)
            shown = f", {search.objective} {value:.6g}" if value is not None else ""
            log.info(f"trial {trial.number}: {state.name.lower()}{shown}")

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
from ..snapshots import LOG_EPOCHS
from .build import ConfigError
from .observers import Observer
from .search_space import SearchSpace, search_space

log = logging.getLogger("sweepnet")

SAMPLERS = ("tpe", "random", "cmaes", "grid", "qmc")
PRUNERS = ("none", "median", "asha", "hyperband")
DIRECTIONS = ("minimize", "maximize")
#: objective columns: the summary's metric columns (``final_val_loss``, ...), and where a
#: run's record keeps each
OBJECTIVES = {column: (kind, metric) for column, kind, metric in rundir.METRICS}


def objective_value(record: dict, objective: str) -> float:
    """A run's value of ``objective`` (a summary metric column) from its record; NaN when it
    has none (a failed run)."""
    kind, metric = OBJECTIVES[objective]
    value = (record.get(kind) or {}).get(metric)
    return math.nan if value is None else float(value)
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
    epochs: int = 1  # the trials' epoch budget (the most any trial trains): the pruner's scale

    def budget(self, epochs: int) -> int:
        """The trials' epoch budget: ``epochs`` (a trial's), or the top of a searched
        ``trainer.epochs``."""
        searched = self.space.distributions.get("trainer.epochs")
        return max(epochs, int(getattr(searched, "high", 0) or 0))

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
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise ConfigError("hydra/sweeper=search needs Optuna, which is not installed: "
                          "pip install 'sweepnet[search]'") from None
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
    """The pruner, on the scale of the trials' epochs (the first epochs are mostly noise):
    successive halving with rungs at 1/9 and 1/3 of the budget, the best third going on;
    Hyperband's brackets from 1/64 of the budget to all of it; the median rule after a
    tenth of it and five finished trials."""
    import optuna

    epochs = max(1, search.epochs)
    if search.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=epochs // 10)
    if search.pruner == "asha":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=max(1, round(epochs / 9)),
                                                      reduction_factor=3)
    if search.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=max(1, round(epochs / 64)),
                                              max_resource=epochs)
    return optuna.pruners.NopPruner()


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
    """Reports each trial's objective so far at the log-spaced epochs (the epoch's value of
    its metric, or for a ``best_`` objective the best value yet; the mean over its
    replicates still training) and stops a trial's runs when the pruner says so."""

    def __init__(self, trial_of: dict[Path, object], search: Search) -> None:
        self.trial_of, self.metric = trial_of, search.metric
        best = search.objective.startswith("best_")
        self.better = (max if self.metric.endswith("accuracy") else min) if best else None
        self.so_far: dict[Path, float] = {}

    def epoch_ended(self, runs, rows):
        by_trial: dict[int, tuple[object, list[int], list[float]]] = {}
        for i, (run, row) in enumerate(zip(runs, rows)):
            trial = self.trial_of.get(run.run_dir)
            if trial is None:
                continue
            value = float(row.get(self.metric, math.nan))
            if self.better is not None and math.isfinite(value):
                before = self.so_far.get(run.run_dir, value)
                value = self.so_far[run.run_dir] = self.better(before, value)
            if row["epoch"] not in LOG_EPOCHS:
                continue
            entry = by_trial.setdefault(trial.number, (trial, [], []))
            entry[1].append(i)
            entry[2].append(value)
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
    values = [objective_value(r, search.objective) for r in records]
    if not records or any(s != rundir.OK for s in statuses) or any(
            not math.isfinite(v) for v in values):
        return TrialState.FAIL, None
    return TrialState.COMPLETE, sum(values) / len(values)


def _build_batch(plan, search: Search, the_study, batch: list, next_job: int, groups: dict,
                 cache: dict) -> list[tuple]:
    """``(trial, its job specs)`` for the trials of ``batch`` whose jobs build; the others
    are told failed, with the message. New trials' jobs are numbered on from ``next_job``
    (recorded in the trial, so a resume finds them); all of them are composed in one go
    (the composition of a set of config choices is shared), a trial that fails alone."""
    from optuna.trial import TrialState

    from .plan import _build_jobs

    replicates = search.space.replicates()

    def build(trials, first):
        jobs = [search.space.overrides(t.params) + extra for t in trials for extra in replicates]
        specs = _build_jobs(jobs, plan.root, True, plan.config_name, groups, first=first,
                            data_cache=cache)
        return [specs[i * len(replicates):(i + 1) * len(replicates)] for i in range(len(trials))]

    def failed(trial, error):
        log.warning(f"trial {trial.number} "
                    f"({' '.join(search.space.overrides(trial.params))}): {error}")
        the_study.tell(trial, state=TrialState.FAIL)

    done = []
    for trial in [t for t in batch if "jobs" in t.user_attrs]:  # resumed: its own numbers
        try:
            done.append((trial, build([trial], trial.user_attrs["jobs"][0])[0]))
        except ConfigError as error:
            failed(trial, error)
    fresh = [t for t in batch if "jobs" not in t.user_attrs]
    try:
        groups_of = build(fresh, next_job) if fresh else []
        kept = list(zip(fresh, groups_of))
    except ConfigError:  # find the trials whose sampled values make no network
        kept = []
        for trial in fresh:
            try:
                kept.append((trial, build([trial], next_job + len(kept) * len(replicates))[0]))
            except ConfigError as error:
                failed(trial, error)
    for trial, specs in kept:
        trial.set_user_attr("jobs", [spec.index for spec in specs])
    return done + kept


def run_search(plan, observers) -> None:
    """Ask, build, train and tell batches of trials until the study holds ``n_trials``
    (module docstring). A stop request (Ctrl-C) leaves the batch's trials running in the
    study and their runs with checkpoints: the same command continues them."""
    from optuna.trial import Trial, TrialState

    from . import pipeline
    from .compose import config_groups
    from .hydra_api import initialized

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
        with initialized(plan.config_dir):
            built = _build_batch(plan, search, the_study, batch, next_job, groups, cache)
        specs, trial_of, runs_of = [], {}, {}
        for trial, trial_specs in built:
            for spec in trial_specs:
                spec.record = {"trial": trial.number}
                trial_of[spec.run_dir] = trial
            specs += trial_specs
            runs_of[trial.number] = (trial, len(trial_specs))
        log.info(f"search: trials {', '.join(str(n) for n in runs_of)} "
                 f"({len(specs)} jobs; {finished} of {search.n_trials} trials finished)")
        records = pipeline.run_jobs(specs, [*observers, Pruning(trial_of, search)],
                                    total=total)
        at = 0
        for trial, count in runs_of.values():
            state, value = objective_of(search, records[at:at + count])
            at += count
            if state == TrialState.COMPLETE:
                the_study.tell(trial, value)
            else:
                the_study.tell(trial, state=state)
            shown = f", {search.objective} {value:.6g}" if value is not None else ""
            log.info(f"trial {trial.number}: {state.name.lower()}{shown}")

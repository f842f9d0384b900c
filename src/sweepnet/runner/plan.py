"""A command turned into a :class:`Plan`: every job composed once, built and checked.

:func:`plan` does all the work a command does before anything trains, whatever
its flags (``-m`` anywhere, ``--config-dir``, ``--config-name``): it composes
the root config once, expands the sweep (Hydra's grid syntax,
``hydra.sweeper.params`` of presets included), composes and builds every job
(a bad override, a name that does not exist, a shape that does not fit: one
message, exit status 2), and checks the directories it will write. The plan is
an explicit object handed to whatever runs it (:mod:`sweepnet.runner.pipeline`):
nothing is left in module globals, ``sys.argv`` or the environment.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from ..progress import Progress
from ..stacking import stack_key
from . import checks
from .build import ConfigError, Experiment, build
from .compose import compose_config, compose_jobs, config_groups
from .hydra_api import initialized
from .search import check_same_search, first_trial, search_options, searching


@dataclass
class JobSpec:
    """One job of a plan: what defines it, where it writes, and its built experiment."""

    index: int  # the job's number: its directory's name in a sweep
    overrides: list[str]  # its task overrides, as typed (what result.json records)
    cfg: DictConfig  # its composed task config (no hydra node), data paths absolute
    run_dir: Path
    experiment: Experiment | None = None  # built and checked; rebuilt where it is None
    sweep_overrides: list[str] = field(default_factory=list)  # all, hydra.* ones included
    record: dict = field(default_factory=dict)  # added to its result.json (a search's trial)

    @property
    def label(self) -> str:
        return " ".join(self.overrides) or "(defaults)"

    def without_experiment(self) -> JobSpec:
        """The spec without its arrays, to send to another process (it builds its own)."""
        return JobSpec(self.index, self.overrides, self.cfg, self.run_dir, None,
                       self.sweep_overrides, self.record)


@dataclass
class Plan:
    """What a command runs: its jobs, checked, and where they write."""

    jobs: list[JobSpec]
    root: DictConfig  # the root config with its hydra node, composed once
    sweep_dir: Path | None  # None for a single run
    command: list[str] = field(default_factory=list)  # the arguments that run it again
    config_dir: str | None = None  # --config-dir: options added to sweepnet's configs
    config_name: str = "config"  # --config-name
    #: where the command started: relative paths in the config (``dataset.path``) mean
    #: the same file for every launcher, whatever ``hydra.job.chdir`` says
    start_dir: Path = field(default_factory=Path.cwd)
    #: ``hydra/sweeper=search``: the search (:class:`~sweepnet.runner.search.Search`); its
    #: jobs are planned batch by batch as it runs (``jobs`` is empty)
    search: object = None

    @property
    def typed_overrides(self) -> tuple[list[str], list[str]]:
        """The command's ``hydra.*`` overrides and its task overrides, as typed (sweeps
        included: ``optimizer.lr=0.1,1``), as Hydra records them in ``multirun.yaml``."""
        words = [w for i, w in enumerate(self.command) if w != "-m" and not (
            w in ("--config-dir", "--config-name") or i and self.command[i - 1] in (
                "--config-dir", "--config-name"))]
        task = _task(words)
        return [w for w in words if w not in task], task

    @property
    def sweeper(self) -> str:
        """The name of the sweeper option (``hydra/sweeper=NAME``): ``basic`` (sweepnet
        expands the grid), ``search`` (sweepnet's), or another package's (Hydra's Optuna
        sweeper), which samples the jobs itself."""
        return str(self.root.hydra.runtime.choices.get("hydra/sweeper") or "basic")

    @property
    def launcher(self) -> str:
        """The name of the launcher option that runs the jobs (``hydra/launcher=NAME``)."""
        return str(self.root.hydra.runtime.choices.get("hydra/launcher") or "stacked")


def parse_overrides(lines: list[str]) -> list:
    """Hydra's reading of ``key=value`` overrides; what it cannot read is a ConfigError."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        return OverridesParser.create().parse_overrides(lines)
    except HydraException as error:
        hint = _quoting_hint(lines)
        message = str(error).strip()
        raise ConfigError(f"{hint} (Hydra: {message.splitlines()[0]})" if hint else message) \
            from None
    except ValueError as error:  # Python's own limits, e.g. an integer of 5,000 digits
        raise ConfigError(f"an override could not be read: {error}".split("; use sys.")[0]) \
            from None


def _quoting_hint(lines: list[str]) -> str:
    """For an override the shell split at its spaces (``model.hidden=[32,`` then ``32]``):
    how to write it whole."""
    for i, line in enumerate(lines):
        _, _, value = line.partition("=")
        if value.count("[") > value.count("]") or value.count("{") > value.count("}"):
            whole = " ".join(lines[i:i + 2])
            return (f"the shell split {whole!r} at its space: quote it ('{whole}') or "
                    f"write it without spaces ({whole.replace(' ', '')})")
    return ""


def expand(overrides: list[str], params: dict | None) -> list[list[str]]:
    """The jobs of a sweep: the product of every swept override's values, in order.

    Hydra's basic sweeper's rule: ``hydra.sweeper.params`` (a preset's) first,
    then the command line; a key given twice keeps its place and its last value.
    """
    from hydra.errors import HydraException

    lines = [f"{k}={v}" for k, v in (params or {}).items()] + list(overrides)
    parsed = parse_overrides(lines)
    try:
        choices: dict[str, list[str]] = {}
        for override in parsed:
            key = override.get_key_element()
            if override.is_sweep_override():
                if not override.is_discrete_sweep():
                    raise ConfigError(
                        f"{override.input_line}: a grid takes lists, ranges and choices of "
                        f"values; {override.value_type.name.lower()} sweeps need a search")
                choices[key] = [f"{key}={v}" for v in override.sweep_string_iterator()]
            else:
                choices[key] = [f"{key}={override.get_value_element_as_str()}"]
    except HydraException as error:
        raise ConfigError(str(error).strip()) from None
    return [list(job) for job in itertools.product(*choices.values())]


def _absolute(directory) -> Path:
    """An output directory as an absolute path (${now:...} resolved): the same place
    whatever directory a launcher runs a job in (``hydra.job.chdir``)."""
    return Path(str(directory)).absolute()


def _task(job: list[str]) -> list[str]:
    """The overrides that define a job (what its record keeps): not ``hydra.*`` ones, and not
    ``resume=``, which says how to treat earlier results, not what the job computes."""
    return [o for o in job if not o.lstrip("+~").startswith(("hydra", "resume="))]


def plan(overrides: list[str], multirun: bool = False,
         config_dir: str | os.PathLike | None = None, config_name: str = "config") -> Plan:
    """Compose, build and check every job ``overrides`` ask for; train nothing.

    Raises :class:`ConfigError` (with the job's number in a sweep) for anything
    that would fail, before any directory is written.
    """
    from hydra.types import RunMode

    if config_dir is not None and not Path(config_dir).is_dir():
        raise ConfigError(f"--config-dir {config_dir}: no such directory")
    checks.refuse_code_overrides(list(overrides))
    parsed = parse_overrides(list(overrides))
    base = [o.input_line for o in parsed if not o.is_sweep_override()]
    with initialized(config_dir):
        root = compose_config(base, with_hydra=True, config_name=config_name)
        checks.refuse_code(root)
        multirun = multirun or root.hydra.mode == RunMode.MULTIRUN
        search = None
        foreign = multirun and str(root.hydra.runtime.choices.get("hydra/sweeper")) not in (
            "basic", "search", "None")
        if foreign:  # another package's sweeper samples the jobs as it runs (executors)
            jobs = []
        elif multirun and searching(root):
            search = search_options(root, list(overrides))
            (probe,) = _build_jobs([first_trial(search.space)], root, multirun, config_name,
                                   config_groups(config_dir))  # the fixed overrides, checked
            search.epochs = search.budget(probe.experiment.epochs)
            jobs = []
        elif multirun:
            jobs = expand(overrides, root.hydra.sweeper.get("params"))
        elif len(base) != len(overrides):
            sweeps = [o.input_line for o in parsed if o.is_sweep_override()]
            raise ConfigError(f"{' '.join(sweeps)} gives several values: add -m to sweep")
        else:
            jobs = [list(overrides)]
        checks.check_unique(jobs, list(overrides))
        specs = _build_jobs(jobs, root, multirun, config_name, config_groups(config_dir))
    sweep_dir = _absolute(root.hydra.sweep.dir) if multirun else None
    if foreign:
        checks.check_writable(sweep_dir, "hydra.sweep.dir")
        checks.check_sweep_dir(sweep_dir, [])
    elif search is not None:
        checks.check_writable(sweep_dir, "hydra.sweep.dir")
        checks.refuse_foreign(sweep_dir, "hydra.sweep.dir")
        check_same_search(sweep_dir, search)
    elif sweep_dir is not None:
        checks.check_report_roles(root, [spec.overrides for spec in specs])
        checks.check_writable(sweep_dir, "hydra.sweep.dir")
        checks.check_sweep_dir(sweep_dir, [spec.overrides for spec in specs])
    else:
        checks.check_writable(specs[0].run_dir, "hydra.run.dir")
        checks.check_run_dir(specs[0].run_dir, specs[0].overrides)
    checks.check_resume(specs)
    command = (["-m"] if multirun else []) + [
        o for o in overrides if not o.startswith("hydra.sweep.dir=")]
    if sweep_dir is not None:  # resolved (a ${now:...} in it included): the resume command
        command.append(f"hydra.sweep.dir={checks.shown(sweep_dir)}")
    if config_dir is not None:
        command = ["--config-dir", str(Path(config_dir).absolute()), *command]
    if config_name != "config":
        command = ["--config-name", config_name, *command]
    return Plan(specs, root, sweep_dir, command,
                None if config_dir is None else str(Path(config_dir).absolute()), config_name,
                search=search)


def _build_jobs(jobs: list[list[str]], root: DictConfig, multirun: bool,
                config_name: str, groups: dict[str, tuple[str, ...]], first: int = 0,
                data_cache: dict | None = None) -> list[JobSpec]:
    """Compose, check and build every job (jobs with equal data share its arrays), numbered
    from ``first``."""
    progress = Progress("checking the jobs before any runs:", len(jobs))
    configs = compose_jobs(jobs, config_name, groups)  # once per set of group choices
    specs, longest = [], None
    data_cache = {} if data_cache is None else data_cache
    sweep_dir = _absolute(root.hydra.sweep.dir) if multirun else None
    for i, job in enumerate(jobs, first):
        progress.update(i - first)
        task = _task(job)
        where = f"job {i} ({' '.join(task) or 'defaults'})" if multirun else "config"
        try:
            checks.check_group_choices(job, groups)
            cfg = next(configs)
            checks.absolute_paths(cfg)
            experiment = build(cfg, data_cache)
        except (ConfigError, OmegaConfBaseException) as error:
            raise ConfigError(f"{where}: {error}") from None
        run_dir = sweep_dir / str(i) if multirun else _absolute(root.hydra.run.dir)
        specs.append(JobSpec(i, task, cfg, run_dir, experiment, list(job)))
        if longest is None or experiment.epochs > longest[2]:
            longest = (where, cfg, experiment.epochs)
    progress.close()
    if longest is not None and longest[2] > checks.LONG_RUN_EPOCHS:
        checks.warn_long_run(*longest)
    return specs


def stack_group(experiment: Experiment) -> tuple | None:
    """What a job must share with others to train in one stack (``None``: alone).

    The trainer's :func:`~sweepnet.stacking.stack_key`, the data's shapes, and
    whether it continues an earlier fit (which parameters its optimizer holds).
    """
    trainer = experiment.trainer
    key = stack_key(trainer)
    if key is None:
        return None
    return (key, experiment.X_train.shape,
            None if experiment.X_val is None else experiment.X_val.shape,
            tuple(sorted(trainer.optimizer.state)))

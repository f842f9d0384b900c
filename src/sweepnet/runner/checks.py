"""The checks a plan makes before anything runs; each raises a :class:`ConfigError`.

Every one says what is wrong and what is allowed, and none writes anything:
a command that fails here leaves every directory as it was.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from omegaconf import DictConfig, ListConfig, OmegaConf

from .. import rundir
from ..rundir import clean_overrides, read_result
from .build import ConfigError, build, suggestion

#: the Hydra launchers and sweepers a sweepnet config may name (what Hydra instantiates)
LAUNCHERS = {
    "stacked": "hydra_plugins.sweepnet_launcher.stacked_launcher.StackedLauncher",
    "basic": "hydra._internal.core_plugins.basic_launcher.BasicLauncher",
    "joblib": "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher",
    "submitit_local": "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher",
    "submitit_slurm": "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher",
}
SWEEPERS = {"basic": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"}
#: keys through which Hydra's instantiate imports and calls code
CODE_KEYS = ("_target_", "_partial_", "_args_", "_recursive_", "_convert_")


def refuse_code(root: DictConfig) -> None:
    """Refuse a config that would make Hydra import and call arbitrary code.

    sweepnet's configs name components through the registry, never by import
    path. In the whole composed config (command line, config files, files
    reached through ``--config-dir`` or ``hydra.searchpath``), the only import
    paths allowed are Hydra's launcher and sweeper of :data:`LAUNCHERS` and
    :data:`SWEEPERS`, each at its own ``_target_``; Hydra callbacks never run.
    """
    allowed = {"hydra.launcher._target_": set(LAUNCHERS.values()),
               "hydra.sweeper._target_": set(SWEEPERS.values())}
    for key, value in _leaves(root):
        name = key.rsplit(".", 1)[-1]
        if name not in CODE_KEYS:
            continue
        if key in allowed and value in allowed[key]:
            continue
        where = key.rsplit(".", 1)[0]
        if key in allowed:
            options = ", ".join(n for n, t in {**LAUNCHERS, **SWEEPERS}.items()
                                if t in allowed[key])
            raise ConfigError(f"{key}={value}: sweepnet runs only known launchers and "
                              f"sweepers ({options}); choose one with "
                              f"hydra/{where.split('.')[-1]}=NAME")
        raise ConfigError(f"{where}: sweepnet's configs name components through the registry, "
                          f"never by import path; {name} cannot be set (found {key}={value!r})")
    if root.get("hydra") is not None and root.hydra.get("callbacks"):
        names = ", ".join(root.hydra.callbacks)
        raise ConfigError(f"hydra.callbacks ({names}): sweepnet runs no Hydra callbacks (they "
                          f"import code by path); its report is written after every sweep")


def refuse_code_overrides(overrides: list[str]) -> None:
    """Refuse a command-line override that sets an import path (swept ones included)."""
    for override in overrides:
        key = override.partition("=")[0]
        if any(part in key for part in CODE_KEYS):
            raise ConfigError(f"{override}: sweepnet's configs name components through the "
                              f"registry, never by import path; _target_ (and _partial_, "
                              f"_args_) cannot be set")


def _leaves(node, prefix: str = ""):
    """Every ``(dotted key, value)`` of a config, interpolations left unresolved."""
    if isinstance(node, (DictConfig, ListConfig)):
        node = OmegaConf.to_container(node, resolve=False)
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else ()
    for key, child in items:
        path = f"{prefix}{key}"
        if isinstance(child, (dict, list)):
            yield from _leaves(child, path + ".")
        else:
            yield path, child


def check_group_choices(job: list[str], groups: dict[str, tuple[str, ...]]) -> None:
    """Refuse a config group option that does not exist, optional groups included.

    Hydra drops an unknown option of an optional group (``experiment=lr_swep``)
    without a word and runs the defaults; this names it and what exists
    (``groups``: :func:`~sweepnet.runner.compose.config_groups`).
    """
    for override in job:
        key, sep, value = override.lstrip("+~").partition("=")
        if not sep or key not in groups:
            continue
        options = groups[key]
        if value not in options and value != "null":
            hint = suggestion(value, options, f"{key}=")
            raise ConfigError(f"{key}={value}: there is no {key} {value!r}{hint} "
                              f"(available: {', '.join(options)})")


def check_unique(jobs: list[list[str]], overrides: list[str]) -> None:
    """Refuse a sweep that lists a value twice, or changes the job subdirectories."""
    if len({tuple(sorted(job)) for job in jobs}) < len(jobs):
        raise ConfigError("the sweep lists a value twice (e.g. optimizer.lr=1,1): every "
                          "job would run twice into its own directory; list each "
                          "value once")
    if any(o.lstrip("+~").startswith("hydra.sweep.subdir") for o in overrides):
        raise ConfigError("hydra.sweep.subdir cannot be changed: sweepnet keeps one "
                          "directory per job number, so jobs never overwrite each other")


def check_report_roles(root: DictConfig, jobs: list[list[str]]) -> None:
    """Refuse ``report.x`` / ``hue`` / ``col`` that name no swept parameter, before any run."""
    import pandas as pd

    from ..analysis.groups import choose_roles
    from ..analysis.report import report_options
    from ..results import swept_parameters

    options = report_options(root)
    swept, values = swept_parameters(jobs)
    try:
        choose_roles(pd.DataFrame(values), swept,
                     **{k: options[k] for k in ("x", "hue", "col", "replicates")})
    except ValueError as error:
        raise ConfigError(str(error)) from None


#: more epochs than this get a warning with the estimated training time
LONG_RUN_EPOCHS = 100_000


def warn_long_run(where: str, cfg: DictConfig, epochs: int) -> None:
    """Say how long a very long run will take (timed on two epochs), without refusing it."""
    import time

    experiment = build(cfg)  # a build of its own: the job's is trained from scratch later
    start = time.perf_counter()
    experiment.trainer.fit(experiment.X_train, experiment.y_train, 2)
    per_epoch = (time.perf_counter() - start) / 2
    seconds = per_epoch * epochs
    took = f"{seconds / 3600:,.1f} hours" if seconds >= 3600 else f"{seconds / 60:,.1f} minutes"
    print(f"sweepnet: warning: {where} trains {epochs:,} epochs: about {took} at "
          f"{per_epoch * 1e3:.2f} ms per epoch", file=sys.stderr)


def shown(path: Path) -> str:
    """A path as a message shows it: relative to the current directory when inside it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def check_writable(directory: Path, key: str) -> None:
    """Refuse an output directory that is a file, lies under a file, or cannot be written."""
    for path in (directory, *directory.parents):
        if path.exists():
            if not path.is_dir():
                where = "is" if path == directory else f"lies under {shown(path)}, which is"
                raise ConfigError(f"{key}: {shown(directory)} {where} a file, not a directory; "
                                  f"choose another {key}")
            if not os.access(path, os.W_OK | os.X_OK):
                raise ConfigError(f"{key}: cannot write into {shown(path)} (permission denied); "
                                  f"choose another {key}")
            return


def check_run_dir(run_dir: Path, overrides: list[str]) -> None:
    """Refuse to run into a sweep's directory, or one that holds a run of other overrides."""
    if rundir.kind_of(run_dir) == rundir.SWEEP:
        raise ConfigError(f"{shown(run_dir)} is a sweep's directory; a single run cannot be "
                          f"written into it: choose a new hydra.run.dir")
    record = read_result(run_dir)
    if record is not None and record.get("overrides") != clean_overrides(overrides):
        raise ConfigError(
            f"{shown(run_dir)} holds a run of other overrides "
            f"({' '.join(record.get('overrides', []))}); choose a new hydra.run.dir"
        )


def check_sweep_dir(sweep_dir: Path, jobs: list[list[str]]) -> None:
    """Refuse to run into a run's directory, or a sweep directory of other jobs' results."""
    if rundir.kind_of(sweep_dir) == rundir.RUN:
        raise ConfigError(f"{shown(sweep_dir)} is a single run's directory (a sweep's job, or a "
                          f"run); a sweep cannot be written into it: choose a new "
                          f"hydra.sweep.dir")
    if sweep_dir.is_dir():
        extra = [p.name for p in sweep_dir.iterdir() if p.name.isdigit()
                 and int(p.name) >= len(jobs) and read_result(p) is not None]
        if extra:
            raise ConfigError(
                f"{shown(sweep_dir)} holds results of jobs {', '.join(sorted(extra, key=int))}, "
                f"which this sweep of {len(jobs)} job(s) does not have; it is another sweep's "
                f"directory: choose a new hydra.sweep.dir"
            )
    for i, job in enumerate(jobs):
        record = read_result(sweep_dir / str(i))
        if record is not None and record.get("overrides") != clean_overrides(job):
            raise ConfigError(
                f"{shown(sweep_dir / str(i))} holds a run of other overrides "
                f"({' '.join(record.get('overrides', []))}) than job {i} of this sweep "
                f"({' '.join(job)}); to resume a sweep, repeat its exact command, or choose "
                f"a new hydra.sweep.dir"
            )


def absolute_paths(cfg: DictConfig) -> None:
    """Make a dataset's relative ``path`` absolute (from the directory the command runs in),
    so a job reads the same file whichever launcher runs it, in whichever directory."""
    path = OmegaConf.select(cfg, "dataset.path", default=None)
    if isinstance(path, str) and path not in ("???", "") and not os.path.isabs(path):
        cfg.dataset.path = os.path.abspath(os.path.expanduser(path))

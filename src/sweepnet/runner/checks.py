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
from ..progress import duration
from ..rundir import clean_overrides, read_result
from .build import ConfigError, build, suggestion

#: the config groups whose option Hydra instantiates by its ``_target_``
INSTANTIATED = ("hydra/launcher", "hydra/sweeper")
#: keys through which Hydra's instantiate imports and calls code
CODE_KEYS = ("_target_", "_partial_", "_args_", "_recursive_", "_convert_")
#: logging configs (applied with ``logging.config.dictConfig`` by Hydra's launchers): the
#: handler classes they may name, and the streams
LOGGING = ("hydra.job_logging", "hydra.hydra_logging")
LOG_CLASSES = ("logging.", "logging.handlers.")
LOG_STREAMS = ("ext://sys.stdout", "ext://sys.stderr")


def shipped_code(group: str, option: str | None) -> dict | None:
    """The import keys (``_target_`` and the like, nested ones too: a sweeper's sampler) an
    installed package ships for ``group=option`` (Hydra's ConfigStore, where Hydra, sweepnet
    and the launcher and sweeper plugins register their options), by dotted key
    (``hydra.sweeper.sampler._target_``); None when no installed package ships it."""
    from hydra.core.config_store import ConfigStore

    if option is None:
        return None
    try:
        node = ConfigStore.instance().load(f"{group}/{option}.yaml")
    except Exception:  # not shipped by a package: a user's file, or nothing
        return None
    if node is None:
        return None
    prefix = group.replace("/", ".") + "."
    return {prefix + key: value for key, value in _leaves(node.node)
            if key.rsplit(".", 1)[-1] in CODE_KEYS}


def refuse_code(root: DictConfig) -> None:
    """Refuse a config that would make sweepnet or Hydra import and call code.

    sweepnet's configs name components through the registry, never by import
    path. In the whole composed config (command line, config files, files
    reached through ``--config-dir`` or ``hydra.searchpath``), an import path may
    only be what the launcher and sweeper chosen (and their nested options: a
    sweeper's sampler) set, exactly as the installed package that ships them sets
    it; Hydra callbacks never run, logging configs name only the standard
    library's handlers, and jobs get no environment variables set.
    """
    hydra = root.get("hydra") if isinstance(root, DictConfig) else None
    choices = dict(hydra.runtime.choices) if hydra is not None and "runtime" in hydra else {}
    shipped = {group: shipped_code(group, choices.get(group)) for group in INSTANTIATED}
    allowed = {}  # what the chosen options ship, their nested groups too (a sampler's)
    for group, option in choices.items():
        if group.startswith(INSTANTIATED):
            allowed.update(shipped_code(group, option) or {})
    for key, value in _leaves(root):
        name = key.rsplit(".", 1)[-1]
        if name not in CODE_KEYS:
            continue
        if key in allowed and value == allowed[key]:
            continue
        where = key.rsplit(".", 1)[0]
        group = where.replace(".", "/")
        if group in INSTANTIATED and name == "_target_":
            option = f"{group}={choices.get(group)}"
            why = (f"{option} is no option an installed package ships"
                   if shipped[group] is None else
                   f"an installed package ships {option} with _target_ {allowed.get(key)}; "
                   f"a config file of that name earlier in the search path replaced it")
            raise ConfigError(f"{key}={value}: {why}. sweepnet runs only the launchers and "
                              f"sweepers installed packages provide, as they ship them "
                              f"(hydra/launcher=stacked, basic, joblib, submitit_local, ...)")
        raise ConfigError(f"{where}: sweepnet's configs name components through the registry, "
                          f"never by import path; {name} cannot be set (found {key}={value!r})")
    if hydra is None:
        return
    if hydra.get("callbacks"):
        raise ConfigError(f"hydra.callbacks ({', '.join(hydra.callbacks)}): sweepnet runs no "
                          f"Hydra callbacks (they import code by path); its report is written "
                          f"after every sweep")
    for section in ("env_set", "env_copy"):
        if hydra.get("job", {}).get(section):
            raise ConfigError(f"hydra.job.{section}: sweepnet sets no environment variables "
                              f"for its jobs (they can change what a process loads); set them "
                              f"in your shell before the command")
    for key, value in _leaves(root):
        if not key.startswith(LOGGING):
            continue
        name = key.rsplit(".", 1)[-1]
        if name == "()" or (name == "class" and not str(value).startswith(LOG_CLASSES)) or (
                name == "stream" and value not in LOG_STREAMS):
            raise ConfigError(f"{key}={value!r}: Hydra's logging config may name only the "
                              f"standard library's handlers (class: logging.*) and streams "
                              f"({', '.join(LOG_STREAMS)}); it imports what it names")


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
    print(f"sweepnet: warning: {where} trains {epochs:,} epochs: about {duration(seconds)} at "
          f"{per_epoch * 1e3:.2f} ms per epoch", file=sys.stderr)


def shown(path: Path) -> str:
    """A path as a message shows it: relative to the current directory when inside it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def cut(text: str, longest: int = 200, total: int = 4000) -> str:
    """A message of readable length whatever the input: every word longer than ``longest``
    characters (a value typed or read) cut in its middle, the whole at most ``total``."""
    def word(w: str) -> str:
        if len(w) <= longest:
            return w
        return f"{w[:longest // 2]}...({len(w):,} characters)...{w[-longest // 4:]}"

    text = " ".join(word(w) for w in text.split(" "))
    return text if len(text) <= total else text[:total] + f"... ({len(text):,} characters)"


def os_error(error: OSError) -> str:
    """What an OSError means for the user, naming the path."""
    import errno

    what = {errno.ENOSPC: "the disk is full", errno.EACCES: "permission denied",
            errno.EROFS: "the file system is read-only",
            errno.ENAMETOOLONG: "a file or folder name is longer than the file system allows "
                                "(255 bytes)"}.get(error.errno, error.strerror or str(error))
    return f"{what}: {shown(Path(error.filename))}" if error.filename else what


def check_writable(directory: Path, key: str) -> None:
    """Refuse an output directory that is a file, lies under a file, cannot be written, or
    whose name the file system cannot hold."""
    too_long = [part for part in directory.parts if len(part.encode()) > 255]
    if too_long:
        raise ConfigError(f"{key}: a folder name of {len(too_long[0].encode())} bytes "
                          f"({cut(too_long[0], 60)}) is longer than the file system allows "
                          f"(255); choose a shorter {key}")
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


def refuse_foreign(directory: Path, key: str) -> None:
    """Refuse a directory that holds files sweepnet did not write (``rundir.foreign``)."""
    stranger = rundir.foreign(directory)
    if stranger is not None:
        raise ConfigError(f"{key}: {shown(directory)} holds {shown(stranger)}, which sweepnet "
                          f"did not write (no {rundir.MARKER} marker); nothing is written into "
                          f"it: choose another {key}, or empty it")


def check_run_dir(run_dir: Path, overrides: list[str]) -> None:
    """Refuse to run into a sweep's directory, one of files sweepnet did not write, or one
    that holds a run of other overrides."""
    refuse_foreign(run_dir, "hydra.run.dir")
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
    """Refuse to run into a run's directory, one of files sweepnet did not write (the sweep's
    or a job's), or a sweep directory of other jobs' results."""
    refuse_foreign(sweep_dir, "hydra.sweep.dir")
    for i in range(len(jobs)):
        refuse_foreign(sweep_dir / str(i), "hydra.sweep.dir")
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


def check_resume(specs) -> None:
    """Refuse to continue jobs whose config changed since they trained (``resume=continue``):
    a finished or interrupted job of the same overrides, trained with another config (a
    config file edited between the runs), names the keys that differ; ``resume=restart``
    trains every job again instead."""
    from .job import config_changes, config_digest

    for spec in specs:
        record = read_result(spec.run_dir)
        if record is None or spec.cfg.get("resume") == "restart" or record.get(
                "overrides") != clean_overrides(spec.overrides) or record.get("config") in (
                None, config_digest(spec.cfg)):
            continue
        changes = "; ".join(config_changes(spec.run_dir, spec.cfg))
        raise ConfigError(f"{shown(spec.run_dir)} was trained with another config than this "
                          f"command composes ({changes}): continuing would mix the two; "
                          f"undo the change, choose a new directory, or pass resume=restart "
                          f"to train every job again")


def absolute_paths(cfg: DictConfig) -> None:
    """Make a dataset's relative ``path`` absolute (from the directory the command runs in),
    so a job reads the same file whichever launcher runs it, in whichever directory."""
    path = OmegaConf.select(cfg, "dataset.path", default=None)
    if isinstance(path, str) and path not in ("???", "") and not os.path.isabs(path):
        cfg.dataset.path = os.path.abspath(os.path.expanduser(path))

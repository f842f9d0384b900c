"""The work of the ``stacked`` launcher: train a sweep's jobs in stacks.

Jobs whose networks differ only in what the engine can stack (learning rate,
momentum, weight decay, Adam's betas and eps, seeds, data seeds, epochs; see
:func:`sweepnet.stacking.stack_key`) train together as one
:func:`~sweepnet.stacking.fit_stack` pass; the others form their own
stacks. Every job's run directory is written as the one-by-one path writes it
(:func:`~sweepnet.runner.job.finish_run`), with Hydra's ``.hydra/`` record, so
resume, ``sweepnet-report`` and ``sweepnet.results.load`` see no difference.

``sweepnet`` checks every job before any runs (:func:`sweepnet.runner.app.plan`)
and leaves the composed configs and built experiments in :data:`planned`, so
the launcher neither composes nor builds a job a second time.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import rundir
from ..stacking import stack_key
from ..training import DIVERGED, fit_stack
from .build import build
from .job import Run, finish_run, keep_interrupted, start_run
from .progress import Progress

log = logging.getLogger("sweepnet")

#: task overrides of a job -> (its composed task config, its built experiment)
planned: dict[tuple[str, ...], tuple[Any, Any]] = {}

#: task overrides of the jobs ``sweepnet`` checked before Hydra started (any launcher)
checked: set[tuple[str, ...]] = set()


#: the fields of Hydra's ``hydra.yaml`` that differ from job to job
_JOB_FIELDS = (("job", "num"), ("job", "id"), ("overrides", "task"),
               ("job", "override_dirname"), ("runtime", "output_dir"))


@functools.cache
def _yaml_dumper():
    """OmegaConf's YAML dumper (its quoting of strings that read as numbers or booleans),
    on libyaml's emitter when PyYAML has it: the same text, ~4x faster."""
    import yaml
    from omegaconf._utils import OmegaConfDumper, get_omega_conf_dumper

    if not getattr(yaml, "__with_libyaml__", False):
        return get_omega_conf_dumper()

    class Dumper(yaml.CDumper):
        pass

    Dumper.add_representer(str, OmegaConfDumper.str_representer)
    return Dumper


def _yaml_text(container) -> str:
    """``OmegaConf.to_yaml`` of a plain container, as Hydra writes ``.hydra/`` files."""
    import yaml

    return yaml.dump(container, Dumper=_yaml_dumper(), default_flow_style=False,
                     allow_unicode=True, sort_keys=False)


class HydraRecord:
    """Hydra's ``.hydra/`` record of each job (config.yaml, hydra.yaml, overrides.yaml).

    ``hydra.yaml`` is the sweep's Hydra config with the job's number,
    overrides and directory: rendered once with placeholders, then filled in
    per job (rendering it per job cost ~30 ms, most of a small job's time).
    """

    def __init__(self, master) -> None:
        from omegaconf import OmegaConf

        hydra = OmegaConf.to_container(master.hydra, resolve=False)
        for section, key in _JOB_FIELDS:
            hydra[section][key] = f"__sweepnet_{key}__"
        self.template = OmegaConf.to_yaml(OmegaConf.create({"hydra": hydra}))

    @staticmethod
    def _yaml(key: str, value, indent: str) -> str:
        text = _yaml_text({key: value})
        return "".join(indent + line for line in text.splitlines(keepends=True)).rstrip("\n")

    def hydra_yaml(self, idx: int, overrides: list[str], run_dir: Path) -> str:
        values = {"num": idx, "id": str(idx), "task": list(overrides),
                  "override_dirname": ",".join(sorted(overrides)),
                  "output_dir": str(run_dir.absolute())}
        lines = self.template.splitlines(keepends=True)
        for i, line in enumerate(lines):
            if "__sweepnet_" in line:
                key = line.split(":")[0].strip()
                indent = line[:len(line) - len(line.lstrip())]
                lines[i] = self._yaml(key, values[key], indent) + "\n"
        return "".join(lines)

    def write(self, run_dir: Path, cfg, idx: int, overrides: list[str]) -> None:
        from omegaconf import OmegaConf

        record = run_dir / ".hydra"
        record.mkdir(parents=True, exist_ok=True)
        config = OmegaConf.to_container(cfg, resolve=False, enum_to_str=True)
        for name, text in (("config.yaml", _yaml_text(config)),
                           ("hydra.yaml", self.hydra_yaml(idx, overrides, run_dir)),
                           ("overrides.yaml", _yaml_text(list(overrides)))):
            rundir.write_atomic(record / name, lambda path, text=text: path.write_text(text))


@contextmanager
def _job_log(run: Run, name: str) -> Iterator[None]:
    """Also log into the job's own ``<name>.log``, as Hydra's job logging does one by one."""
    handler = logging.FileHandler(run.run_dir / f"{name}.log")
    handler.setFormatter(logging.Formatter("[%(asctime)s][%(name)s][%(levelname)s] - "
                                           "%(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()


def launch(launcher, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> list:
    """Run ``job_overrides`` as Hydra's launchers do, returning one ``JobReturn`` per job."""
    from hydra.core.utils import (
        JobReturn,
        JobStatus,
        configure_log,
        filter_overrides,
        setup_globals,
    )
    from omegaconf import OmegaConf

    setup_globals()
    config = launcher.config
    configure_log(config.hydra.hydra_logging, config.hydra.verbose)
    sweep_dir = Path(str(config.hydra.sweep.dir))
    sweep_dir.mkdir(parents=True, exist_ok=True)
    total = os.environ.get("SWEEPNET_SWEEP_SIZE", str(len(job_overrides)))
    log.info(f"Launching {len(job_overrides)} jobs, stacked")
    runs: list[Run | dict] = []
    returns = []
    record = HydraRecord(config)
    for offset, overrides in enumerate(job_overrides):
        idx = initial_job_idx + offset
        overrides = list(overrides)
        cfg, experiment = planned.pop(tuple(overrides), (None, None))
        if cfg is None:  # not checked by `sweepnet` (another entry point): compose here
            sweep_config = launcher.hydra_context.config_loader.load_sweep_config(
                config, overrides)
            cfg = OmegaConf.masked_copy(sweep_config, [k for k in sweep_config
                                                       if k != "hydra"])
        run_dir = sweep_dir / str(idx)
        label = f"job {idx + 1}/{total}"
        log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
        run = start_run(cfg, run_dir, overrides, label)
        if isinstance(run, Run):
            record.write(run_dir, cfg, idx, overrides)
            run.experiment = experiment
        runs.append(run)
        ret = JobReturn(overrides=overrides, cfg=cfg, working_dir=os.getcwd(),
                        task_name=config.hydra.job.name)
        returns.append(ret)
    records = train(runs, str(config.hydra.job.name))
    for ret, record in zip(returns, records):
        ret.status = JobStatus.COMPLETED
        ret.return_value = record
    return returns


def train(runs: list[Run | dict], log_name: str = "sweepnet") -> list[dict]:
    """Train the runs (a finished run's record stands for itself) in stacks; their records.

    Runs are grouped by :func:`~sweepnet.stacking.stack_key` and data shape, in
    the order of their first job. On ``KeyboardInterrupt`` the stack in
    training keeps what it trained (status ``interrupted``); later stacks are
    left untouched for a resume.
    """
    pending = [run for run in runs if isinstance(run, Run)]
    for run in pending:
        if run.experiment is None:
            try:
                run.experiment = build(run.cfg)
            except Exception as error:  # recorded as the job's failure
                with _job_log(run, log_name):
                    finish_run(run, error=error)
    stacks: dict[Any, list[Run]] = {}
    for run in pending:
        if run.experiment is None:
            continue
        e = run.experiment
        key = stack_key(e.trainer)
        if key is not None:
            key = (key, e.X_train.shape, None if e.X_val is None else e.X_val.shape)
        stacks.setdefault(key if key is not None else id(run), []).append(run)
    work = sum(run.experiment.epochs for stack in stacks.values() for run in stack)
    progress = Progress("training: model-epochs", work)
    queue = list(stacks.values())
    number = 0
    while queue:
        stack = queue.pop(0)
        number += 1
        label = f"stack {number}/{number + len(queue)}"
        try:
            _train_stack(stack, progress, label, log_name)
        except _StackFailed as failed:  # one job's error must not fail the others
            log.warning(f"{label} failed ({failed.error}); training its {len(stack)} jobs "
                        f"one by one")
            for run in stack:
                run.experiment = build(run.cfg)  # fresh: weights, generators, optimizer
                progress.total += run.experiment.epochs
            queue[:0] = [[run] for run in stack]
    progress.close()
    return [run.record if isinstance(run, Run) else run for run in runs]


class _StackFailed(Exception):
    def __init__(self, error: Exception) -> None:
        self.error = error


def _train_stack(stack: list[Run], progress: Progress, label: str, log_name: str) -> None:
    """Train one stack and write its runs; a failing stack of several raises _StackFailed."""
    rows: dict[int, list[dict]] = {i: [] for i in range(len(stack))}

    def on_epoch_end(models, new_rows):
        progress.done += len(models)
        for m, row in zip(models, new_rows):
            rows[m].append(row)
        progress.update(progress.done, f"{label}: {len(models)} of {len(stack)} jobs "
                                       f"training, epoch {new_rows[0]['epoch']}")

    experiments = [run.experiment for run in stack]
    data = [(e.X_train, e.y_train, e.X_val, e.y_val) for e in experiments]
    start = time.perf_counter()
    try:
        histories = fit_stack([e.trainer for e in experiments], data,
                              [e.epochs for e in experiments], on_epoch_end)
    except KeyboardInterrupt:
        progress.close()
        for i, run in enumerate(stack):
            trainer = run.experiment.trainer
            with _job_log(run, log_name):
                if trainer.status_ == DIVERGED or len(rows[i]) >= run.experiment.epochs:
                    finish_run(run, trainer.history_)  # it had left the stack, finished
                else:
                    keep_interrupted(run, rows[i])
        raise
    except Exception as error:
        if len(stack) > 1:
            raise _StackFailed(error) from error
        with _job_log(stack[0], log_name):
            finish_run(stack[0], error=error)
        return
    elapsed = time.perf_counter() - start
    for run, history in zip(stack, histories):
        run.start = time.perf_counter() - elapsed  # the stack's wall time
        with _job_log(run, log_name):
            finish_run(run, history)

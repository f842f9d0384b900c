"""Compose the config of every job of a sweep, once per set of config-group choices.

Hydra builds a config in two steps: it composes the defaults list (the
config-group choices such as ``optimizer=adam`` or ``experiment=lr_sweep``),
then applies the value overrides (``optimizer.lr=0.5``, ``seed=3``) to the
result. The jobs of a sweep mostly differ in values only, so the first step,
which costs ~0.15 s, is done once per distinct set of group choices, and the
second is applied to a copy for each job with Hydra's own override code. The
configs equal composing every job from scratch (``tests/test_compose.py``).
"""

from __future__ import annotations

import copy
import functools
import os
import re
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from .build import ConfigError
from .hydra_api import apply_overrides


def epochs_for_budget(budget, lr) -> int:
    """``round(budget / lr)`` epochs: the same ``lr * epochs`` for every learning rate."""
    try:
        ok = float(lr) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"the epoch budget needs a positive optimizer.lr, got {lr!r}")
    return max(1, round(float(budget) / float(lr)))


def components() -> str:
    """The registered component names by kind, one line each (``sweepnet --help``)."""
    from ..registry import REGISTRIES

    return "\n".join(f"  {kind + ':':11s} {', '.join(registry.names())}"
                     for kind, registry in REGISTRIES.items())


def register_resolvers() -> None:
    """The config resolvers sweepnet's presets use, registered in every process that
    composes or builds a job's config (the command's, a worker's, a cluster task's), and
    the one ``sweepnet --help`` lists the components with."""
    OmegaConf.register_new_resolver("epochs_for_budget", epochs_for_budget, replace=True)
    OmegaConf.register_new_resolver("sweepnet_components", components, replace=True)


register_resolvers()


@functools.cache
def _package_groups() -> dict[str, tuple[str, ...]]:
    """sweepnet's own config groups: the YAML files shipped in ``sweepnet/conf`` (read once
    per process)."""
    return _groups_in(files("sweepnet.conf"))


def _groups_in(folder) -> dict[str, tuple[str, ...]]:
    return {group.name: tuple(sorted(f.name[:-5] for f in group.iterdir()
                                     if f.name.endswith(".yaml")))
            for group in folder.iterdir() if group.is_dir() and not group.name.startswith("_")}


def config_groups(config_dir: str | os.PathLike | None = None) -> dict[str, tuple[str, ...]]:
    """The config groups and their options: sweepnet's, and those of ``config_dir``
    (``--config-dir``) added to them."""
    groups = dict(_package_groups())
    if config_dir is not None:
        for name, options in _groups_in(Path(config_dir)).items():
            groups[name] = tuple(sorted(set(groups.get(name, ())) | set(options)))
    return groups


def _needs_compose(override, groups) -> bool:
    """Whether an override changes the defaults list (or Hydra's own node)."""
    key = override.key_or_group
    return (key.split("/")[0] in groups or key.startswith("hydra") or "/" in key
            or override.package is not None)


def compose_config(overrides: list[str], with_hydra: bool = False,
                   config_name: str = "config") -> DictConfig:
    """``hydra.compose`` of the root config, Hydra's errors as :class:`ConfigError`.

    Must be called inside :func:`sweepnet.runner.hydra_api.initialized`.
    """
    from hydra import compose
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        return compose(config_name, overrides=overrides, return_hydra_config=with_hydra)
    except HydraException as error:
        raise ConfigError(explained(error, overrides, config_name)) from None
    except OmegaConfBaseException as error:  # a merge OmegaConf itself cannot do
        raise ConfigError(f"{getattr(error, 'full_key', '') or 'an override'}: "
                          f"{str(error).strip().splitlines()[0]}") from None


_NOT_IN_STRUCT = re.compile(r"Could not override '([^']+)'")
_NO_OPTION = re.compile(r"In '[^']*': Could not find '([^']+)/([^'/]+)'")


def explained(error: BaseException, overrides: list[str], config_name: str = "config") -> str:
    """Hydra's message, or, where it would lead astray, one that leads to the right key or
    option in one step.

    - A key the config does not have (``trainer.epoch=5``; Hydra suggests
      ``+trainer.epoch=5``): the key meant (``trainer.epochs``), or the option of the
      group that has it (``optimizer.momentum`` with ``optimizer=adam``: ``sgd`` has it),
      and the keys there are.
    - An option a group does not have (``optimizer=Adam``): the one meant, any case.
    """
    message = _with_cause(error)
    missing = _NOT_IN_STRUCT.match(str(error).strip())
    if missing is not None and "not in struct" in message:
        return _unknown_key(missing.group(1), overrides, config_name) or message
    option = _NO_OPTION.match(str(error).strip())
    if option is not None:
        from ..registry import close_name

        group, name = option.groups()
        options = config_groups().get(group, ())
        if not options:  # Hydra's own groups (hydra/launcher) or --config-dir's: its list
            return message
        close = close_name(name, options)
        hint = f"; did you mean {group}={close}?" if close else ""
        return f"{group}={name}: no such option{hint} (options: {', '.join(options)})"
    return message


def _unknown_key(key: str, overrides: list[str], config_name: str) -> str | None:
    """What to say of ``key``, which the composed config does not have (None: Hydra's)."""
    from hydra import compose

    from ..registry import close_name

    parent, _, leaf = key.lstrip("+~").rpartition(".")
    rest = [o for o in overrides if o.split("=", 1)[0].lstrip("+~") != key]
    try:
        cfg = compose(config_name, overrides=rest, return_hydra_config=True)
    except Exception:  # noqa: BLE001 - the other overrides fail too: Hydra's message says so
        return None
    node = OmegaConf.select(cfg, parent) if parent else cfg
    while parent and node is None:  # trainer.foo.bar: trainer has no foo
        key = parent
        parent, _, leaf = parent.rpartition(".")
        node = OmegaConf.select(cfg, parent) if parent else cfg
    if not isinstance(node, DictConfig):
        return None
    keys = [str(k) for k in node if k != "hydra"]
    where = f"{parent}." if parent else ""
    close = close_name(leaf, keys)
    if close is not None:
        return (f"{key} is not a key of {parent or 'the config'}: did you mean "
                f"{where}{close}? (its keys: {', '.join(keys)})")
    chosen = cfg.hydra.runtime.choices.get(parent) if parent else None
    owners = []
    for option in config_groups().get(parent, ()) if chosen is not None else ():
        if option != chosen:
            try:
                other = compose(config_name, overrides=[*rest, f"{parent}={option}"])
            except Exception:  # noqa: BLE001 - an option that cannot compose here has no say
                continue
            if leaf in (OmegaConf.select(other, parent) or {}):
                owners.append(option)
    if owners:
        return (f"{key}: {parent}={chosen} has no {leaf} (its keys: {', '.join(keys)}); "
                f"{leaf} is a key of {' and '.join(f'{parent}={o}' for o in owners)}: "
                f"choose it, e.g. {parent}={owners[0]} {key}=...")
    return f"{key} is not a key of {parent or 'the config'} (its keys: {', '.join(keys)})"


def _with_cause(error: BaseException) -> str:
    """Hydra's message with the reason it wraps (``Error merging override x=abc``: why)."""
    cause = error.__cause__
    detail = str(cause).strip().splitlines()[0] if cause is not None else ""
    message = str(error).strip()
    return f"{message} ({detail})" if detail and detail not in message else message


def compose_jobs(jobs: list[list[str]], config_name: str = "config",
                 groups: dict[str, tuple[str, ...]] | None = None) -> Iterator[DictConfig]:
    """Yield the task config (no ``hydra`` node) of each job, as ``hydra.compose`` gives it.

    Must be called inside :func:`sweepnet.runner.hydra_api.initialized`.
    Raises :class:`ConfigError` with Hydra's message for an override that
    cannot be applied.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    parser = OverridesParser.create()
    groups = config_groups() if groups is None else groups
    bases: dict[tuple[str, ...], DictConfig] = {}
    known: dict[str, object] = {}  # each distinct override is parsed once (ANTLR is slow)
    for job in jobs:
        try:
            for text in job:
                if text not in known:
                    known[text] = parser.parse_overrides([text])[0]
            parsed = [known[text] for text in job]
            structure = tuple(o.input_line for o in parsed if _needs_compose(o, groups))
            base = bases.get(structure)
            if base is None:
                base = bases[structure] = compose_config(list(structure),
                                                         config_name=config_name)
            cfg = copy.deepcopy(base)
            apply_overrides([o for o in parsed if not _needs_compose(o, groups)], cfg)
        except (HydraException, OmegaConfBaseException) as error:
            raise ConfigError(explained(error, job, config_name)) from None
        yield cfg

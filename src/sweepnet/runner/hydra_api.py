"""Hydra's private APIs that sweepnet still needs, all in one place.

Each function here reaches into ``hydra._internal`` or ``omegaconf._utils``
because no public API does the job as fast or at all; ``tests/test_hydra_api.py``
exercises every one of them, so an upgrade of Hydra that breaks one fails
there, by name.

- :func:`initialized`: Hydra's global state for sweepnet's configs, with an
  extra config directory searched after them (``--config-dir``: options added,
  a shipped option of the same name wins), as ``@hydra.main`` does it; the
  public ``initialize_config_module`` has no config directory.
- :func:`apply_overrides`: value overrides applied to a composed config
  (Hydra's own override code), so a sweep composes its defaults list once per
  set of config-group choices instead of once per job (~0.15 s each).
- :func:`yaml_dumper`: OmegaConf's YAML quoting on libyaml's emitter, ~4x
  faster than ``OmegaConf.to_yaml`` for the ``.hydra/`` record of every job.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from omegaconf import DictConfig

CONFIG_MODULE = "sweepnet.conf"
JOB_NAME = "sweepnet"


#: Hydra's state is one per process: commands planned in two threads take turns
_HYDRA = threading.RLock()


@contextmanager
def initialized(config_dir: str | os.PathLike | None = None) -> Iterator[None]:
    """Hydra initialized for sweepnet's config module (``hydra.compose`` works inside),
    ``config_dir`` searched too (after sweepnet's own configs, as ``--config-dir`` is);
    the previous global state is restored after. One thread at a time: Hydra keeps this
    state in a process-wide singleton."""
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_automatic_config_search_path
    from hydra.core.config_search_path import SearchPathQuery
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.singleton import Singleton
    from hydra.initialize import get_gh_backup, restore_gh_from_backup

    with _HYDRA:
        backup = get_gh_backup()
        try:
            search_path = create_automatic_config_search_path(
                None, f"{CONFIG_MODULE}.{JOB_NAME}", None)
            if config_dir is not None:
                search_path.prepend(provider="command-line",
                                    path=f"file://{os.path.abspath(config_dir)}",
                                    anchor=SearchPathQuery(provider="schema"))
            GlobalHydra.instance().clear()
            Hydra.create_main_hydra2(task_name=JOB_NAME, config_search_path=search_path)
            yield
        finally:
            if backup is None:  # none before, none after: there may be none yet (a Ctrl-C
                Singleton._instances.pop(GlobalHydra, None)  # before Hydra made its state)
            else:
                restore_gh_from_backup(backup)


def config_loader():
    """The loader of the Hydra state :func:`initialized` set up (what launchers compose with)."""
    from hydra.core.global_hydra import GlobalHydra

    return GlobalHydra.instance().config_loader()


def apply_overrides(overrides: list, cfg: DictConfig) -> None:
    """Apply parsed value overrides (``optimizer.lr=0.5``, ``+x=1``, ``~y``) to ``cfg``."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    ConfigLoaderImpl._apply_overrides_to_config(overrides, cfg)


@functools.cache
def yaml_dumper():
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


def to_yaml(container) -> str:
    """``OmegaConf.to_yaml`` of a plain container, as Hydra writes ``.hydra/`` files."""
    import yaml

    return yaml.dump(container, Dumper=yaml_dumper(), default_flow_style=False,
                     allow_unicode=True, sort_keys=False)

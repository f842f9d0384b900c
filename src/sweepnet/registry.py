"""Named components: layers, losses, optimizers and datasets, found through entry points.

Each kind has a :class:`Registry` backed by an entry-point group
(``sweepnet.layers``, ``sweepnet.losses``, ``sweepnet.optimizers``,
``sweepnet.datasets``). sweepnet declares its own built-ins in those groups
too, so built-ins and plugins take one path. Listing names reads package
metadata only; :meth:`Registry.get` imports just the component asked for.

A plugin package declares, in its ``pyproject.toml``::

    [project.entry-points."sweepnet.layers"]
    swish = "sweepnet_swish:Swish"

and in a notebook or a test, :meth:`Registry.register` adds one by hand::

    @sweepnet.registry.layers.register("cube")
    class Cube(sweepnet.Activation): ...
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any


def close_name(name: str, names) -> str | None:
    """The name meant by a mistyped ``name``: the same letters in another case (``ReLU``:
    ``relu``), else the closest spelling; ``None`` when nothing is close."""
    names = list(names)
    same = [n for n in names if n.lower() == name.lower()]
    if same:
        return same[0]
    close = difflib.get_close_matches(name, names, n=1) or difflib.get_close_matches(
        name.lower(), names, n=1)
    return close[0] if close else None


class RegistryError(LookupError):
    """A name could not be resolved to a usable component; the message says why."""


@dataclass(frozen=True)
class Entry:
    """One registered component, before it is imported."""

    kind: str
    name: str
    target: str  # "module:attribute", or where a register() call defined it
    distribution: str  # the installed package that declares it, or "(registered)"
    version: str
    entry_point: metadata.EntryPoint | None = None
    obj: Any = None  # set for components registered by hand

    @property
    def qualified_name(self) -> str:
        return f"{self.distribution}:{self.name}"

    def load(self) -> Any:
        if self.entry_point is None:
            return self.obj
        try:
            return self.entry_point.load()
        except Exception as error:  # a broken plugin must not break the others
            raise RegistryError(
                f"the {self.kind} {self.name!r} could not be loaded: entry point "
                f"'{self.name} = {self.target}' of "
                f"distribution {self.distribution} {self.version} raised "
                f"{type(error).__name__}: {error}. Fix or uninstall that package; the "
                f"other components are unaffected."
            ) from error


class Registry:
    """Components of one kind by name.

    Parameters
    ----------
    kind : str
        ``"layer"``, ``"loss"``, ``"optimizer"`` or ``"dataset"``.
    group : str
        The entry-point group, e.g. ``"sweepnet.layers"``.
    check : callable
        ``check(obj) -> str | None``: a reason why ``obj`` is not a component
        of this kind, or ``None`` when it is.
    """

    def __init__(self, kind: str, group: str, check: Callable[[Any], str | None]) -> None:
        self.kind = kind
        self.group = group
        self._check = check
        self._installed: list[Entry] | None = None
        self._registered: dict[str, Entry] = {}

    # -- discovery ---------------------------------------------------------
    def _entries(self) -> list[Entry]:
        if self._installed is None:
            seen, entries = set(), []
            for ep in metadata.entry_points(group=self.group):
                dist = ep.dist.name if ep.dist is not None else "(unknown)"
                version = ep.dist.version if ep.dist is not None else "?"
                key = (dist, ep.name, ep.value)
                if key not in seen:  # a package visible twice on sys.path
                    seen.add(key)
                    entries.append(Entry(self.kind, ep.name, ep.value, dist, version, ep))
            self._installed = entries
        return self._installed + list(self._registered.values())

    def refresh(self) -> None:
        """Forget what was discovered, e.g. after installing a plugin in this process."""
        self._installed = None

    def entries(self) -> list[Entry]:
        """Every registered component, sorted by name (nothing is imported)."""
        return sorted(self._entries(), key=lambda e: (e.name, e.distribution))

    def names(self) -> list[str]:
        """Sorted names of all components (nothing is imported)."""
        return sorted({entry.name for entry in self._entries()})

    def __contains__(self, name: str) -> bool:
        try:
            self._find(name)
        except RegistryError:
            return False
        return True

    # -- lookup ------------------------------------------------------------
    def _find(self, name: str) -> Entry:
        if not isinstance(name, str) or not name:
            raise RegistryError(f"a {self.kind} name must be a non-empty string, got {name!r}")
        entries = self._entries()
        if ":" in name:
            distribution, short = name.split(":", 1)
            matches = [e for e in entries if e.name == short and e.distribution == distribution]
        else:
            matches = [e for e in entries if e.name == name]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            available = self.names()
            close = close_name(name.split(":")[-1], available)
            hint = f" Did you mean {close!r}?" if close else ""
            raise RegistryError(
                f"unknown {self.kind} {name!r}.{hint} Available {self.kind}s: "
                f"{', '.join(available) or '(none)'}."
            )
        choices = ", ".join(repr(e.qualified_name) for e in matches)
        raise RegistryError(
            f"the {self.kind} name {name!r} is registered by more than one distribution "
            f"({', '.join(e.distribution for e in matches)}); pick one with its qualified "
            f"name: {choices}."
        )

    def get(self, name: str) -> Any:
        """Return the component called ``name`` (or ``"distribution:name"``)."""
        entry = self._find(name)
        obj = entry.load()
        problem = self._check(obj)
        if problem is not None:
            raise RegistryError(
                f"{entry.name!r} is registered as a {self.kind} (by {entry.distribution}, "
                f"'{entry.target}') but {problem}."
            )
        return obj

    def register(self, name: str) -> Callable[[Any], Any]:
        """Decorator registering a component defined in code (a notebook, a test)."""

        def decorator(obj: Any) -> Any:
            problem = self._check(obj)
            if problem is not None:
                raise RegistryError(f"cannot register {name!r} as a {self.kind}: {problem}.")
            clash = [e for e in self._installed_entries() if e.name == name]
            if clash:
                raise RegistryError(
                    f"cannot register {name!r} as a {self.kind}: the name is taken by "
                    f"{clash[0].distribution} ('{clash[0].target}'); choose another name."
                )
            where = f"{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', obj)}"
            self._registered[name] = Entry(self.kind, name, where, "(registered)", "", obj=obj)
            return obj

        return decorator

    def unregister(self, name: str) -> None:
        """Remove a component added with :meth:`register`."""
        self._registered.pop(name, None)

    def _installed_entries(self) -> list[Entry]:
        self._entries()
        return self._installed or []

    def __repr__(self) -> str:
        return f"Registry({self.group!r}, {len(self.names())} names)"


def _subclass_of(base_path: str, description: str) -> Callable[[Any], str | None]:
    def check(obj: Any) -> str | None:
        import importlib

        module, _, attr = base_path.rpartition(".")
        base = getattr(importlib.import_module(module), attr)
        if isinstance(obj, type) and issubclass(obj, base):
            return None
        return f"{_describe(obj)} is not {description}"

    return check


def _dataset_check(obj: Any) -> str | None:
    from .layers.base import Layer
    from .losses import Loss
    from .optimizers import Optimizer

    if isinstance(obj, type) and issubclass(obj, (Layer, Loss, Optimizer)):
        return f"{_describe(obj)} is not a dataset function returning (X, y)"
    if not callable(obj):
        return f"{_describe(obj)} is not callable; a dataset is a function returning (X, y)"
    return None


def _describe(obj: Any) -> str:
    from .layers.base import Layer
    from .losses import Loss
    from .optimizers import Optimizer

    name = getattr(obj, "__qualname__", repr(obj))
    if isinstance(obj, type):
        for base, kind in ((Layer, "layer"), (Loss, "loss"), (Optimizer, "optimizer")):
            if issubclass(obj, base):
                return f"{name}, a {kind},"
    return name


layers = Registry("layer", "sweepnet.layers",
                  _subclass_of("sweepnet.layers.base.Layer", "a subclass of sweepnet.Layer"))
losses = Registry("loss", "sweepnet.losses",
                  _subclass_of("sweepnet.losses.Loss", "a subclass of sweepnet.Loss"))
optimizers = Registry("optimizer", "sweepnet.optimizers",
                      _subclass_of("sweepnet.optimizers.Optimizer",
                                   "a subclass of sweepnet.Optimizer"))
datasets = Registry("dataset", "sweepnet.datasets", _dataset_check)

REGISTRIES: dict[str, Registry] = {
    "layer": layers, "loss": losses, "optimizer": optimizers, "dataset": datasets,
}

__all__ = ["REGISTRIES", "Entry", "Registry", "RegistryError", "datasets", "layers",
           "losses", "optimizers"]

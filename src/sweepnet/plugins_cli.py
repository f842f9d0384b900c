"""``sweepnet-plugins``: list the registered components and check one of them.

::

    sweepnet-plugins list [--kind {layer,loss,optimizer,dataset}]
    sweepnet-plugins check NAME [--kind KIND] [--tol TOL] [--set KEY=VALUE ...]

``check`` runs the matching :mod:`sweepnet.testing` check and exits 0 when it
passes, 1 when it fails, and 2 when the name cannot be resolved.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import testing
from .registry import REGISTRIES, Entry, Registry, RegistryError, close_name
from .rundir import clean_value

KINDS = tuple(REGISTRIES)


def _status(registry: Registry, entry: Entry) -> str:
    try:
        registry.get(entry.qualified_name)
    except RegistryError as error:
        reason = error.__cause__ if error.__cause__ is not None else error
        text = f"{type(reason).__name__}: {reason}" if reason is not error else str(error)
        return "error: " + (text.splitlines() or [""])[0]
    return "ok"


def list_components(kind: str | None = None) -> int:
    """Print a table of the registered components (of one ``kind``, or all)."""
    rows = [("KIND", "NAME", "DISTRIBUTION", "VERSION", "STATUS")]
    for name, registry in REGISTRIES.items():
        if kind is not None and name != kind:
            continue
        for entry in registry.entries():
            rows.append((name, entry.name, entry.distribution, entry.version or "-",
                         _status(registry, entry)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[4])
    return 0


def _kinds_of(name: str) -> list[str]:
    """The kinds in which ``name`` (or ``"distribution:name"``) is registered."""
    found = []
    for kind, registry in REGISTRIES.items():
        if ":" in name:
            hit = any(e.qualified_name == name for e in registry.entries())
        else:
            hit = name in registry.names()
        if hit:
            found.append(kind)
    return found


def check_component(name: str, kind: str | None = None, tol: float | None = None,
                    params: dict | None = None) -> int:
    """Run the :mod:`sweepnet.testing` check of ``name``; return the exit status.

    ``params`` are passed to a dataset (``csv`` needs ``path`` and ``target``).
    """
    kinds = [kind] if kind is not None else _kinds_of(name)
    if not kinds:
        every = sorted({n for registry in REGISTRIES.values() for n in registry.names()})
        close = close_name(name.split(":")[-1], every)
        hint = f" Did you mean {close!r}?" if close else ""
        print(f"sweepnet-plugins: no layer, loss, optimizer or dataset is called {name!r}."
              f"{hint} Run 'sweepnet-plugins list' to see the registered names.",
              file=sys.stderr)
        return 2
    if len(kinds) > 1:
        print(f"sweepnet-plugins: {name!r} is registered as more than one kind "
              f"({', '.join(kinds)}); choose one with --kind {{{','.join(kinds)}}}.",
              file=sys.stderr)
        return 2
    kind = kinds[0]
    registry = REGISTRIES[kind]
    try:
        component = registry.get(name)
    except RegistryError as error:
        print(f"sweepnet-plugins: {error}", file=sys.stderr)
        return 2

    short = name.split(":")[-1]
    entry = next(e for e in registry.entries()
                 if e.name == short and (":" not in name or e.qualified_name == name))
    if entry.entry_point is None:
        origin = f"registered in code, {entry.target}"
    else:
        origin = f"{entry.distribution} {entry.version}, '{entry.target}'"
    print(f"checking the {kind} {entry.name!r} ({origin})")
    options = {} if tol is None else {"tol": tol}
    try:
        if kind == "layer":
            result = testing.check_layer(component, **options)
        elif kind == "loss":
            result = testing.check_loss(component, **options)
        elif kind == "optimizer":
            result = testing.check_optimizer(component)
        else:
            result = testing.check_dataset(component, **(params or {}))
    except AssertionError as error:
        print(f"FAILED: {error}")
        return 1
    except Exception as error:  # the component itself crashed: that is a failed check too
        print(f"FAILED: the check raised {type(error).__name__}: {error}")
        return 1
    print(f"passed: {result}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sweepnet-plugins`` command; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="sweepnet-plugins",
        description="List sweepnet's registered layers, losses, optimizers and datasets "
                    "(built-in and from plugins), and check one of them.")
    commands = parser.add_subparsers(dest="command", required=True)
    lister = commands.add_parser("list", help="table of every registered component")
    lister.add_argument("--kind", choices=KINDS, help="only this kind")
    checker = commands.add_parser(
        "check", help="finite-difference / convergence / shape check of one component")
    checker.add_argument("name", help="a registered name, or 'distribution:name'")
    checker.add_argument("--kind", choices=KINDS, help="needed when the name is in several kinds")
    checker.add_argument("--tol", type=float, default=None,
                         help="largest relative gradient error accepted (default 1e-7)")
    checker.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         help="a dataset parameter, e.g. --set path=data.csv --set target=y")
    args = parser.parse_args(argv)
    if args.command == "list":
        return list_components(args.kind)
    params = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--set takes KEY=VALUE, got {item!r}")
        params[key] = clean_value(value)
    return check_component(args.name, args.kind, args.tol, params)


if __name__ == "__main__":
    raise SystemExit(main())

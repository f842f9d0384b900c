"""Data flows one way (DESIGN.md, "Data flow"): checked on every module's imports.

Every ``.py`` file under ``src/sweepnet`` is parsed with :mod:`ast`; both
``import x`` and ``from x import y`` count, relative imports are resolved to
absolute names, and imports inside functions are seen too (marked as such).

- ``results``, ``analysis`` and ``rundir`` read what runs wrote to disk: they
  never import the runner.
- The engine (``layers``, ``losses``, ``optimizers``, ``training``, ``stacking``) knows
  nothing of the registry, Hydra, the runner or datasets, and changes no
  process-wide setting; pandas is imported only inside functions
  (``Trainer.fit`` returns a DataFrame).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "sweepnet"

READERS = ("sweepnet.analysis", "sweepnet.results", "sweepnet.rundir")
ENGINE = ("sweepnet.layers", "sweepnet.losses", "sweepnet.optimizers", "sweepnet.training",
          "sweepnet.stacking")
# never imported by the engine, wherever the import statement is
ENGINE_FORBIDDEN = ("sweepnet.registry", "hydra", "omegaconf", "sweepnet.runner",
                    "sweepnet.datasets", "sweepnet._allocator")
# imported by the engine only inside functions
ENGINE_LAZY = ("pandas",)


@dataclass(frozen=True)
class Import:
    name: str  # absolute dotted name
    line: int
    in_function: bool


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_imports(source: str, module: str, is_package: bool = False) -> list[Import]:
    """Every import in ``source``, the code of ``module``, as absolute names.

    ``from a.b import c`` yields both ``a.b`` and ``a.b.c`` (``c`` may be a
    submodule); a relative import is resolved against ``module`` (its own name
    when it is a package's ``__init__``).
    """
    found: list[Import] = []

    def resolve(node: ast.ImportFrom) -> str:
        if node.level == 0:
            return node.module or ""
        package = module if is_package else module.rpartition(".")[0]
        parts = package.split(".")
        if node.level - 1 >= len(parts):
            raise ValueError(f"{module}:{node.lineno}: relative import beyond the top package")
        base = ".".join(parts[: len(parts) - (node.level - 1)])
        return f"{base}.{node.module}" if node.module else base

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno, in_function) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = resolve(node)
            if node.module:
                found.append(Import(base, node.lineno, in_function))
            found.extend(Import(f"{base}.{alias.name}", node.lineno, in_function)
                         for alias in node.names if alias.name != "*")
        inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                  ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(ast.parse(source), False)
    return found


def is_within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def package_modules() -> dict[str, tuple[Path, list[Import]]]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        source = path.read_text(encoding="utf-8")
        modules[name] = (path, read_imports(source, name, path.name == "__init__.py"))
    return modules


def violations(modules: dict[str, tuple[Path, list[Import]]], owners: tuple[str, ...],
               forbidden: tuple[str, ...], lazy_ok: tuple[str, ...] = ()) -> list[str]:
    """``module (file:line) imports name`` for each forbidden import of the ``owners``."""
    bad = []
    for module, (path, imports) in sorted(modules.items()):
        if not is_within(module, owners):
            continue
        flagged = [imp for imp in imports if is_within(imp.name, forbidden) or (
            is_within(imp.name, lazy_ok) and not imp.in_function)]
        for imp in flagged:
            # "from a.b import c" flags a.b and a.b.c: name the statement once, as a.b
            if any(o.line == imp.line and imp.name.startswith(o.name + ".") for o in flagged):
                continue
            where = "inside a function" if imp.in_function else "at module level"
            bad.append(f"{module} ({path.relative_to(SRC.parent)}:{imp.line}) imports "
                       f"{imp.name} {where}")
    return sorted(set(bad))


@pytest.fixture(scope="module")
def modules():
    found = package_modules()
    assert {"sweepnet", "sweepnet.training", "sweepnet.layers", "sweepnet.layers.sequential",
            "sweepnet.results"} <= set(found), f"source tree not found under {PACKAGE}"
    return found


# -- the helpers, on small sources --------------------------------------------------
def test_read_imports_resolves_relative_and_function_level_imports():
    source = (
        "import numpy as np, os.path\n"
        "from ..registry import layers\n"
        "from .. import registry\n"
        "from . import base\n"
        "from .base import Layer\n"
        "def f():\n"
        "    import pandas as pd\n"
        "    from ..losses import BCE\n"
        "class C:\n"
        "    from sweepnet.runner import app\n"
    )
    imports = {(i.name, i.in_function)
               for i in read_imports(source, "sweepnet.layers.sequential")}
    assert imports >= {("numpy", False), ("os.path", False),
                       ("sweepnet.registry", False), ("sweepnet.registry.layers", False),
                       ("sweepnet.layers.base", False), ("sweepnet.layers.base.Layer", False),
                       ("pandas", True), ("sweepnet.losses.BCE", True),
                       ("sweepnet.runner", False),
                       ("sweepnet.runner.app", False)}
    with pytest.raises(ValueError, match="beyond the top package"):
        read_imports("from ... import x\n", "sweepnet.layers.sequential")
    # in a package's __init__, "." is the package itself
    assert {i.name for i in read_imports("from .base import Layer\n", "sweepnet.layers",
                                         is_package=True)} == {"sweepnet.layers.base",
                                                               "sweepnet.layers.base.Layer"}
    assert {i.name for i in read_imports("from . import registry\n", "sweepnet.models")} == {
        "sweepnet.registry"}


def test_violations_name_the_module_and_the_offending_import():
    path = SRC / "sweepnet" / "layers" / "fake.py"
    modules = {
        "sweepnet.layers.fake": (path, read_imports(
            "import numpy\nfrom .. import registry\nimport pandas\n"
            "def fit():\n    import pandas\n    from ..runner.build import build\n",
            "sweepnet.layers.fake")),
        "sweepnet.analysis.fake": (path, read_imports(
            "def plot():\n    from ..runner import job\n", "sweepnet.analysis.fake")),
        "sweepnet.runner.app": (path, read_imports("import hydra\nimport pandas\n",
                                                   "sweepnet.runner.app")),
    }
    engine = violations(modules, ENGINE, ENGINE_FORBIDDEN, ENGINE_LAZY)
    assert engine == [
        "sweepnet.layers.fake (src/sweepnet/layers/fake.py:2) imports sweepnet.registry "
        "at module level",
        "sweepnet.layers.fake (src/sweepnet/layers/fake.py:3) imports pandas at module level",
        "sweepnet.layers.fake (src/sweepnet/layers/fake.py:6) imports sweepnet.runner.build "
        "inside a function",
    ]
    assert violations(modules, READERS, ("sweepnet.runner",)) == [
        "sweepnet.analysis.fake (src/sweepnet/layers/fake.py:2) imports sweepnet.runner "
        "inside a function",
    ]
    assert is_within("sweepnet.runner", ("sweepnet.runner",))
    assert not is_within("sweepnet.runners", ("sweepnet.runner",))


# -- the rules, on the package -------------------------------------------------------
def test_results_and_analysis_never_import_the_runner(modules):
    bad = violations(modules, READERS, ("sweepnet.runner",))
    assert not bad, ("results, analysis and rundir read only what runs wrote to disk; they "
                     "must not import the runner:\n  " + "\n  ".join(bad))


def test_the_engine_knows_nothing_of_registry_hydra_runner_or_datasets(modules):
    engine = [m for m in modules if is_within(m, ENGINE)]
    assert {"sweepnet.losses", "sweepnet.optimizers", "sweepnet.training",
            "sweepnet.layers.sequential"} <= set(engine)
    bad = violations(modules, ENGINE, ENGINE_FORBIDDEN, ENGINE_LAZY)
    assert not bad, ("the engine (layers, losses, optimizers, training) must not import "
                     f"{', '.join(ENGINE_FORBIDDEN)}, nor pandas at module level:\n  "
                     + "\n  ".join(bad))


def test_private_hydra_apis_are_used_in_one_module_only(modules):
    """Hydra's and OmegaConf's private modules: runner/hydra_api.py and nowhere else, so a
    Hydra upgrade that breaks one is found in one place (tests/test_hydra_api.py)."""
    others = [m for m in modules if m != "sweepnet.runner.hydra_api"]
    bad = violations({m: modules[m] for m in others}, ("sweepnet",),
                     ("hydra._internal", "omegaconf._utils"))
    assert not bad, "private Hydra APIs outside runner/hydra_api.py:\n  " + "\n  ".join(bad)
    hydra_api = violations({"sweepnet.runner.hydra_api": modules["sweepnet.runner.hydra_api"]},
                           ("sweepnet",), ("hydra._internal",))
    assert hydra_api, "runner/hydra_api.py uses them (else this test checks nothing)"


def test_training_changes_no_process_wide_setting():
    """``Trainer.fit`` must not touch glibc's malloc; only the command and benchmarks opt in."""
    source = (PACKAGE / "training.py").read_text(encoding="utf-8")
    for word in ("_allocator", "keep_heap_padding", "mallopt"):
        assert word not in source, f"sweepnet/training.py references {word}"

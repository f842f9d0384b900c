"""Griffe extension: sweepnet's Sphinx roles (``:func:`~sweepnet.mlp```) as cross-references.

sweepnet's docstrings are NumPy style with Sphinx roles. mkdocstrings would show
a role as text (``:func:``), so each one becomes an optional autoref: a link when
the object is rendered somewhere in the site, its name in code when it is not
(nothing warns). Targets resolve like Sphinx's: as written, then from the
docstring's own class and module outwards; a name ``import sweepnet`` offers
lazily (``sweepnet.mlp``) points where it is defined (``_WHERE`` in
``sweepnet/__init__.py``). ``~`` shows only the last component; ``title <target>``
shows the title.

Listed under ``extensions:`` of the mkdocstrings Python handler in ``mkdocs.yml``.
"""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(func|class|meth|mod|data|attr|exc|obj|const):`([^`]+)`")
PACKAGE_INIT = Path(__file__).resolve().parents[2] / "src" / "sweepnet" / "__init__.py"


def _lazy_names() -> dict[str, str]:
    """``sweepnet.<name>`` -> ``sweepnet<.module>.<name>`` from ``_WHERE``."""
    where: dict[str, str] = {}
    for node in ast.walk(ast.parse(PACKAGE_INIT.read_text())):
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "_WHERE" for t in node.targets):
            for key, value in zip(node.value.keys, node.value.values):
                if key is None:
                    names, module = value.args
                    for name in ast.literal_eval(names):
                        where[f"sweepnet.{name}"] = f"sweepnet{ast.literal_eval(module)}.{name}"
                else:
                    name, module = ast.literal_eval(key), ast.literal_eval(value)
                    where[f"sweepnet.{name}"] = f"sweepnet{module}.{name}"
    return where


class SphinxRoles(griffe.Extension):
    def __init__(self) -> None:
        self.lazy = _lazy_names()

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.name != "sweepnet":
            return
        known: set[str] = set()
        objects: list[griffe.Object] = []
        self._walk(pkg, known, objects)
        for obj in objects:
            if obj.docstring is not None and ":" in obj.docstring.value:
                obj.docstring.value = ROLE.sub(lambda m, o=obj: self._link(m, o, known),
                                               obj.docstring.value)

    def _walk(self, obj: griffe.Object, known: set[str], objects: list[griffe.Object]) -> None:
        known.add(obj.path)
        objects.append(obj)
        for member in obj.members.values():
            if member.is_alias:
                known.add(member.path)
                continue
            if member.path not in known:
                self._walk(member, known, objects)

    def _resolve(self, target: str, obj: griffe.Object, known: set[str]) -> str | None:
        target = self.lazy.get(target, target)
        scope: griffe.Object | None = obj
        candidates = [target]
        while scope is not None:
            candidates.append(f"{scope.path}.{target}")
            scope = scope.parent
        for candidate in candidates:
            candidate = self.lazy.get(candidate, candidate)
            if candidate in known:
                return candidate
        return None

    def _link(self, match: re.Match, obj: griffe.Object, known: set[str]) -> str:
        text = match.group(2).strip()
        explicit = re.fullmatch(r"(.+?)\s*<([^>]+)>", text)
        if explicit:
            title, target = explicit.group(1), explicit.group(2)
        else:
            target = text.lstrip("~.")
            title = target.rsplit(".", 1)[-1] if text.startswith("~") else target
        target = target.lstrip("~.").removesuffix("()")
        code = f"<code>{html.escape(title)}</code>"
        resolved = self._resolve(target, obj, known)
        if resolved is None:
            return code
        return f'<autoref identifier="{resolved}" optional>{code}</autoref>'

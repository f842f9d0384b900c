"""MkDocs hook: the reference pages written from the sources at build time, so they cannot go stale.

A page asks for a generated block with an HTML comment on a line of its own:

``<!-- config-reference -->``
    every config group of ``src/sweepnet/conf/`` (read as text: each key with its
    default and its comment), and the options of sweepnet's Hydra launcher and
    sweeper (their dataclasses in ``src/hydra_plugins/``).
``<!-- public-api -->``
    a table of the names ``import sweepnet`` offers, from ``sweepnet/__init__.py``.
``<!-- cli-help: COMMAND [SUBCOMMAND] -->``
    the output of ``COMMAND [SUBCOMMAND] --help``, run with the interpreter that
    runs MkDocs (the installed commands).

Registered in ``mkdocs.yml`` under ``hooks:``. Nothing here imports sweepnet.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "src" / "sweepnet" / "conf"
PLUGINS = ROOT / "src" / "hydra_plugins"
PACKAGE_INIT = ROOT / "src" / "sweepnet" / "__init__.py"

MARKER = re.compile(r"^<!-- (config-reference|public-api|cli-help:[^>]*) -->[ \t]*$", re.M)

#: the groups' order on the page (the root config's defaults list); others follow by name
GROUP_ORDER = ["dataset", "model", "loss", "optimizer", "trainer", "strategy", "gallery",
               "escape", "experiment"]


# ---------------------------------------------------------------------------- YAML, with comments


@dataclass
class Key:
    path: str  # dotted, e.g. split.test_size
    value: str  # as written in the file
    comment: str = ""
    column: int = -1  # where its inline comment starts (-1: none)
    section: str = ""  # a comment above it that also covers the keys after it


@dataclass
class ConfigFile:
    description: str  # the comment block the file starts with, usage lines aside
    package_global: bool
    usage: list[str] = field(default_factory=list)  # its "sweepnet ..." lines
    defaults: list[tuple[str, str, str]] = field(default_factory=list)  # (entry, value, comment)
    keys: list[Key] = field(default_factory=list)


def _split_comment(line: str) -> tuple[str, str, int]:
    """``code``, ``comment`` and the comment's column, a ``#`` inside quotes aside."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip(), line[i + 1:].strip(), i
    return line.rstrip(), "", -1


def _balanced(text: str) -> bool:
    return text.count("(") <= text.count(")")


def _header(lines: list[str]) -> tuple[ConfigFile, int]:
    """The comment block a file starts with: its description, its usage lines
    (``sweepnet experiment=...``), whether it is a ``@package _global_`` preset; and
    the index of the first line after it."""
    header: list[str] = []
    i = 0
    while i < len(lines) and (lines[i].startswith("#") or not lines[i].strip()):
        if lines[i].strip().startswith("#"):
            header.append(lines[i].strip()[1:].strip())
        i += 1
    result = ConfigFile("", any(h.startswith("@package _global_") for h in header))
    prose: list[str] = []
    for line in header:
        if line.startswith("@package"):
            continue
        if result.usage and result.usage[-1].endswith("\\"):
            result.usage.append(f"    {line}")
        else:
            (result.usage if line.startswith("sweepnet ") else prose).append(line)
    result.description = " ".join(prose)
    return result, i


def parse_config(text: str) -> ConfigFile:
    """A config file's keys in order, each with its value as written and its comment.

    A key's comment is its inline comment; a comment-only line that starts in
    that comment's column continues it. The comment lines right above a key are
    its comment when it has no inline one, else they head a section of keys (as
    do those above a mapping, for its first key). An inline comment that opens a
    parenthesis it does not close goes on in the next key's: both are joined on
    the first key, and the next one refers to it.
    """
    lines = text.splitlines()
    result, i = _header(lines)
    stack: list[tuple[int, str]] = []  # (indent, key) of the enclosing mappings
    pending: list[str] = []  # comment lines waiting for their key
    in_defaults = False
    last: Key | None = None
    block: int | None = None  # inside a block scalar (|, >) of a key at this indent
    block_text: list[str] = []
    for line in lines[i:]:
        if block is not None:
            if not line.strip() or len(line) - len(line.lstrip()) > block:
                block_text.append(line.strip())
                last.value = f"(text: {' '.join(t for t in block_text if t)[:60]} ...)"
                continue
            block = None
        if not line.strip():
            pending = []
            continue
        code, comment, column = _split_comment(line)
        if not code.strip():  # a comment-only line
            if last is not None and column == last.column and not pending:
                last.comment = f"{last.comment} {comment}".strip()
            else:
                pending.append(comment)
            continue
        indent = len(code) - len(code.lstrip())
        stripped = code.strip()
        if stripped.startswith("- "):  # a list item: defaults, or a block list's element
            if in_defaults:
                name, _, value = stripped[2:].partition(":")
                result.defaults.append((name.strip(), value.strip(), comment))
            pending = []
            continue
        match = re.match(r"([^:]+):(.*)$", stripped)
        if match is None:
            continue
        key, value = match.group(1).strip(), match.group(2).strip()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        in_defaults = not stack and key == "defaults"
        if in_defaults:
            pending = []
            continue
        path = ".".join([k for _, k in stack] + [key])
        above = " ".join(pending)
        pending = []
        if value == "":  # a mapping (or a block list, filled in below)
            stack.append((indent, key))
            last = None
            result.keys.append(Key(path, "", "", -1, " ".join(filter(None, [above, comment]))))
            continue
        entry = Key(path, value, comment or above, column, above if comment else "")
        result.keys.append(entry)
        last = entry
        if value[:1] in "|>":  # a block scalar: its lines are text, not keys
            block, block_text = indent, []
    _join_open_comments(result.keys)
    _lists_as_values(result, text)
    return result


def _join_open_comments(keys: list[Key]) -> None:
    for first, second in zip(keys, keys[1:]):
        if first.comment and not _balanced(first.comment) and second.column == first.column:
            first.comment = f"{first.comment} {second.comment}"
            second.comment = f"see `{first.path}`"


def _lists_as_values(result: ConfigFile, text: str) -> None:
    """A block list (``model.layers``) becomes its key's value, in flow style; mappings go,
    their section comment passing to their first key."""
    data = yaml.safe_load(text) or {}
    kept: list[Key] = []
    carried = ""
    for key in result.keys:
        if not key.value:
            node = data
            for part in key.path.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, list):
                carried = carried or key.section
                continue
            key.value = yaml.safe_dump(node, default_flow_style=True, width=10**6).strip()
        if carried and not key.section:
            key.section = carried
        carried = ""
        kept.append(key)
    result.keys = kept


# ---------------------------------------------------------------------------- rendering


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    text = text.replace("|", "\\|")
    return f"``{text}``" if "`" in text else f"`{text}`"


def _key_table(keys: list[Key], prefix: str = "", header: str = "default") -> list[str]:
    rows = [f"| key | {header} | |", "|---|---|---|"]
    for key in keys:
        if key.section:
            rows.append(f"| | | *{_cell(key.section)}* |")
        rows.append(f"| {_code(prefix + key.path)} | {_code(key.value)} | {_cell(key.comment)} |")
    return rows


def _override_list(config: ConfigFile) -> str:
    """A ``@package _global_`` option as the overrides it stands for."""
    parts = [f"{name.removeprefix('override ').lstrip('/')}={value}"
              for name, value, _ in config.defaults if value]
    parts += [f"{k.path}={k.value}" for k in config.keys]
    return " ".join(_code(p) for p in parts) or "(nothing: the start itself)"


def _options(group: Path) -> list[Path]:
    return sorted(group.glob("*.yaml"), key=lambda p: p.stem)


def _root_section() -> list[str]:
    config = parse_config((CONF / "config.yaml").read_text())
    out = ["## The root config", "",
           f"`config.yaml`: {config.description}", "",
           "Its defaults list chooses one option per group (`group=option` on the command "
           "line changes it; `optional` groups are empty unless chosen):", "",
           "| group | default | |", "|---|---|---|"]
    for entry, value, comment in config.defaults:
        name = entry.removeprefix("optional ").removeprefix("override ")
        if name == "_self_":
            continue
        out.append(f"| {_code(name)} | {_code(value)} | {_cell(comment)} |")
    out += ["", "Its keys (`hydra.*` are Hydra's own, set by sweepnet; `hydra.help`, the text of "
            "`sweepnet --help`, is left out):", ""]
    out += _key_table([k for k in config.keys if not k.path.startswith("hydra.help.")])
    return out


def _group_section(group: Path) -> list[str]:
    options = _options(group)
    parsed = {p.stem: parse_config(p.read_text()) for p in options}
    names = ", ".join(_code(n) for n in parsed)
    out = [f"## `{group.name}`", "", f"Options: {names}.", ""]
    if all(c.package_global for c in parsed.values()):
        if group.name == "experiment":
            for name, config in parsed.items():
                out += [f"### `experiment={name}`", "", config.description, ""]
                bases = [n for n, v, _ in config.defaults if not v and n != "_self_"]
                if bases:
                    out += ["Builds on " + ", ".join(f"`experiment={b}`" for b in bases)
                            + ", then sets:", ""]
                if config.usage:
                    out += ["```bash", *config.usage, "```", ""]
                rows = [Key(n.removeprefix("override ").lstrip("/"), v, "(config group)")
                        for n, v, _ in config.defaults if v]
                rows += config.keys
                if rows:
                    out += [*_key_table(rows, header="value"), ""]
            return out
        out += ["Each option overrides keys of other groups (a `@package _global_` file):", "",
                "| option | | overrides |", "|---|---|---|"]
        for name, config in parsed.items():
            out.append(f"| `{group.name}={name}` | {_cell(config.description)} "
                       f"| {_override_list(config)} |")
        return [*out, ""]
    for name, config in parsed.items():
        out += [f"### `{group.name}={name}`", ""]
        if config.description:
            out += [config.description, ""]
        out += [*_key_table(config.keys, f"{group.name}."), ""]
    return out


# ------------------------------------------------------------------- the launcher's and sweeper's


def _dataclass_keys(source: Path, class_name: str) -> tuple[str, list[Key]]:
    """A structured config's fields: name, default (as YAML) and their comments."""
    lines = source.read_text().splitlines()
    tree = ast.parse(source.read_text())
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == class_name)
    keys: list[Key] = []
    pending: list[str] = []
    for line in lines[node.body[0].lineno - 1: node.end_lineno]:
        code, comment, _ = _split_comment(line)
        comment = re.sub(r"^noqa: [A-Z0-9, ]+(\([^)]*\))?\s*-?\s*", "", comment).strip()
        if not code.strip():
            pending.append(comment)
            continue
        match = re.match(r"\s+(\w+): [^=]+= (.+?),?$", code)
        if match is None:
            if code.strip().startswith(("default_factory", ")")):  # a field(...) spanning lines
                continue
            pending = []
            continue
        name, value = match.groups()
        if name.startswith("_"):
            pending = []
            continue
        keys.append(Key(name, _python_value(value), " ".join([*pending, comment]).strip()))
        pending = []
    return class_name, keys


def _python_value(text: str) -> str:
    if text.startswith("field("):
        return "{}"
    value = ast.literal_eval(text)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _plugin_sections() -> list[str]:
    out = []
    for title, source, class_name, intro in [
        ("hydra/launcher=stacked", PLUGINS / "sweepnet_launcher" / "stacked_launcher.py",
         "StackedLauncherConf",
         "sweepnet's launcher, the default for sweeps: keys `hydra.launcher.*` "
         "([Stacks](stacks.md), [Cluster](cluster.md))."),
        ("hydra/sweeper=search", PLUGINS / "sweepnet_search" / "search_sweeper.py",
         "SearchSweeperConf",
         "sweepnet's search sweeper (the `search` extra): keys `hydra.sweeper.*` "
         "([Search](search.md))."),
    ]:
        _, keys = _dataclass_keys(source, class_name)
        prefix = "hydra.launcher." if "launcher" in title else "hydra.sweeper."
        out += [f"## `{title}`", "", intro, "", *_key_table(keys, prefix), ""]
    return out


def config_reference() -> str:
    groups = [p for p in CONF.iterdir() if p.is_dir() and not p.name.startswith("_")]
    order = {name: i for i, name in enumerate(GROUP_ORDER)}
    groups.sort(key=lambda p: (order.get(p.name, len(order)), p.name))
    out = _root_section() + [""]
    for group in groups:
        out += _group_section(group)
    out += _plugin_sections()
    return "\n".join(out)


# ---------------------------------------------------------------------------- public names


def public_api() -> str:
    """``sweepnet``'s lazily imported names (``_WHERE`` in its ``__init__``), linked."""
    tree = ast.parse(PACKAGE_INIT.read_text())
    where: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "_WHERE" for t in node.targets):
            for key, value in zip(node.value.keys, node.value.values):
                if key is None:  # **dict.fromkeys([...], ".module")
                    names, module = value.args
                    for name in ast.literal_eval(names):
                        where[name] = ast.literal_eval(module)
                else:
                    where[ast.literal_eval(key)] = ast.literal_eval(value)
    if not where:
        raise RuntimeError(f"no _WHERE table found in {PACKAGE_INIT}")
    rows = ["| `import sweepnet` | is | documented in |", "|---|---|---|"]
    for name in sorted(where, key=str.lower):
        module = "sweepnet" + where[name]
        rows.append(f"| `sweepnet.{name}` | [`{module}.{name}`][{module}.{name}] "
                    f"| `{module}` |")
    return "\n".join(rows)


# ---------------------------------------------------------------------------- command help


def cli_help(command: list[str]) -> str:
    name = command[0]
    script = Path(sys.executable).parent / name
    executable = str(script) if script.exists() else shutil.which(name)
    if executable is None:
        raise RuntimeError(f"docs: the command {name!r} is not installed (pip install .)")
    env = {**os.environ, "COLUMNS": "88", "NO_COLOR": "1", "TERM": "dumb"}
    done = subprocess.run([executable, *command[1:], "--help"], capture_output=True, text=True,
                          timeout=120, env=env, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"docs: {' '.join(command)} --help exited {done.returncode}: "
                           f"{done.stderr.strip()[-2000:]}")
    return f"```text\n$ {' '.join(command)} --help\n{done.stdout.rstrip()}\n```"


# ---------------------------------------------------------------------------- the MkDocs hook


def _replace(match: re.Match) -> str:
    what = match.group(1)
    if what == "config-reference":
        return config_reference()
    if what == "public-api":
        return public_api()
    return cli_help(what.removeprefix("cli-help:").split())


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001 (MkDocs' hook)
    return MARKER.sub(_replace, markdown)

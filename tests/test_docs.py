"""The documentation keeps its promises: every Python example runs as written on a plain
install, the site builds with ``mkdocs build --strict``, and the README stays a short
front page with its two commands near the top (CI greps them)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
#: the example plugin's components: a plain ``pip install .`` does not have them
PLUGIN_NAMES = re.compile(r"\b(swish|gelu|spirals)\b", re.I)
MAIN_JOB = "pip install . && sweepnet experiment=lr_sweep"
TEST_COMMAND = 'pip install ".[test]" && python -m pytest -q'
TEST_MARKER = "<!-- test-command: .ci/run runs the next line exactly -->"
EXAMPLE_TIMEOUT = 300  # seconds; the examples train small networks for a few hundred epochs


def python_blocks(page: Path) -> list[str]:
    return PYTHON_BLOCK.findall(page.read_text())


PAGES = sorted(p.relative_to(ROOT) for p in DOCS.rglob("*.md") if python_blocks(p))


def run_as_one_script(blocks: list[str], tmp_path: Path) -> None:
    """Run ``blocks`` in order as one script, from an empty folder, in a fresh interpreter.

    A warning that scikit-learn turns a failed fit into (``GridSearchCV``), or that a fit
    did not converge, fails it as a traceback does: an example must work, not merely
    finish. (Python's ``-W`` cannot name a category of a module not yet imported, so
    the warnings are read from stderr, where Python prints them.)
    """
    assert blocks, "no ```python blocks"
    script = tmp_path / "examples.py"
    script.write_text("\n\n".join(blocks))
    cwd = tmp_path / "empty"
    cwd.mkdir()
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "default"}
    done = subprocess.run([sys.executable, str(script)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=EXAMPLE_TIMEOUT)
    numbered = "\n".join(f"{i:4} {line}" for i, line in
                         enumerate(script.read_text().splitlines(), 1))
    problems = [word for word in ("Traceback", "FitFailedWarning", "ConvergenceWarning")
                if word in done.stderr]
    assert done.returncode == 0 and not problems, (
        f"the examples failed (exit {done.returncode}; {', '.join(problems)}):\n"
        f"{done.stderr[-4000:]}\n--- the script ---\n{numbered}")


def test_the_readme_examples_run_as_one_script_from_an_empty_folder(tmp_path):
    run_as_one_script(python_blocks(README), tmp_path)


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_each_pages_examples_run_as_one_script_from_an_empty_folder(page, tmp_path):
    run_as_one_script(python_blocks(ROOT / page), tmp_path)


@pytest.mark.parametrize("page", [README.relative_to(ROOT), *PAGES], ids=str)
def test_examples_use_no_plugin_a_plain_install_lacks(page):
    for block in python_blocks(ROOT / page):
        assert not PLUGIN_NAMES.search(block), (
            f"{page}: an example names the example plugin's components, which a plain "
            f"'pip install .' does not have:\n{block}")


def test_the_readme_is_short_and_starts_with_the_two_commands():
    lines = README.read_text().splitlines()
    assert len(lines) < 300, f"README.md has {len(lines)} lines; the rest belongs in docs/"
    top = lines[:60]
    assert MAIN_JOB in top, f"{MAIN_JOB!r} is not a line of README.md's first 60"
    marker = top.index(TEST_MARKER)  # .ci/run greps the line after it
    assert top[marker + 1:marker + 3] == ["```bash", TEST_COMMAND]


def test_the_readmes_links_and_figures_exist():
    targets = re.findall(r"\]\(([^)\s]+)\)", README.read_text())
    local = [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:", t) and t[0] != "#"]
    assert "docs/report.png" in local
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"
    assert "shared/seeds" not in README.read_text()


def test_the_site_builds_strict_with_generated_references(tmp_path):
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
        pytest.importorskip(module, reason='the docs extra: pip install ".[docs]"')
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                           "--site-dir", str(site)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    config = (site / "config" / "index.html").read_text()
    conf = ROOT / "src" / "sweepnet" / "conf"
    for option in conf.glob("*/*.yaml"):  # every group's every option, from the YAML files
        assert f"{option.parent.name}={option.stem}" in config, option
    assert "report.format" in config and "hydra.launcher.workers" in config
    commands = (site / "commands" / "index.html").read_text()
    for command in ("sweepnet-report", "sweepnet-compare", "sweepnet-export", "sweepnet-plugins"):
        assert f"usage: {command}" in commands, command
    assert (site / "report.png").exists() and (site / "api" / "training" / "index.html").exists()
    assert not (site / "hooks").exists() and not (site / "make_figures.py").exists()

"""report.html, index.html and sweepnet-compare: what the pages hold, and the pages in a
real headless Chromium (Debian's ``chromium``, driven by Playwright).

The browser tests skip with the reason where Chromium or Playwright is missing,
unless ``SWEEPNET_REQUIRE_BROWSER=1`` (CI), where that is a failure. Screenshots
are kept in ``$SWEEPNET_ARTIFACTS`` (default ``test-artifacts/`` at the top of
the checkout).
"""

import html
import os
import re
import shlex
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import sweepnet as sn
from conftest import refusing_huge_activations
from sweepnet.analysis.compare import compare
from sweepnet.analysis.compare import main as compare_main
from sweepnet.analysis.index import write_index
from sweepnet.analysis.report import main as report_main
from sweepnet.runner.app import main

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("SWEEPNET_ARTIFACTS", ROOT / "test-artifacts"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("SWEEPNET_REQUIRE_BROWSER") == "1"
GRID = ["optimizer.lr=0.5,2", "seed=0,1", "trainer.epochs=40"]


class Page(HTMLParser):
    """What a page refers to: its images, links, scripts, styles and tables' rows."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.images, self.links, self.sources, self.rows = [], [], [], {}
        self.table = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "a":
            self.links.append(attrs["href"])
        if tag in ("script", "link", "iframe", "object") and (attrs.get("src")
                                                               or attrs.get("href")):
            self.sources.append(attrs.get("src") or attrs.get("href"))
        if tag == "table":
            self.table = attrs.get("id")
            self.rows[self.table] = 0
        if tag == "tr" and self.table is not None:
            self.rows[self.table] += 1


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    """A grid (lr × seed), the same grid with momentum, a sweep with a diverged and a
    failed job, and a single run, under one ``outputs`` folder."""
    root = tmp_path_factory.mktemp("pages") / "outputs"

    with refusing_huge_activations():
        assert main(["-m", *GRID, f"hydra.sweep.dir={root / 'grid'}"]) == 0
        assert main(["-m", *GRID, "optimizer.momentum=0.5",
                     f"hydra.sweep.dir={root / 'momentum'}"]) == 0
        assert main(["-m", "model.hidden=[4],[8]", "trainer.epochs=20",
                     f"hydra.sweep.dir={root / 'widths'}"]) == 0
        assert main(["-m", "loss=mse", "model.output=null", "trainer.epochs=20",
                     "model.activation=refuses_huge", "optimizer.lr=0.5,1e9",
                     f"hydra.sweep.dir={root / 'trouble'}"]) == 0  # one job fails
        assert main(["loss=mse", "model.output=null", "trainer.epochs=20",
                     "optimizer.lr=1e300", f"hydra.sweep.dir={root / 'unused'}",
                     f"hydra.run.dir={root / 'runs' / 'diverged'}"]) == 0
    return root


def page(path: Path) -> tuple[str, Page]:
    text = path.read_text()
    return text, Page(text)


# --------------------------------------------------------------------------- what the pages hold

def test_every_sweep_and_run_writes_a_self_contained_page(sweeps):
    for directory in ("grid", "momentum", "trouble", "runs/diverged"):
        text, parsed = page(sweeps / directory / "report.html")
        figures = sorted((sweeps / directory).glob("*.png"))
        assert figures and len(parsed.images) == len(figures), directory
        assert all(src.startswith("data:image/png;base64,") for src in parsed.images)
        assert parsed.sources == []  # no script, style or frame from anywhere
        assert not re.search(r"(src|href)=\"(https?:)?//", text)
        for link in parsed.links:  # links lead to files next to the page
            assert not link.startswith(("http:", "https:")), link
    assert not (sweeps / "grid" / "0" / "report.html").exists()  # job pages on demand


def test_a_sweep_page_shows_its_runs_groups_verdicts_and_command(sweeps):
    text, parsed = page(sweeps / "grid" / "report.html")
    summary = pd.read_csv(sweeps / "grid" / "sweep_summary.csv")
    groups = pd.read_csv(sweeps / "grid" / "sweep_groups.csv")
    assert parsed.rows["runs-table"] == len(summary) + 1  # a header row and one per run
    assert parsed.rows["groups-table"] == len(groups) + 1
    assert {"0/", "1/", "2/", "3/"} <= set(parsed.links)
    for reason in summary["stuck_reason"].dropna():
        assert reason.replace("'", "&#x27;") in text
    command = re.search(r"<pre>(sweepnet -m [^<]*)</pre>", text).group(1)
    assert command == shlex.join(["sweepnet", "-m", *GRID, f"hydra.sweep.dir={sweeps / 'grid'}"])


def test_the_command_on_a_page_writes_the_same_sweep(sweeps, workdir):
    text, _ = page(sweeps / "momentum" / "report.html")
    words = shlex.split(re.search(r"<pre>(sweepnet -m [^<]*)</pre>", text).group(1)
                        .replace("&#x27;", "'"))
    again = [w for w in words[1:] if not w.startswith("hydra.sweep.dir=")]
    assert main([*again, f"hydra.sweep.dir={workdir / 'again'}"]) == 0
    columns = ["job", "optimizer.lr", "seed", "final_loss", "final_val_loss", "epochs"]
    pd.testing.assert_frame_equal(
        pd.read_csv(workdir / "again" / "sweep_summary.csv")[columns],
        pd.read_csv(sweeps / "momentum" / "sweep_summary.csv")[columns])


def test_failed_and_diverged_runs_are_listed_with_their_errors(sweeps):
    text, _ = page(sweeps / "trouble" / "report.html")
    problems = text[text.index('id="problems"'):]
    assert "job 1 (" in problems and "failed" in problems
    assert "activation too large for this plugin" in problems
    text, _ = page(sweeps / "runs" / "diverged" / "report.html")
    assert "diverged" in text and 'id="config"' in text and "lr: 1.0e+300" in text


def test_a_job_page_is_written_on_demand_and_linked_from_the_sweep(sweeps, capsys):
    assert report_main([str(sweeps / "grid" / "2")]) == 0
    text, parsed = page(sweeps / "grid" / "2" / "report.html")
    assert len(parsed.images) == len(list((sweeps / "grid" / "2").glob("*.png")))
    assert "history.csv" in parsed.links and 'id="config"' in text
    assert report_main([str(sweeps / "grid")]) == 0
    _, parsed = page(sweeps / "grid" / "report.html")
    assert "2/report.html" in parsed.links and "1/" in parsed.links


def test_the_index_lists_every_run_and_sweep_with_links_that_exist(sweeps, capsys):
    assert report_main(["--index", str(sweeps)]) == 0
    text, parsed = page(sweeps / "index.html")
    assert parsed.rows["index-table"] == 1 + 5  # grid, momentum, widths, trouble, runs/diverged
    for link in [lnk for lnk in parsed.links if not lnk.endswith(".csv")]:
        assert (sweeps / link).exists(), link
    assert "grid/report.html" in parsed.links and "runs/diverged/report.html" in parsed.links
    grid = pd.read_csv(sweeps / "grid" / "sweep_summary.csv")
    assert f"{grid['final_loss'].min():.4g}" in text  # the best result
    assert "hydra.sweep.dir=" in text


def test_runs_under_the_default_outputs_refresh_its_index(workdir, capsys):
    assert main(["-m", "optimizer.lr=0.5,1", "trainer.epochs=5"]) == 0
    first = Page((workdir / "outputs" / "index.html").read_text())
    assert first.rows["index-table"] == 2
    assert main(["trainer.epochs=5"]) == 0
    second = Page((workdir / "outputs" / "index.html").read_text())
    assert second.rows["index-table"] == 3
    assert any(link.startswith("runs/") for link in second.links)


def test_open_shows_the_page_in_the_browser_the_user_set(sweeps, tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f"#!/bin/sh\necho \"$1\" > {opened}\n")
    browser.chmod(0o755)
    command = Path(sys.executable).with_name("sweepnet-report")
    done = subprocess.run([str(command), str(sweeps / "momentum"), "--open"],
                          env={**os.environ, "BROWSER": str(browser)}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert opened.read_text().strip() == (sweeps / "momentum" / "report.html").as_uri()


def test_the_report_command_needs_one_directory(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        report_main([])
    assert exit_.value.code == 2 and "--index DIR" in capsys.readouterr().err
    assert report_main(["--index", str(tmp_path / "none")]) == 2
    assert "no directory" in capsys.readouterr().err
    write_index(tmp_path)  # an empty folder: a page that says so
    assert "No run or sweep" in (tmp_path / "index.html").read_text()


# --------------------------------------------------------------------------- comparisons

def test_compare_stacks_the_tables_and_overlays_the_figures(sweeps, tmp_path):
    done = compare([sweeps / "grid", sweeps / "momentum"], tmp_path / "cmp")
    assert done.shared == ["optimizer.lr"]
    for name in ("history", "summary", "groups", "plateaus"):
        table = pd.read_csv(tmp_path / "cmp" / f"compare_{name}.csv")
        if name == "groups":  # groups across the sweeps: one per sweep and rate
            assert len(table) == 4 and set(table["sweep"]) == {"grid", "momentum"}
            continue
        assert list(table.columns[:1]) == ["sweep"]
        for sweep in ("grid", "momentum"):
            own = pd.read_csv(sweeps / sweep / f"sweep_{name}.csv")
            mine = table[table["sweep"] == sweep].drop(columns="sweep")
            if name == "summary":
                mine, own = mine.drop(columns="group"), own.drop(columns="group")
            pd.testing.assert_frame_equal(mine.reset_index(drop=True)[own.columns], own,
                                          check_dtype=False)
    drawn = {f.name for f in done.files}
    assert {"loss_curves.png", "convergence.png", "report.html"} <= drawn
    assert all((tmp_path / "cmp" / name).stat().st_size > 0 for name in drawn)
    _, parsed = page(tmp_path / "cmp" / "report.html")
    assert len(parsed.images) == len(list((tmp_path / "cmp").glob("*.png")))
    assert parsed.rows["runs-table"] == 1 + 8


def test_the_overlaid_curves_hold_every_sweeps_groups(sweeps, tmp_path):
    from sweepnet.analysis.compare import _figures, _stacked
    from sweepnet.analysis.plots.style import artists

    done = compare([sweeps / "grid", sweeps / "momentum"], tmp_path / "cmp")
    task = next(t for t in _figures(done.sweeps, _stacked(done.sweeps, "summary"),
                                    done.history, done.plateaus, done.shared, ["seed"])
                if t.name == "loss_curves.png")
    figure = task.draw(*task.args, path=tmp_path / "curves.png", **task.kwargs)
    lines = [line for ax in figure.axes for line in artists(ax, "curve")]
    assert len(lines) == 4  # two rates (panels) × two sweeps (colours), overlaid by rate
    for ax in figure.axes:
        if artists(ax, "curve"):
            assert len(artists(ax, "curve")) == 2


@pytest.mark.parametrize("case", ["nothing shared", "a run", "out is a sweep", "one sweep"])
def test_compare_refuses_and_writes_nothing(sweeps, tmp_path, capsys, case):
    out = tmp_path / "cmp"
    args = {"nothing shared": [sweeps / "grid", sweeps / "widths"],
            "a run": [sweeps / "grid", sweeps / "runs" / "diverged"],
            "out is a sweep": [sweeps / "grid", sweeps / "momentum"],
            "one sweep": [sweeps / "grid"]}[case]
    if case == "out is a sweep":
        out = sweeps / "trouble"
    before = sorted(p.name for p in out.iterdir()) if out.exists() else None
    assert compare_main([*map(str, args), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sweepnet-compare: error: ") and err.count("\n") == 1
    assert (sorted(p.name for p in out.iterdir()) if out.exists() else None) == before
    if case == "nothing shared":
        assert "share no swept parameter" in err and "model.hidden" in err \
            and "optimizer.lr" in err


# --------------------------------------------------------------------------- in a real browser

@pytest.fixture(scope="module")
def browser():
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "Playwright is not installed (pip install playwright)"
    if reason is None and CHROMIUM is None:
        reason = "no chromium on PATH (Debian: apt-get install chromium)"
    if reason is not None:
        if REQUIRED:
            pytest.fail(f"SWEEPNET_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


def load_in_browser(browser, path: Path, name: str):
    """Open ``path``; return the page, its console errors and every URL it requested."""
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, requests = [], []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("request", lambda r: requests.append(r.url))
    tab.goto(path.as_uri(), wait_until="load")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 0
    return tab, errors, requests


def column_values(tab, table: str, column: str) -> list[str]:
    return tab.evaluate("""([table, column]) => {
        const t = document.getElementById(table);
        const i = [...t.tHead.rows[0].cells].findIndex(c => c.textContent === column);
        return [...t.tBodies[0].rows].map(r => r.cells[i].getAttribute('data-value')
                                              ?? r.cells[i].textContent);
    }""", [table, column])


@pytest.mark.parametrize("which", ["grid", "trouble", "runs/diverged", "index", "compare"])
def test_pages_load_offline_with_every_figure_drawn(browser, sweeps, tmp_path, which):
    if which == "index":
        path = write_index(sweeps)
    elif which == "compare":
        path = compare([sweeps / "grid", sweeps / "momentum"], tmp_path / "cmp").files[-1]
    else:
        path = sweeps / which / "report.html"
    tab, errors, requests = load_in_browser(browser, path, which.replace("/", "-"))
    assert errors == []
    assert requests and all(url.startswith("file://") for url in requests), requests
    sizes = tab.evaluate("""() => [...document.images].map(i => [i.naturalWidth,
        i.getBoundingClientRect().width, i.getBoundingClientRect().height])""")
    assert len(sizes) == len(Page(path.read_text()).images)
    assert all(natural > 0 and width > 0 and height > 0 for natural, width, height in sizes)
    tab.close()


@pytest.mark.parametrize("column", ["final_loss", "stuck_reason", "seed"])
def test_a_click_on_a_column_sorts_the_table(browser, sweeps, column):
    tab, errors, _ = load_in_browser(browser, sweeps / "grid" / "report.html", "sorted")
    header = tab.locator("#runs-table th", has_text=re.compile(f"^{re.escape(column)}$"))
    summary = pd.read_csv(sweeps / "grid" / "sweep_summary.csv")
    numeric = pd.api.types.is_numeric_dtype(summary[column])

    def key(values):
        return [float(v) for v in values] if numeric else values

    before = key(column_values(tab, "runs-table", column))
    assert before != sorted(before)  # else sorting could not be seen
    header.click()
    up = key(column_values(tab, "runs-table", column))
    assert up == sorted(key([str(v) if not numeric else repr(float(v))
                             for v in summary[column]]))
    header.click()
    assert key(column_values(tab, "runs-table", column)) == up[::-1]
    assert errors == []
    tab.close()


def test_a_sweep_records_its_command_as_typed_even_in_multirun_mode_set_by_config(workdir):
    """``hydra.mode=MULTIRUN`` (as the presets set it) once made multirun.yaml unreadable (a
    Python object tag), so the sweep's settings were lost."""
    from sweepnet import rundir

    args = ["hydra.mode=MULTIRUN", "optimizer.lr=0.5,1", "trainer.epochs=5"]
    assert main([*args, "hydra.sweep.dir=s"]) == 0
    assert rundir.sweep_config(workdir / "s")["hydra"]["mode"] == "MULTIRUN"
    assert sn.analysis.load("s").command == shlex.join(["sweepnet", "-m", *args,
                                                        "hydra.sweep.dir=s"])


def test_the_command_of_a_sweep_without_its_record_is_rebuilt_from_its_jobs(tmp_path):
    from sweepnet.results import command

    jobs = [[f"optimizer.lr={lr}", f"seed={seed}", "trainer.epochs=5"]
            for lr in ("0.5", "2") for seed in (0, 1)]
    assert command(tmp_path, jobs, True) == (f"sweepnet -m trainer.epochs=5 optimizer.lr=0.5,2 "
                                             f"seed=0,1 hydra.sweep.dir={tmp_path}")


def test_a_sweep_over_a_renamed_key_in_an_odd_folder_gives_a_command_that_runs(workdir):
    """``loss`` is renamed ``loss (config)`` in the tables; a folder with a space, ``#``
    and ``é`` must be quoted for Hydra: the page's command still writes the same sweep."""
    args = ["loss=bce_with_logits,mse", "model.output=null", "trainer.epochs=5"]
    odd = workdir / "my sweeps #1 é"
    assert main(["-m", *args, f"hydra.sweep.dir='{odd}'"]) == 0
    text, _ = page(odd / "report.html")
    words = shlex.split(html.unescape(re.search(r"<pre>(sweepnet -m [^<]*)</pre>", text)
                                      .group(1)))
    assert words[2:5] == args  # as typed, not rebuilt
    again = workdir / "again"
    assert main([w.replace(str(odd), str(again)) for w in words[1:]]) == 0
    columns = ["job", "loss (config)", "final_loss"]
    pd.testing.assert_frame_equal(pd.read_csv(again / "sweep_summary.csv")[columns],
                                  pd.read_csv(odd / "sweep_summary.csv")[columns])


def test_index_links_reach_folders_with_spaces_and_hashes(workdir):
    from urllib.parse import unquote

    assert main(["trainer.epochs=3", f"hydra.run.dir='{workdir / 'runs' / 'a #1'}'"]) == 0
    _, parsed = page(write_index(workdir))
    (link,) = [lnk for lnk in parsed.links if "report.html" in lnk]
    assert "#" not in link and (workdir / unquote(link)).is_file()


def test_sweeps_whose_jobs_all_failed_are_compared_without_curves(workdir, capsys):
    with refusing_huge_activations():
        for name in ("a", "b"):
            assert main(["-m", "model.activation=refuses_huge", "optimizer.lr=1e9,2e9",
                         "loss=mse", "model.output=null", "trainer.epochs=3",
                         f"hydra.sweep.dir={name}"]) == 0
    assert compare_main(["a", "b", "--out", "cmp"]) == 0
    summary = pd.read_csv(workdir / "cmp" / "compare_summary.csv")
    assert set(summary["status"]) == {"failed"} and len(summary) == 4
    assert (workdir / "cmp" / "report.html").is_file()
    assert compare_main(["a", "b", "--out", "a/inside"]) == 2  # never into a sweep
    assert "inside a sweep directory" in capsys.readouterr().err
    assert not (workdir / "a" / "inside").exists()

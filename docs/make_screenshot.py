"""Regenerate the screenshot of a sweep's report.html that the README and docs show.

    python docs/make_screenshot.py

Runs the README's main job (``sweepnet experiment=lr_sweep``) into a temporary
directory, opens its ``report.html`` in headless Chromium (Debian's
``chromium``, driven by Playwright: ``pip install ".[test]"``) and saves the top
of the page as ``docs/report.png``.
"""

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from sweepnet.runner.app import main

DOCS = Path(__file__).resolve().parent
VIEW = {"width": 1280, "height": 1000}


def screenshot(page: Path, target: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("no chromium on PATH (Debian: apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        tab = browser.new_page(viewport=VIEW)
        tab.goto(page.as_uri(), wait_until="load")
        tab.screenshot(path=target)
        browser.close()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        sweep_dir = Path(scratch) / "lr_sweep"
        if main(["experiment=lr_sweep", f"hydra.sweep.dir={sweep_dir}"]) != 0:
            sys.exit("the sweep failed")
        screenshot(sweep_dir / "report.html", DOCS / "report.png")
    print(f"wrote {DOCS / 'report.png'}")

"""Hydra callback: when a sweep ends, gather its run directories into tables and plots."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger("sweepnet")


def _import_plots() -> None:
    from ..analysis import plots  # noqa: F401  (matplotlib, for the report at the end)


class SweepReport(Callback):
    """Write the sweep's tables and plots into its directory (``sweepnet-report``'s work).

    Runs in the launching process after every job has finished, whichever
    launcher ran them; everything is built from the run directories on disk.
    matplotlib is imported in a background thread while the first jobs run,
    so the report at the end does not wait for it.
    """

    def __init__(self) -> None:
        self._warm: threading.Thread | None = None

    def __getstate__(self) -> dict:  # launchers pickle the callbacks; a thread does not pickle
        return {"_warm": None}

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._warm = threading.Thread(target=_import_plots, name="sweepnet-import-plots",
                                      daemon=True)
        self._warm.start()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from ..analysis.report import problem_lines, report, report_options, summary_text

        if self._warm is not None:
            self._warm.join()
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        start = time.perf_counter()
        done = report(sweep_dir, **report_options(config))
        for line in problem_lines(done.sweep):
            log.warning(line)
        if done.sweep.summary.empty:
            log.warning(f"no finished runs in {sweep_dir}")
            return
        log.info(f"sweep summary:\n{summary_text(done.sweep)}")
        log.info(f"wrote {sweep_dir} in {time.perf_counter() - start:.2f} s: "
                 f"{', '.join(f.name for f in done.files)}")

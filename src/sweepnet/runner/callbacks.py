"""Hydra callback: when a sweep ends, gather its run directories into tables and plots."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger("sweepnet")


class SweepReport(Callback):
    """Write the sweep's tables and plots into its directory (``sweepnet-report``'s work).

    Runs in the launching process after every job has finished, whichever
    launcher ran them; everything is built from the run directories on disk.
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from ..analysis.report import report, report_options, summary_text

        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        done = report(sweep_dir, **report_options(config))
        if done.results.summary.empty:
            log.warning(f"no finished runs in {sweep_dir}")
            return
        log.info(f"sweep summary ({sweep_dir}):\n{summary_text(done.results)}")
        log.info("wrote " + ", ".join(f.name for f in done.files))

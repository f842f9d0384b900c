"""Hydra callback: when a sweep ends, gather its run directories into tables."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger("sweepnet")


class SweepTables(Callback):
    """Write ``sweep_history.csv`` and ``sweep_summary.csv`` into the sweep directory.

    Runs in the launching process after every job has finished, whichever
    launcher ran them; the tables are built from the run directories on disk.
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from ..results import write_tables

        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        results = write_tables(sweep_dir)
        if results.summary.empty:
            log.warning(f"no finished runs in {sweep_dir}")
            return
        shown = results.summary.drop(columns=["error"], errors="ignore")
        log.info(f"sweep summary ({sweep_dir}):\n{shown.to_string(index=False)}")
        log.info(f"tables: {sweep_dir / 'sweep_summary.csv'}, {sweep_dir / 'sweep_history.csv'}")

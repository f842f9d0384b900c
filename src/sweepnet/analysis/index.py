"""``index.html``: every run and sweep under a folder on one page.

One row per run or sweep directory found under the folder (a sweep's jobs are
its own, not listed apart): when it last wrote a result, its kind, the command
that writes it again, how many runs, their statuses, its best result and a link
to its ``report.html`` (to the directory while it has none), and the disk it
takes. Read from each run's ``result.json`` (no history, no analysis), so the
page is quick to refresh even for hundreds of sweeps. The table sorts by any
column (newest first at the start).

``sweepnet-report --index DIR`` writes ``DIR/index.html``; every run and sweep
written under a folder named ``outputs`` (sweepnet's default) refreshes that
folder's page (:func:`refresh_outputs`).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from .. import rundir
from ..results import command
from . import html
from .report_page import status_counts

#: the folder name under which every run and sweep refreshes the folder's index
OUTPUTS = "outputs"
#: folders the search for runs does not enter
SKIPPED = {rundir.HYDRA_DIR, ".git", "__pycache__", "node_modules"}


def find(root: Path) -> list[Path]:
    """The run and sweep directories under ``root`` (itself included), not entering them."""
    found = []
    for where, dirs, _ in os.walk(root):
        path = Path(where)
        if rundir.kind_of(path) is not None:
            found.append(path)
            dirs.clear()
        else:
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED and not d.startswith("."))
    return found


def entry(path: Path, root: Path) -> dict:
    """One row of the index: what ``path`` (a run or sweep directory) holds."""
    is_sweep = rundir.kind_of(path) == rundir.SWEEP
    run_dirs = rundir.job_dirs(path) if is_sweep else [path]
    records, times = [], []
    for run_dir in run_dirs:
        record = rundir.read_result(run_dir)
        if record is not None:
            records.append(record)
            times.append((run_dir / rundir.RESULT).stat().st_mtime)
    statuses = pd.Series([r.get("status") for r in records], dtype=object)
    counts = status_counts(statuses)
    finals = [(r.get("final") or {}) for r in records if r.get("status") == rundir.OK]
    page = path / rundir.REPORT_PAGE
    link = quote(path.relative_to(root).as_posix())  # a folder named "a #1" links whole
    when = max(times, default=path.stat().st_mtime)
    return {
        "when": datetime.fromtimestamp(when).strftime("%Y-%m-%d %H:%M"),
        "kind": rundir.SWEEP if is_sweep else rundir.RUN,
        "directory": path.relative_to(root).as_posix() + "/",
        "runs": len(run_dirs),
        "disk_MB": _disk_use(path) / 1e6,
        **{status: counts[status] for status in rundir.STATUSES},
        "unfinished": len(run_dirs) - len(records),
        "best_loss": _best([f.get("loss") for f in finals], min),
        "best_val_accuracy": _best([f.get("val_accuracy") for f in finals], max),
        "command": command(path, [r.get("overrides") or [] for r in records], is_sweep),
        "_href": (f"{link}/{rundir.REPORT_PAGE}" if page.is_file() else f"{link}/"),
        "_when": when,
    }


def _disk_use(path: Path) -> int:
    """The bytes of every file under ``path``."""
    return sum((Path(where) / name).stat().st_size for where, _, names in os.walk(path)
               for name in names)


def _best(values: list, pick) -> float:
    finite = [float(v) for v in values if isinstance(v, (int, float)) and np.isfinite(v)]
    return pick(finite) if finite else np.nan


def write_index(root: str | Path) -> Path:
    """Write ``root/index.html`` listing every run and sweep under ``root``."""
    root = Path(root)
    rows = [entry(path, root) for path in find(root) if path != root]
    frame = pd.DataFrame(rows)
    if frame.empty:
        body = "<p>No run or sweep under this folder yet.</p>"
    else:
        frame = frame.sort_values("_when", ascending=False, kind="stable")
        links = list(frame["_href"])
        frame = frame.drop(columns=["_href", "_when"])
        empty = [s for s in (*rundir.STATUSES, "unfinished") if not frame[s].any()]
        frame = frame.drop(columns=empty)  # a status no run has: no column
        body = html.table(frame, "click a column's name to sort", {"directory": links},
                          table_id="index-table")
    subtitle = f"{html.escape(root.resolve())} &middot; {len(rows)} runs and sweeps"
    text = html.page(f"sweepnet outputs: {root.resolve().name}", subtitle,
                     [html.section("Runs and sweeps", body, "index")])
    target = root / rundir.INDEX_PAGE
    rundir.write_atomic(target, lambda path: path.write_text(text, encoding="utf-8"))
    return target


def refresh_outputs(path: str | Path) -> Path | None:
    """Rewrite the index of the ``outputs`` folder ``path`` lies under (None: it does not)."""
    path = Path(path).absolute()
    outputs = next((p for p in [path, *path.parents] if p.name == OUTPUTS), None)
    return None if outputs is None else write_index(outputs)


__all__ = ["OUTPUTS", "entry", "find", "refresh_outputs", "write_index"]

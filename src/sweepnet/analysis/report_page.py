"""What a run's or a sweep's ``report.html`` shows (the markup is :mod:`.html`'s).

A sweep's page: the command that writes it again and what it swept and kept
fixed; the verdicts with their reasons; the groups and the runs as sortable
tables (each run linked to its directory, or to its own page once
``sweepnet-report SWEEP/JOB`` wrote one); every figure; the jobs that failed,
diverged, were interrupted or are unfinished, with their errors; the tables'
files. A run's page: its command, verdict, metrics, figures, config and files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import rundir
from . import html
from .sweep import Sweep

#: the runs table's columns, after ``job`` and the swept parameters (those present)
RUN_COLUMNS = ["status", "final_loss", "final_val_loss", "final_val_accuracy", "epochs",
               "ending", "convergence_epoch", "n_plateaus", "stuck", "stuck_reason",
               "wall_time"]
#: a run's metrics shown on its page (those present)
RUN_METRICS = ["status", "final_loss", "best_loss", "final_val_loss", "best_val_loss",
               "final_val_accuracy", "best_val_accuracy", "epochs", "wall_time", "ending",
               "convergence_epoch", "n_plateaus", "stuck", "stuck_reason", "constant_loss",
               "linear_loss", "effective_lr", "updates_per_epoch"]
#: statuses whose runs the page lists as problems, with their errors
TROUBLE = (rundir.FAILED, rundir.DIVERGED, rundir.INTERRUPTED)


def status_counts(statuses: pd.Series) -> dict[str, int]:
    counts = statuses.value_counts()
    return {status: int(counts.get(status, 0)) for status in rundir.STATUSES}


def sweep_page(sweep: Sweep, figures: list[Path], verdicts: list[str]) -> str:
    """The page of a sweep directory (its figures already drawn)."""
    summary = sweep.summary
    subtitle = (f"{html.escape(sweep.path)} &middot; {len(summary)} runs "
                f"{html.badges(status_counts(summary['status']))}"
                + (f' <span class="badge">unfinished {len(sweep.missing)}</span>'
                   if sweep.missing else ""))
    return html.page(f"sweep {sweep.path.name}", subtitle, [
        html.section("Command", html.pre(sweep.command) + _swept(sweep), "command"),
        html.section("Verdicts", html.items(line for line in verdicts if line)
                     + _plateaus(sweep), "verdicts"),
        html.section("Groups", html.table(sweep.groups, "one row per group of replicates",
                                          table_id="groups-table")
                     if sweep.roles.aggregated and not sweep.groups.empty else "", "groups"),
        html.section("Runs", _runs(sweep), "runs"),
        html.section("Figures", html.figures(figures), "figures"),
        html.section("Problems", _problems(sweep), "problems"),
        html.section("Files", _files(sweep.path, [rundir.MULTIRUN, *rundir.SWEEP_TABLES,
                                                  rundir.SEARCH_TRIALS]), "files"),
    ])


def run_page(sweep: Sweep, figures: list[Path], verdicts: list[str]) -> str:
    """The page of one run's directory (a sweep's job, or a single run)."""
    row = sweep.summary.iloc[0]
    metrics = pd.DataFrame([(k, row[k]) for k in RUN_METRICS if k in row.index],
                           columns=["metric", "value"]).astype({"value": object})
    config = (sweep.path / rundir.HYDRA_DIR / "config.yaml")
    subtitle = f"{html.escape(sweep.path)} {html.badges({row['status']: 1})}"
    return html.page(f"run {sweep.path.name}", subtitle, [
        html.section("Command", html.pre(sweep.command), "command"),
        html.section("Verdict", html.items(line for line in verdicts if line)
                     + _plateaus(sweep), "verdicts"),
        html.section("Metrics", html.table(metrics, table_id="metrics-table"), "metrics"),
        html.section("Error", html.pre(str(row["error"]))
                     if isinstance(row.get("error"), str) else "", "problems"),
        html.section("Figures", html.figures(figures), "figures"),
        html.section("Config", html.pre(config.read_text()) if config.is_file() else "",
                     "config"),
        html.section("Files", _files(sweep.path, sorted(
            p.name for p in sweep.path.iterdir() if p.is_file()
            and not p.name.startswith("."))), "files"),
    ])


def _swept(sweep: Sweep) -> str:
    """What the sweep varied (each swept parameter with its values) and kept fixed (the
    overrides every job shares)."""
    from .groups import ordered_values

    rows = [(p, ", ".join(html.cell_text(v) for v in ordered_values(sweep.summary[p])),
             "swept: replicate (aggregated)" if p in sweep.roles.replicates else "swept")
            for p in sweep.parameters if p in sweep.summary]
    rows += [(*o.split("=", 1), "fixed") for o in sweep.fixed if "=" in o]
    if not rows:
        return ""
    return html.table(pd.DataFrame(rows, columns=["parameter", "values", "role"]),
                      table_id="swept-table")


def _plateaus(sweep: Sweep) -> str:
    if sweep.plateaus.empty:
        return ""
    shown = sweep.plateaus.merge(sweep.summary[["job", *sweep.parameters]], on="job",
                                 how="left")
    columns = ["job", *sweep.parameters] + [c for c in sweep.plateaus if c != "job"]
    return html.table(shown[columns], "plateaus (epochs, loss level, lr × epoch)",
                      table_id="plateaus-table")


def _runs(sweep: Sweep) -> str:
    summary = sweep.summary
    columns = ["job", *sweep.parameters] + [c for c in RUN_COLUMNS if c in summary]
    links = []
    for job in summary["job"]:
        page = sweep.path / str(job) / rundir.REPORT_PAGE
        links.append(f"{job}/{rundir.REPORT_PAGE}" if page.is_file() else f"{job}/")
    note = ("a run's own page: sweepnet-report " + str(sweep.path / "JOB")
            + " (the links lead to it once written, else to the run's files)")
    return html.table(summary[columns], note, {"job": links}, table_id="runs-table")


def _problems(sweep: Sweep) -> str:
    summary = sweep.summary
    trouble = summary[summary["status"].isin(TROUBLE)]
    lines = []
    for row in trouble.to_dict("records"):
        error = row.get("error")
        why = error if isinstance(error, str) and error else {
            rundir.DIVERGED: "the loss stopped being finite",
            rundir.INTERRUPTED: "stopped before its last epoch; the same command continues it",
        }.get(row["status"], "")
        lines.append(f"job {row['job']} ({row['overrides']}): {row['status']}: {why}")
    lines += [f"job {job}: unfinished (no result.json yet)" for job in sweep.missing]
    lines += [f"job {job}: left out: {problem}" for job, problem in sweep.problems.items()]
    return html.items(lines)


def _files(path: Path, names: list[str]) -> str:
    present = [n for n in names if (path / n).is_file()]
    lines = [f'<li><a href="{html.escape(n)}">{html.escape(n)}</a> '
             f'<span class="muted">{html.file_size((path / n).stat().st_size)}</span></li>'
             for n in present]
    return f"<ul>{''.join(lines)}</ul>" if lines else ""


__all__ = ["run_page", "status_counts", "sweep_page"]

"""Rebuild a run's or a sweep's tables, plots and page from what is on disk.

    sweepnet-report PATH [--open] [--svg | --pdf] [--dpi N] [--log] [--x P] [--hue P]
                    [--col P] [--replicates P ...]
    sweepnet-report --index DIR [--open]

Works on finished and partial sweeps: jobs without a ``result.json`` yet are
listed as unfinished, not fatal. Nothing here rebuilds an experiment: every
figure is drawn from the files the runs wrote.
"""

from __future__ import annotations

import argparse
import functools
import logging
import math
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import rundir
from .groups import DEFAULT_REPLICATES, ordered_values
from .sweep import Sweep, load

log = logging.getLogger("sweepnet")

FORMATS = ("png", "svg", "pdf")
#: the resolutions report.dpi allows (dots per inch; 100 by default)
MIN_DPI, MAX_DPI = 50, 600
#: a sweep's decision-boundary figure shows at most this many panels (see _boundary_runs)
MAX_BOUNDARY_PANELS = 12


@dataclass
class Report:
    """What :func:`report` read, computed and wrote (nothing when ``busy``: a sweep was
    writing into the directory, and its own report comes when it ends)."""

    sweep: Sweep
    files: list[Path] = field(default_factory=list)
    busy: bool = False


@dataclass
class PlotTask:
    """One figure to draw: its file name, the plotting function and its arguments."""

    name: str
    draw: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    cost: float = 1.0  # relative drawing time, to share figures between processes


def _draw(path: Path, figure: PlotTask) -> bool:
    """Draw one figure into ``path``; a failing figure is logged, not fatal."""
    target = path / figure.name
    try:
        figure.draw(*figure.args, path=target, **figure.kwargs)
    except Exception as error:  # a figure must never cost the tables or the other figures
        log.warning(f"{target.name} not drawn: {type(error).__name__}: {error}")
        return False
    return True


def _can_fork() -> bool:
    """Whether a second process may draw: two cores, ``fork``, and no other thread to break."""
    return (hasattr(os, "fork") and sys.platform.startswith("linux")
            and (os.cpu_count() or 1) > 1 and threading.active_count() == 1)


def draw_all(path: Path, figures: list[PlotTask], also: Callable[[], None]) -> list[Path]:
    """Draw ``figures`` into ``path`` while ``also()`` runs; return the files written.

    On a machine with two cores a forked child draws about half of the
    figures (by :attr:`PlotTask.cost`) while this process runs ``also`` and
    draws the rest: matplotlib is imported before the fork, so the child
    starts drawing at once. Elsewhere everything runs here, in turn.
    """
    mine, child = figures, []
    if len(figures) > 1 and _can_fork():
        mine, child, load = [], [], {"mine": 1.0, "child": 0.0}  # "also" costs about a figure
        for figure in sorted(figures, key=lambda f: -f.cost):
            side = "child" if load["child"] < load["mine"] else "mine"
            (child if side == "child" else mine).append(figure)
            load[side] += figure.cost
    read, write = os.pipe() if child else (None, None)
    pid = os.fork() if child else 0
    if child and pid == 0:  # the child: draw, say which it drew, leave without anything else
        code = 1
        try:
            os.close(read)
            names = [figure.name for figure in child if _draw(path, figure)]
            os.write(write, "\n".join(names).encode())
            code = 0
        finally:
            os._exit(code)
    if child:
        os.close(write)
    also()
    drawn = {figure.name for figure in mine if _draw(path, figure)}
    if child:
        with os.fdopen(read, "rb") as pipe:  # what the child drew (a stale file is not)
            drawn |= set(pipe.read().decode().split("\n")) - {""}
        os.waitpid(pid, 0)
    return [path / figure.name for figure in figures if figure.name in drawn]


def _title(sweep: Sweep, row: dict) -> str:
    from .plots.style import format_value

    keys = list(sweep.roles.keys) + list(sweep.roles.replicates)
    return ", ".join(f"{k} = {format_value(row[k])}" for k in keys) or f"run {row['job']}"


def _boundary_runs(sweep: Sweep, jobs=None) -> list[dict]:
    """The runs whose decision boundaries a sweep's figure shows.

    One run per group, its first replicate (the lowest replicate values) among
    ``jobs`` (default: all); with more than :data:`MAX_BOUNDARY_PANELS` groups,
    that many groups evenly spaced in group order (the first and the last
    always among them).
    """
    summary = sweep.summary[sweep.summary["status"] != rundir.FAILED]
    if jobs is not None:
        summary = summary[summary["job"].isin(jobs)]
    if summary.empty:
        return []
    reps = [r for r in sweep.roles.replicates if r in summary]
    if reps:
        order = {r: {v: i for i, v in enumerate(ordered_values(summary[r]))} for r in reps}
        rank = summary[reps].apply(lambda row: tuple(order[r][row[r]] for r in reps), axis=1)
        summary = summary.assign(_rank=rank).sort_values(["group", "_rank"])
    firsts = summary.drop_duplicates("group").sort_values("group")
    if len(firsts) > MAX_BOUNDARY_PANELS:
        step = (len(firsts) - 1) / (MAX_BOUNDARY_PANELS - 1)
        firsts = firsts.iloc[[round(i * step) for i in range(MAX_BOUNDARY_PANELS)]]
    return firsts.to_dict("records")


def _boundary_figures(sweep: Sweep, fmt: str) -> list[PlotTask]:
    from .plots import plot_decision_boundary, plot_decision_grid

    read = functools.cache(rundir.read_surface)  # each run's surface read once for all figures
    if not sweep.is_sweep:
        surface = read(sweep.path)
        return [] if surface is None else [PlotTask(
            f"decision_boundary.{fmt}", plot_decision_boundary, (surface,),
            {"title": "Decision boundary"}, cost=1.5)] + _snapshot_figures(sweep, fmt, read)
    panels = []
    for run in _boundary_runs(sweep):
        surface = read(sweep.path / str(run["job"]))
        if surface is not None:
            panels.append((_title(sweep, run), surface))
    if not panels:
        return []
    return [PlotTask(f"decision_boundaries.{fmt}", plot_decision_grid, (panels,),
                     cost=1.0 + 0.3 * len(panels))] + _snapshot_figures(sweep, fmt, read)


def _snapshot_figures(sweep: Sweep, fmt: str, read: Callable) -> list[PlotTask]:
    """``plateau_boundaries`` and ``snapshot_boundaries`` (:mod:`.snapshot_panels`): per
    group, its first run with a plateau (with snapshots), or its first run; ``read``: a run
    directory's surface (:func:`sweepnet.rundir.read_surface`, cached by the caller)."""
    from .plots import plot_decision_grid
    from .snapshot_panels import epoch_panels, plateau_panels

    def runs(jobs=None):
        if not sweep.is_sweep:
            return [(sweep.summary.iloc[0].to_dict(), sweep.path, "run")]
        return [(run, sweep.path / str(run["job"]), _title(sweep, run))
                for run in _boundary_runs(sweep, jobs)]

    figures = []
    plateaus, at_epochs = [], []
    for run, where, title in runs(set(sweep.plateaus["job"])):
        surface = read(where)
        if surface is not None:
            plateaus += plateau_panels(title, surface, sweep.plateaus[
                sweep.plateaus["job"] == run["job"]], run)
    if plateaus:
        figures.append(PlotTask(f"plateau_boundaries.{fmt}", plot_decision_grid, (plateaus,),
                                {"ncols": 4 if len(plateaus) > 4 else 2,
                                 "title": "Decision boundaries on the plateau and at the end"},
                                cost=1.0 + 0.3 * len(plateaus)))
    for run, where, title in runs():
        surface = read(where)
        if surface is not None and str(surface.get("snapshot_mode", "")) == "epochs":
            at_epochs.append(epoch_panels(title, surface, run))
    if at_epochs:
        figures.append(PlotTask(
            f"snapshot_boundaries.{fmt}", plot_decision_grid,
            ([panel for row in at_epochs for panel in row],),
            {"ncols": max(len(row) for row in at_epochs),
             "title": "Decision boundaries at the snapshot epochs"},
            cost=1.0 + 0.3 * sum(map(len, at_epochs))))
    return figures


def _write_tables(sweep: Sweep) -> list[Path]:
    written = []
    tables = [(rundir.SWEEP_HISTORY, sweep.history), (rundir.SWEEP_SUMMARY, sweep.summary),
              (rundir.SWEEP_GROUPS, sweep.groups), (rundir.SWEEP_PLATEAUS, sweep.plateaus)]
    search = _search(sweep)
    if search is not None:
        tables.append((rundir.SEARCH_TRIALS, search[0]))
    for name, frame in tables:
        rundir.write_table(sweep.path / name, frame)
        written.append(sweep.path / name)
    return written


def _search(sweep: Sweep):
    """A search's trial table and settings (:mod:`.search`), or None for other sweeps."""
    from .search import search_settings, trial_table

    settings = search_settings(sweep.path) if sweep.is_sweep else None
    if settings is None or "trial" not in sweep.summary:
        return None
    return trial_table(sweep.summary, list(sweep.roles.keys), settings), settings


def _time_scales_differ(summary) -> bool:
    """Whether every run recorded its time scale and they differ (the learning rate or the
    batch size was swept): then the loss against lr x epoch shows what epochs hide."""
    if not {"effective_lr", "updates_per_epoch"} <= set(summary):
        return False
    scale = summary["effective_lr"] * summary["updates_per_epoch"]
    return bool(scale.notna().all() and scale.nunique() > 1)


def _figures(sweep: Sweep, fmt: str, log_scale: bool, boundaries: bool) -> list[PlotTask]:
    """The figures of a run or sweep (see :func:`report`)."""
    from .plots import plot_convergence, plot_curves, plot_heatmap

    if sweep.history.empty:
        return []
    curves = (sweep.history, sweep.summary, sweep.plateaus, sweep.roles)
    figures = [PlotTask(f"loss_curves.{fmt}", plot_curves, curves, {"log_scale": log_scale})]
    if sweep.is_sweep and _time_scales_differ(sweep.summary):
        figures.append(PlotTask(f"loss_lr_time.{fmt}", plot_curves, curves,
                                {"log_scale": True, "time": "lr_time"}))
    for column in ("val_loss", "val_accuracy"):
        if column in sweep.history:
            figures.append(PlotTask(f"{column}.{fmt}", plot_curves, curves, {
                "column": column, "log_scale": log_scale and column == "val_loss"}))
    if sweep.is_sweep and sweep.roles.x is not None and len(sweep.summary) > 1:
        figures.append(PlotTask(f"convergence.{fmt}", plot_convergence,
                              (sweep.summary, sweep.roles), cost=2.0))
    if sweep.is_sweep and len(sweep.roles.keys) >= 2:
        figures.append(PlotTask(f"heatmap.{fmt}", plot_heatmap, (sweep.groups, sweep.roles)))
    search = _search(sweep)
    if search is not None and len(search[0]):
        from .plots import plot_search

        figures.append(PlotTask(f"search.{fmt}", plot_search,
                                (search[0], search[1], list(sweep.roles.keys)), cost=1.5))
    if boundaries:
        figures += _boundary_figures(sweep, fmt)
    return figures


def report(path: str | Path, fmt: str = "png", log_scale: bool = False,
           boundaries: bool = True, x: str | None = None, hue: str | None = None,
           col: str | Sequence[str] | None = None,
           replicates: Sequence[str] = DEFAULT_REPLICATES, locked: bool = False,
           dpi: int = 100) -> Report:
    """Analyse the runs under ``path`` and (re)write tables and plots next to them.

    A sweep's report holds the sweep directory's lock, shared (reports may read
    side by side): while a sweep writes into it, nothing is written and the
    returned :class:`Report` is ``busy``. ``locked``: the caller (the sweep
    itself) holds the lock already.

    A sweep directory gets the tables of :data:`sweepnet.rundir.SWEEP_TABLES`
    and the plots ``loss_curves``, ``loss_lr_time`` (the loss against
    ``lr × epoch``, log-log, when the runs' learning rates or batch sizes
    differ), ``val_loss``, ``val_accuracy`` (with validation data),
    ``convergence``, ``heatmap`` (two or more swept non-replicate parameters)
    and ``decision_boundaries`` (two-feature data);
    a run directory gets its ``loss_curves``, ``val_loss``, ``val_accuracy`` and
    ``decision_boundary``.
    ``x``, ``hue``, ``col`` and ``replicates`` are the plot roles (see
    :mod:`sweepnet.analysis.groups`); ``dpi``: the figures' resolution (``fmt``
    png; a figure's size in inches does not change).
    """
    options = dict(replicates=replicates, x=x, hue=hue, col=col, allow_empty=True)
    if locked or rundir.kind_of(Path(path)) != rundir.SWEEP:
        return _write(load(path, **options), fmt, log_scale, boundaries, dpi)
    try:
        with rundir.lock(Path(path), shared=True):
            return _write(load(path, **options), fmt, log_scale, boundaries, dpi)
    except rundir.DirectoryBusy:  # a sweep is writing: read, but write nothing over its tables
        return Report(load(path, **options), busy=True)


def _write(sweep: Sweep, fmt: str, log_scale: bool, boundaries: bool, dpi: int) -> Report:
    """Write the tables and figures of ``sweep`` into its directory."""
    from .plots.style import resolution

    done = Report(sweep)
    if sweep.summary.empty:
        return done
    figures = _figures(sweep, fmt, log_scale, boundaries)
    tables: list[Path] = []

    def write_tables() -> None:
        if sweep.is_sweep:
            tables.extend(_write_tables(sweep))

    with resolution(dpi):
        drawn = draw_all(sweep.path, figures, write_tables)
    done.files = tables + drawn + [write_page(sweep, drawn)]
    return done


def write_page(sweep: Sweep, figures: list[Path]) -> Path:
    """Write the directory's ``report.html`` (:mod:`.report_page`) showing ``figures``."""
    from .report_page import run_page, sweep_page

    text = (sweep_page if sweep.is_sweep else run_page)(sweep, figures, verdict_lines(sweep))
    target = sweep.path / rundir.REPORT_PAGE
    rundir.write_atomic(target, lambda path: path.write_text(text, encoding="utf-8"))
    return target


def report_options(cfg) -> dict:
    """:func:`report` keyword arguments from a config's ``report`` section, checked.

    Raises ``ValueError`` naming the key, the value and what is allowed.
    """
    section = dict(cfg.get("report") or {})
    allowed = ["format", "dpi", "log_scale", "decision_boundaries", "x", "hue", "col",
               "replicates", "snapshots", *EXPORT_KEYS]  # snapshots: what runs keep (runner)
    unknown = set(section) - set(allowed)
    if unknown:
        raise ValueError(f"report: unknown keys {sorted(unknown)}; allowed: "
                         f"{', '.join(allowed)}")
    export_options(cfg)
    fmt = section.get("format", "png")
    if fmt not in FORMATS:
        raise ValueError(f"report.format must be one of {FORMATS}, got {fmt!r}")
    dpi = section.get("dpi", 100)
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not MIN_DPI <= dpi <= MAX_DPI:
        raise ValueError(f"report.dpi must be a whole number from {MIN_DPI} to {MAX_DPI} "
                         f"(dots per inch of the PNG figures), got {dpi!r}")
    options = {"fmt": fmt, "dpi": dpi}
    for key, name in (("log_scale", "log_scale"), ("decision_boundaries", "boundaries")):
        value = section.get(key, key == "decision_boundaries")
        if not isinstance(value, bool):
            raise ValueError(f"report.{key} must be true or false, got {value!r}")
        options[name] = value
    for key in ("x", "hue"):
        value = section.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"report.{key} must be a swept parameter's name or null, "
                             f"got {value!r}")
        options[key] = value
    for key, default in (("col", None), ("replicates", list(DEFAULT_REPLICATES))):
        value = section.get(key, default)
        value = [value] if isinstance(value, str) else value
        if value is not None and not (isinstance(value, Sequence)
                                      and all(isinstance(v, str) for v in value)):
            raise ValueError(f"report.{key} must be a list of parameter names, got {value!r}")
        options[key] = None if value is None else list(value)
    return options


#: the report keys that say which trackers a run or sweep is written into at its end
EXPORT_KEYS = ("export", "tensorboard_dir", "mlflow_uri")


def export_options(cfg) -> dict[str, str | None]:
    """``report.export``: each tracker a run or sweep is written into when it ends, with its
    target (``report.tensorboard_dir``, ``report.mlflow_uri``; None: the default, see
    :func:`~sweepnet.analysis.trackers.default_target`).

    Raises ``ValueError`` (or ``ImportError`` when the tracker's extra is not
    installed) naming the key, the value and what is allowed, before anything runs.
    """
    from .trackers import TRACKERS, check_target

    section = dict(cfg.get("report") or {})
    chosen = section.get("export") or []
    chosen = [chosen] if isinstance(chosen, str) else chosen
    if not (isinstance(chosen, Sequence) and all(isinstance(t, str) for t in chosen)):
        raise ValueError(f"report.export must be a list of trackers ({', '.join(TRACKERS)}), "
                         f"got {chosen!r}")
    targets = {}
    for tracker in chosen:
        key = {"tensorboard": "tensorboard_dir", "mlflow": "mlflow_uri"}.get(tracker)
        target = section.get(key) if key else None
        if target is not None and not isinstance(target, str):
            raise ValueError(f"report.{key} must be a path or null, got {target!r}")
        try:
            check_target(tracker, target)
        except ValueError as error:
            raise ValueError(f"report.export: {error}") from None
        except ImportError as error:
            raise ValueError(f"report.export={tracker}: {error}") from None
        targets[tracker] = target
    return targets


def problem_lines(sweep: Sweep) -> list[str]:
    """One line per run left out of the tables because its files do not check out."""
    return [f"left out: job {job}: {problem}" for job, problem in sweep.problems.items()]


SHOWN = ["job", "status", "final_loss", "final_val_accuracy", "epochs", "ending",
         "convergence_epoch", "n_plateaus", "stuck", "diverged"]
GROUP_SHOWN = ["n", "final_loss_mean", "final_loss_std", "final_val_accuracy_mean",
               "convergence_epoch_mean", "stuck_fraction", "diverged_fraction"]
#: stuck runs whose reasons the terminal summary lists
MAX_REASONS = 10


def summary_text(sweep: Sweep) -> str:
    """The summary as the terminal shows it (per group when replicates were swept), then
    why the stuck runs are stuck and which runs oscillate."""
    if sweep.roles.aggregated and not sweep.groups.empty:
        columns = ["group", *sweep.roles.keys] + [c for c in GROUP_SHOWN if c in sweep.groups]
        text = sweep.groups[columns].to_string(index=False)
    else:
        columns = ["job", *sweep.parameters] + [c for c in SHOWN[1:] if c in sweep.summary]
        columns += [c for c in sweep.summary if c.startswith("sklearn_")]
        text = sweep.summary[columns].to_string(index=False)
    return "\n".join([text, *verdict_lines(sweep)])


def verdict_lines(sweep: Sweep) -> list[str]:
    """Why each stuck run is stuck (at most :data:`MAX_REASONS`), and the oscillating runs."""
    summary = sweep.summary
    if "stuck" not in summary:
        return []
    stuck = summary[summary["stuck"]]
    lines = [f"job {row.job}: {row.stuck_reason}"
             for row in stuck.head(MAX_REASONS).itertuples()]
    if len(stuck) > MAX_REASONS:
        lines.append(f"... and {len(stuck) - MAX_REASONS} more stuck runs "
                     f"({rundir.SWEEP_SUMMARY}: stuck_reason)")
    lines += escape_lines(sweep)
    shaking = summary.loc[summary["oscillating"], "job"].tolist()
    if shaking:
        lines.append(f"oscillating (the loss alternates up and down at the end): job "
                     f"{', '.join(map(str, shaking))}")
    return [""] + lines if lines else []


def escape_lines(sweep: Sweep) -> list[str]:
    """When each run that left a plateau left it (its last one), in epochs and on the
    ``lr × epoch`` axis, saying the effective rate where momentum made it differ."""
    summary = sweep.summary
    if "escaped_epoch" not in summary:
        return []
    left = summary[summary["escaped_epoch"].notna()]
    lines = []
    for row in left.head(MAX_REASONS).to_dict("records"):
        epoch = int(row["escaped_epoch"])
        level = sweep.plateaus.loc[(sweep.plateaus["job"] == row["job"])
                                   & (sweep.plateaus["end"] == epoch), "level"]
        at = f" at {level.iloc[0]:.3g}" if len(level) else ""
        effective, initial = row.get("effective_lr"), row.get("initial_lr")
        rate = (f"; effective lr {effective:.3g} = lr {initial:.3g} / (1 - momentum)"
                if pd.notna(effective) and pd.notna(initial)
                and not math.isclose(effective, initial) else "")
        which = f" ({_title(sweep, row)})" if sweep.roles.keys else ""
        lines.append(f"job {row['job']}{which}: left the plateau{at} at epoch {epoch} "
                     f"(lr × epoch {row['escaped_lr_time']:.3g}{rate})")
    if len(left) > MAX_REASONS:
        lines.append(f"... and {len(left) - MAX_REASONS} more runs that left a plateau "
                     f"({rundir.SWEEP_SUMMARY}: escaped_epoch, escaped_lr_time)")
    return lines


def saved_options(path: Path) -> dict:
    """The report options a run or sweep was started with (its first job's saved config)."""
    run_dirs = [path] if rundir.is_run_dir(path) else rundir.job_dirs(path)[:1]
    config = rundir.saved_config(run_dirs[0]) if run_dirs else {}
    try:
        return report_options(config)
    except ValueError:
        return report_options({})


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sweepnet-report``."""
    parser = argparse.ArgumentParser(
        prog="sweepnet-report",
        description="Rebuild the tables, plots and report.html of a sweepnet run or sweep "
                    "directory from what is on disk, and print its summary; or, with "
                    "--index, list every run and sweep under a folder in its index.html. "
                    "Options left out keep the sweep's own report settings.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  sweepnet-report outputs/sweeps/<time> --open   the sweep's page, rebuilt\n"
               "  sweepnet-report outputs/sweeps/<time>/3        one job's own page\n"
               "  sweepnet-report outputs/sweeps/<time> --pdf --dpi 200\n"
               "  sweepnet-report --index outputs --open         every run and sweep\n"
               "see also: sweepnet --help, sweepnet-compare --help, sweepnet-export --help")
    parser.add_argument("path", type=Path, nargs="?",
                        help="a run directory or a sweep directory")
    parser.add_argument("--index", type=Path, metavar="DIR",
                        help="write DIR/index.html listing every run and sweep under DIR")
    parser.add_argument("--open", action="store_true",
                        help="open the page written in the web browser")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--svg", action="store_true", help="write SVG instead of PNG plots")
    kind.add_argument("--pdf", action="store_true", help="write PDF instead of PNG plots")
    parser.add_argument("--dpi", type=int, help=f"the PNG figures' resolution, {MIN_DPI} to "
                                                 f"{MAX_DPI} dots per inch (default 100)")
    parser.add_argument("--log", action="store_true", help="log scale for the loss axis")
    parser.add_argument("--no-boundaries", action="store_true",
                        help="skip the decision-boundary plots")
    parser.add_argument("--x", help="the swept parameter on the x axis")
    parser.add_argument("--hue", help="the swept parameter drawn as one line per value")
    parser.add_argument("--col", nargs="+", help="swept parameters drawn as facets")
    parser.add_argument("--replicates", nargs="+",
                        help="replicate parameters, aggregated (default: seed dataset.seed)")
    args = parser.parse_args(argv)
    if (args.path is None) == (args.index is None):
        parser.error("give a run or sweep directory, or --index DIR (one of the two)")
    where = args.path if args.index is None else args.index
    if not where.is_dir():
        print(f"sweepnet-report: error: no directory at {where.resolve()}", file=sys.stderr)
        return 2
    if args.index is not None:
        from .index import write_index

        page = write_index(args.index)
        print(f"wrote {page}")
        return open_page(page) if args.open else 0
    status, page = _report_directory(args)
    return open_page(page) if args.open and page is not None and status == 0 else status


def open_page(page: Path) -> int:
    """Show ``page`` in the user's web browser (0), or say where it is (1)."""
    import webbrowser

    if webbrowser.open(page.resolve().as_uri()):
        return 0
    print(f"sweepnet-report: no web browser found here: open {page.resolve().as_uri()}",
          file=sys.stderr)
    return 1


def _report_directory(args) -> tuple[int, Path | None]:
    """``sweepnet-report PATH``: the exit status and the page written (None: none)."""
    from .index import refresh_outputs

    options = saved_options(args.path)
    options.update({k: v for k, v in (("x", args.x), ("hue", args.hue), ("col", args.col),
                                      ("replicates", args.replicates)) if v is not None})
    if args.svg or args.pdf:
        options["fmt"] = "svg" if args.svg else "pdf"
    if args.dpi is not None:
        if not MIN_DPI <= args.dpi <= MAX_DPI:
            print(f"sweepnet-report: error: --dpi must be from {MIN_DPI} to {MAX_DPI}, got "
                  f"{args.dpi}", file=sys.stderr)
            return 2, None
        options["dpi"] = args.dpi
    options["log_scale"] |= args.log
    options["boundaries"] &= not args.no_boundaries
    try:
        done = report(args.path, **options)
    except ValueError as error:
        print(f"sweepnet-report: error: {error}", file=sys.stderr)
        return 2, None
    sweep = done.sweep
    if done.busy:
        print(f"sweepnet-report: a sweep is writing into {args.path}: nothing written (its "
              f"tables and figures are written when it ends); what is finished so far:",
              file=sys.stderr)
    if sweep.summary.empty:
        for line in problem_lines(sweep):
            print(f"sweepnet-report: {line}", file=sys.stderr)
        print(f"sweepnet-report: no finished run under {args.path}"
              + (f" ({len(sweep.missing)} unfinished)" if sweep.missing else ""),
              file=sys.stderr)
        return 1, None
    print(summary_text(sweep))
    if sweep.missing:
        print(f"\nunfinished (no result.json yet): {', '.join(sweep.missing)}")
    for line in problem_lines(sweep):
        print(line)
    if done.busy:
        return 0, None
    print(f"\nwrote {args.path}: {', '.join(f.name for f in done.files)}")
    refresh_outputs(args.path)
    return 0, args.path / rundir.REPORT_PAGE


if __name__ == "__main__":
    sys.exit(main())

"""Sweeps side by side: ``sweepnet-compare A B [...] --out DIR``.

Each sweep is read and judged on its own (:func:`sweepnet.analysis.load`: a
verdict never changes because another sweep is compared with it), then the
tables are stacked with a ``sweep`` column in front (``compare_history.csv``,
``compare_summary.csv``, ``compare_groups.csv``, ``compare_plateaus.csv``; a
parameter one sweep did not sweep is empty in its rows), and the figures
overlay the groups of every sweep: ``loss_curves`` (one panel per value of the
shared parameter, one colour per sweep) and ``convergence`` (the final loss and
convergence epoch against the shared parameter, one line per sweep), with
``report.html`` holding all of it.

Sweeps are comparable when they swept at least one parameter in common (other
than replicates such as ``seed``): that parameter is the x axis. Otherwise the
command refuses, naming what each one swept.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import rundir
from . import html
from .groups import DEFAULT_REPLICATES, PREFERRED_X, add_groups, choose_roles, group_table
from .report import PlotTask, draw_all
from .report_page import status_counts
from .sweep import Sweep, load

#: the tables written, by the sweep tables they stack
TABLES = {"history": "compare_history.csv", "summary": "compare_summary.csv",
          "groups": "compare_groups.csv", "plateaus": "compare_plateaus.csv"}


@dataclass
class Comparison:
    """The sweeps compared, their stacked tables, and the files written."""

    sweeps: dict[str, Sweep]
    shared: list[str]
    summary: pd.DataFrame
    history: pd.DataFrame
    groups: pd.DataFrame
    plateaus: pd.DataFrame
    files: list[Path]


def names(paths: Sequence[Path]) -> list[str]:
    """A short, distinct name per sweep: its folder's name, with as many parent folders
    as it takes to tell equal names apart."""
    paths = [Path(p).absolute() for p in paths]
    for depth in range(1, max(len(p.parts) for p in paths) + 1):
        found = ["/".join(p.parts[-depth:]) for p in paths]
        if len(set(found)) == len(found):
            return found
    return [str(p) for p in paths]


def shared_parameters(sweeps: dict[str, Sweep]) -> list[str]:
    """The non-replicate parameters every sweep swept (the first one is the x axis).

    Raises ``ValueError`` when there is none, saying what each sweep swept.
    """
    keys = {name: list(sweep.roles.keys) for name, sweep in sweeps.items()}
    first = next(iter(keys.values()))
    shared = [k for k in first if all(k in other for other in keys.values())]
    if not shared:
        swept = "; ".join(f"{name} swept {', '.join(k) or 'only replicates'}"
                          for name, k in keys.items())
        raise ValueError(f"these sweeps share no swept parameter ({swept}): a comparison "
                         f"draws them against a parameter they all swept, e.g. "
                         f"optimizer.lr=0.1,0.5,1 in each")
    return sorted(shared, key=lambda k: PREFERRED_X.index(k) if k in PREFERRED_X
                  else len(PREFERRED_X))


def swept_parameters(sweeps: dict[str, Sweep]) -> list[str]:
    """Every parameter any of the sweeps swept, in the order they first appear."""
    return list(dict.fromkeys(p for sweep in sweeps.values() for p in sweep.parameters))


def _stacked(sweeps: dict[str, Sweep], table: str) -> pd.DataFrame:
    frames = [getattr(sweep, table).assign(sweep=name) for name, sweep in sweeps.items()
              if not getattr(sweep, table).empty]
    if not frames:
        return pd.DataFrame(columns=["sweep"])
    frame = pd.concat(frames, ignore_index=True)
    return frame[["sweep", *(c for c in frame.columns if c != "sweep")]]


def _figures(sweeps: dict[str, Sweep], summary: pd.DataFrame, history: pd.DataFrame,
             plateaus: pd.DataFrame, shared: list[str], replicates: Sequence[str]
             ) -> list[PlotTask]:
    """The overlaid figures; jobs renumbered across sweeps (the plots key runs by job)."""
    from .plots import plot_convergence, plot_curves

    if "job" not in history:  # no run has a history (every job failed): no curves
        history = pd.DataFrame(columns=["sweep", "job"])
    number = {(row.sweep, row.job): i for i, row in enumerate(summary.itertuples())}
    summary = summary.drop(columns="group").assign(
        job=[number[(s, j)] for s, j in zip(summary["sweep"], summary["job"])])
    known = history.set_index(["sweep", "job"]).index.isin(list(number))
    history = history[known].assign(job=[number[(s, j)] for s, j in zip(
        history.loc[known, "sweep"], history.loc[known, "job"])])
    if not plateaus.empty:
        plateaus = plateaus.assign(job=[number.get((s, j)) for s, j in zip(
            plateaus["sweep"], plateaus["job"])])
    parameters = ["sweep", *swept_parameters(sweeps)]
    x = shared[0]
    figures = []
    if "loss" in history and history["loss"].notna().any():  # a panel per x value, a
        # colour per sweep
        roles = choose_roles(summary, parameters, x="sweep", hue=x, replicates=replicates)
        curves = add_groups(summary, roles)
        figures.append(PlotTask("loss_curves.png", plot_curves,
                                (history, curves, plateaus, roles)))
        for column in ("val_loss", "val_accuracy"):
            if column in history and history[column].notna().any():
                figures.append(PlotTask(f"{column}.png", plot_curves,
                                        (history, curves, plateaus, roles),
                                        {"column": column}))
    roles = choose_roles(summary, parameters, x=x, hue="sweep", replicates=replicates)
    figures.append(PlotTask("convergence.png", plot_convergence,
                            (add_groups(summary, roles), roles), cost=2.0))
    return figures


def compare(paths: Sequence[str | Path], out: str | Path,
            replicates: Sequence[str] = DEFAULT_REPLICATES) -> Comparison:
    """Compare the sweeps at ``paths`` and write tables, figures and ``report.html``
    into ``out`` (created; never a run's or a sweep's directory).

    Raises ``ValueError`` for fewer than two sweeps, a path that is not a sweep
    (or has no finished run), sweeps sharing no swept parameter (see
    :func:`shared_parameters`), or an ``out`` that is a run or sweep directory;
    nothing is written then.
    """
    out = Path(out)
    if len(paths) < 2:
        raise ValueError("give two sweeps or more to compare")
    inside = next((p for p in [out.absolute(), *out.absolute().parents]
                   if rundir.kind_of(p) is not None), None)
    if inside is not None:
        raise ValueError(f"{out} is {'' if inside == out.absolute() else 'inside '}a "
                         f"{rundir.kind_of(inside)} directory ({inside}): write the comparison "
                         f"into a folder of its own (--out)")
    sweeps = {}
    for name, path in zip(names(paths), paths):
        sweep = load(path, replicates=replicates)
        if not sweep.is_sweep:
            raise ValueError(f"{path} is a single run, not a sweep: compare sweeps "
                             f"(directories written by sweepnet -m)")
        sweeps[name] = sweep
    shared = shared_parameters(sweeps)
    summary, history, plateaus = (_stacked(sweeps, t) for t in
                                  ("summary", "history", "plateaus"))
    parameters = ["sweep", *swept_parameters(sweeps)]
    roles = choose_roles(summary, parameters, x=shared[0], hue="sweep", replicates=replicates)
    summary = add_groups(summary.drop(columns="group"), roles)  # groups across the sweeps
    groups = group_table(summary, roles)
    out.mkdir(parents=True, exist_ok=True)
    tables = []

    def write_tables() -> None:
        for table, frame in (("history", history), ("summary", summary), ("groups", groups),
                             ("plateaus", plateaus)):
            rundir.write_table(out / TABLES[table], frame)
            tables.append(out / TABLES[table])

    figures = draw_all(out, _figures(sweeps, summary, history, plateaus, shared, replicates),
                        write_tables)
    done = Comparison(sweeps, shared, summary, history, groups, plateaus, tables + figures)
    done.files.append(write_page(done, out, figures))
    return done


def write_page(done: Comparison, out: Path, figures: list[Path]) -> Path:
    """The comparison's ``report.html``."""
    rows = [{"sweep": name, "runs": len(sweep.summary),
             **status_counts(sweep.summary["status"]), "command": sweep.command}
            for name, sweep in done.sweeps.items()]
    shown = pd.DataFrame(rows)
    shown = shown.loc[:, (shown != 0).any(axis=0)]
    links = [Path(sweep.path).absolute().joinpath(rundir.REPORT_PAGE).as_uri()
             for sweep in done.sweeps.values()]
    summary_columns = ["sweep", "job", *swept_parameters(done.sweeps)]
    summary_columns += [c for c in ("status", "final_loss", "final_val_loss",
                                    "final_val_accuracy", "epochs", "ending",
                                    "convergence_epoch", "stuck") if c in done.summary]
    files = "".join(f'<li><a href="{html.escape(f.name)}">{html.escape(f.name)}</a></li>'
                    for f in done.files if f.suffix == ".csv")
    text = html.page(
        f"comparison of {len(done.sweeps)} sweeps",
        f"shared parameter{'s' if len(done.shared) > 1 else ''}: "
        f"{html.escape(', '.join(done.shared))}",
        [html.section("Sweeps", html.table(shown, "each sweep's own report: the links",
                                           {"sweep": links}, table_id="sweeps-table"), "sweeps"),
         html.section("Groups", html.table(done.groups, table_id="groups-table"), "groups"),
         html.section("Runs", html.table(done.summary[summary_columns], table_id="runs-table"),
                      "runs"),
         html.section("Figures", html.figures(figures), "figures"),
         html.section("Files", f"<ul>{files}</ul>", "files")])
    target = out / rundir.REPORT_PAGE
    rundir.write_atomic(target, lambda path: path.write_text(text, encoding="utf-8"))
    return target


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sweepnet-compare``."""
    parser = argparse.ArgumentParser(
        prog="sweepnet-compare",
        description="Put sweeps side by side: their tables stacked with a 'sweep' column, "
                    "their groups overlaid in the loss-curve and convergence figures, and "
                    "a report.html, written into --out.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n"
               "  sweepnet-compare outputs/sweeps/<plain> outputs/sweeps/<momentum> "
               "--out compared --open\n"
               "the sweeps must share a swept parameter (besides seeds): it is the x axis")
    parser.add_argument("sweeps", nargs="+", type=Path, help="two sweep directories or more")
    parser.add_argument("--out", type=Path, required=True,
                        help="the folder to write the comparison into")
    parser.add_argument("--replicates", nargs="+", default=list(DEFAULT_REPLICATES),
                        help="replicate parameters, aggregated (default: seed dataset.seed)")
    parser.add_argument("--open", action="store_true", help="open report.html in the browser")
    args = parser.parse_args(argv)
    try:
        done = compare(args.sweeps, args.out, args.replicates)
    except (ValueError, FileNotFoundError) as error:
        print(f"sweepnet-compare: error: {error}", file=sys.stderr)
        return 2
    print(f"compared {', '.join(done.sweeps)} on {', '.join(done.shared)}")
    print(f"wrote {args.out}: {', '.join(f.name for f in done.files)}")
    if args.open:
        from .report import open_page

        return open_page(args.out / rundir.REPORT_PAGE)
    return 0


if __name__ == "__main__":
    sys.exit(main())

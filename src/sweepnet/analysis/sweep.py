"""A run or sweep directory read back and analysed: the frames every report is drawn from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..results import load as load_results
from .curves import PLATEAU_COLUMNS, RULE, Rule, analyze
from .groups import DEFAULT_REPLICATES, Roles, add_groups, choose_roles, group_table


@dataclass
class Sweep:
    """A run's or a sweep's frames with the curve analysis, groups and plot roles.

    ``summary`` has one row per run (the :mod:`sweepnet.results` columns, the
    curve analysis of :func:`~sweepnet.analysis.curves.analyze` and ``group``),
    ``groups`` one row per group (:func:`~sweepnet.analysis.groups.group_table`),
    ``plateaus`` one row per plateau, ``history`` one row per run and epoch.
    """

    history: pd.DataFrame
    summary: pd.DataFrame
    groups: pd.DataFrame
    plateaus: pd.DataFrame
    parameters: list[str]
    roles: Roles
    path: Path | None = None
    is_sweep: bool = False
    missing: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # see sweepnet.results.Results
    command: str = ""  # the command that writes it again (sweepnet.results.command)
    fixed: list[str] = field(default_factory=list)  # the overrides every run shares


def load(path: str | Path, replicates: Sequence[str] = DEFAULT_REPLICATES,
         x: str | None = None, hue: str | None = None,
         col: str | Sequence[str] | None = None, rule: Rule = RULE,
         allow_empty: bool = False) -> Sweep:
    """Read a run or sweep directory and analyse it.

    ``replicates`` names the replicate axes (aggregated into groups);
    ``x``, ``hue``, ``col`` choose a sweep's plot roles (defaults: see
    :func:`~sweepnet.analysis.groups.choose_roles`; a single run has none);
    ``rule`` holds the
    parameters of the verdicts (:class:`~sweepnet.analysis.curves.Rule`).
    A directory with no run that ended yet raises ``ValueError``, unless
    ``allow_empty`` (empty tables).
    """
    results = load_results(path, allow_empty)
    summary, history = results.summary, results.history
    if results.is_sweep:
        roles = choose_roles(summary, results.parameters, x=x, hue=hue, col=col,
                             replicates=replicates)
    else:  # a run has nothing swept: no roles, its overrides name it
        roles = Roles()
    plateaus = pd.DataFrame(columns=PLATEAU_COLUMNS)
    if not summary.empty:
        if not history.empty:
            summary, plateaus = analyze(history, summary, rule)
        summary = add_groups(summary, roles)
    groups = group_table(summary, roles) if not summary.empty else pd.DataFrame()
    return Sweep(history, summary, groups, plateaus, results.parameters, roles, results.path,
                 results.is_sweep, results.missing, results.problems, results.command,
                 results.fixed)

"""Analysis of runs and sweeps, read from disk: curves, groups, plots, reports.

``curves`` reads loss curves (plateaus, convergence, oscillation, divergence)
and judges runs stuck against the right references; ``groups`` aggregates
replicates and assigns plot roles; ``sweep`` loads a directory with all of
it; ``plots`` draws (matplotlib, imported only there); ``report`` rebuilds a
directory's tables and plots (the ``sweepnet-report`` command).
"""

from .curves import Reading, Rule, Verdict, analyze, divergence_epoch, judge, read_curve
from .groups import Roles, choose_roles, group_curves, group_table
from .sweep import Sweep, load

__all__ = ["Reading", "Roles", "Rule", "Sweep", "Verdict", "analyze", "choose_roles",
           "divergence_epoch", "group_curves", "group_table", "judge", "load", "read_curve"]

"""Analysis of runs and sweeps, read from disk: curves, groups, plots, reports.

``curves`` finds convergence, plateaus and divergence; ``groups`` aggregates
replicates and assigns plot roles; ``sweep`` loads a directory with all of
it; ``plots`` draws (matplotlib, imported only there); ``report`` rebuilds a
directory's tables and plots (the ``sweepnet-report`` command).
"""

from .curves import analyze, convergence_epoch, divergence_epoch, plateaus
from .groups import Roles, choose_roles, group_curves, group_table
from .sweep import Sweep, load

__all__ = ["Roles", "Sweep", "analyze", "choose_roles", "convergence_epoch",
           "divergence_epoch", "group_curves", "group_table", "load", "plateaus"]

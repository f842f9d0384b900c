"""Analysis of runs and sweeps: curve reading (pandas in, pandas out), plots, reports.

``curves`` finds convergence, plateaus and divergence; ``plots`` draws them
(matplotlib, imported only there); ``report`` rebuilds a directory's tables and
plots from disk (the ``sweepnet-report`` command).
"""

from .curves import analyze, convergence_epoch, divergence_epoch, plateaus

__all__ = ["analyze", "convergence_epoch", "divergence_epoch", "plateaus"]

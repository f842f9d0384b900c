"""Reading loss curves: convergence, plateaus, divergence; and their sweep summary.

All functions take the per-epoch training loss (a 1-D array or Series, epoch
1 first) and speak in 1-based epochs, like ``history.csv``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: defaults, documented in the README ("Reading a sweep")
CONVERGENCE_TOL, CONVERGENCE_WINDOW = 1e-4, 10
PLATEAU_THRESHOLD, PLATEAU_WINDOW, ESCAPE_DROP = 1e-4, 50, 0.1
EXPLODE_FACTOR, STUCK_MARGIN = 10.0, 0.1

PLATEAU_COLUMNS = ["job", "start", "end", "length", "level", "escaped"]
ANALYSIS_COLUMNS = ["convergence_epoch", "n_plateaus", "longest_plateau", "stuck", "diverged",
                    "diverged_epoch"]


def convergence_epoch(loss, tol: float = CONVERGENCE_TOL,
                      window: int = CONVERGENCE_WINDOW) -> int | None:
    """The epoch after which the loss never again improves by more than ``tol`` in ``window``.

    This is scikit-learn's stopping rule (``tol``, ``n_iter_no_change``, same
    defaults: an absolute improvement of ``tol`` within ``window`` epochs)
    applied to the whole curve afterwards: scikit-learn stops at the *first*
    such stretch, which may be a plateau the run later escapes; this returns
    the start of the *last* one. ``None`` when the loss still improves by more
    than ``tol`` over the final window (not converged) or is not finite.
    """
    loss = np.asarray(loss, dtype=float)
    if loss.size == 0 or not np.all(np.isfinite(loss)):
        return None
    if loss.size <= window:
        return None
    improvement = loss[:-window] - loss[window:]  # over [e, e + window], e = 0..n-window-1
    improving = np.flatnonzero(improvement > tol)
    if improving.size == 0:
        return 1
    last = improving[-1]  # 0-based start of the last improving window
    if last + window >= loss.size - 1:
        return None
    return int(last + window + 1)  # 1-based epoch that ends the last improvement


def divergence_epoch(loss, factor: float = EXPLODE_FACTOR) -> int | None:
    """The first epoch whose loss is not finite or exceeds ``factor`` times the first loss."""
    loss = np.asarray(loss, dtype=float)
    if loss.size == 0:
        return None
    limit = factor * abs(loss[0]) if np.isfinite(loss[0]) else np.inf
    bad = np.flatnonzero(~np.isfinite(loss) | (loss > limit))
    return int(bad[0] + 1) if bad.size else None


def plateaus(loss, threshold: float = PLATEAU_THRESHOLD, window: int = PLATEAU_WINDOW,
             escape: float = ESCAPE_DROP) -> pd.DataFrame:
    """Flat stretches of a loss curve.

    An epoch ``e`` is flat when, over the ``window`` epochs ending at it, the
    loss fell by less than ``threshold`` per epoch relative to its level:
    ``(L[e - window] - L[e]) / (window * |L[e - window]|) < threshold`` (a
    rising loss is flat too). Runs of flat epochs, extended back by the window
    that measured them, are the plateaus; each is at least ``window`` epochs
    long.

    Returns a frame with ``start``, ``end`` (1-based, inclusive), ``length``,
    ``level`` (median loss on the plateau) and ``escaped``: whether the loss
    later fell clearly below it (by the fraction ``escape``). A plateau that
    reaches the last epoch is never escaped.
    """
    loss = np.asarray(loss, dtype=float)
    finite = np.isfinite(loss)
    n = int(np.argmin(finite)) if not finite.all() else loss.size  # up to the first non-finite
    loss = loss[:n]
    rows = []
    if n > window:
        before, after = loss[:-window], loss[window:]
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = (before - after) / (window * np.abs(before))
        flat = np.concatenate([np.zeros(window, bool), rate < threshold])
        edges = np.flatnonzero(np.diff(np.concatenate([[0], flat.astype(int), [0]])))
        for first_flat, stop in zip(edges[::2], edges[1::2]):
            start, end = first_flat - window, stop - 1  # 0-based, inclusive
            if rows and start <= rows[-1][1]:  # windows overlap: one plateau
                start = rows[-1][0]
                rows.pop()
            rows.append((start, end))
    frame = []
    for start, end in rows:
        level = float(np.median(loss[start:end + 1]))
        later = loss[end + 1:]
        escaped = bool(later.size and later.min() < level * (1 - escape))
        frame.append({"start": start + 1, "end": end + 1, "length": end - start + 1,
                      "level": level, "escaped": escaped})
    return pd.DataFrame(frame, columns=PLATEAU_COLUMNS[1:])


def _best_final_loss(summary: pd.DataFrame, replicates: Sequence[str]) -> pd.Series:
    """Per run, the lowest finite final loss among the runs with its replicate values."""
    finals = pd.to_numeric(summary.get("final_loss", pd.Series(np.nan, summary.index)),
                           errors="coerce").where(lambda v: np.isfinite(v))
    keys = [r for r in replicates if r in summary]
    if not keys:
        return pd.Series(finals.min(), index=summary.index)
    labels = summary[keys].astype(str).agg("\x1f".join, axis=1)
    return finals.groupby(labels).transform("min")


def _curve_facts(loss: np.ndarray, plateau_options: dict, tol: float, window: int
                 ) -> tuple[dict, pd.DataFrame]:
    found = plateaus(loss, **plateau_options)
    last = found.iloc[-1] if len(found) else None
    facts = {
        "convergence_epoch": convergence_epoch(loss, tol, window),
        "n_plateaus": len(found),
        "longest_plateau": int(found["length"].max()) if len(found) else 0,
        "final_plateau": last["level"] if last is not None and last["end"] == len(loss)
        else np.nan,
        "diverged_epoch": divergence_epoch(loss),
    }
    return facts, found


def analyze(history: pd.DataFrame, summary: pd.DataFrame, replicates: Sequence[str] = (),
            stuck_margin: float = STUCK_MARGIN, **options) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add the curve analysis to a sweep summary; return it and every plateau.

    New summary columns: ``convergence_epoch``, ``n_plateaus``,
    ``longest_plateau``, ``stuck``, ``diverged``, ``diverged_epoch``.

    A run is *stuck* when it ends on a plateau whose level is more than
    ``stuck_margin`` (relative) above the best final loss reached by the runs
    that share its ``replicates`` values (the summary columns that are the
    sweep's replicate axes, e.g. ``seed``): runs that saw the same data and
    started from the same initial weights. Runs with other replicate values
    never enter the verdict, so adding seeds to a sweep cannot change it.
    ``options`` go to :func:`plateaus` (``threshold``, ``window``, ``escape``)
    and :func:`convergence_epoch` (``tol``, ``convergence_window``).
    """
    plateau_options = {k: options[k] for k in ("threshold", "window", "escape") if k in options}
    tol = options.get("tol", CONVERGENCE_TOL)
    conv_window = options.get("convergence_window", CONVERGENCE_WINDOW)
    facts, all_plateaus = {}, []
    for job, run in history.groupby("job", sort=False):
        loss = run.sort_values("epoch")["loss"].to_numpy(dtype=float)
        facts[job], found = _curve_facts(loss, plateau_options, tol, conv_window)
        all_plateaus.append(found.assign(job=job)[PLATEAU_COLUMNS])
    empty = {"convergence_epoch": None, "n_plateaus": 0, "longest_plateau": 0,
             "final_plateau": np.nan, "diverged_epoch": None}
    per_run = pd.DataFrame([facts.get(job, empty) for job in summary["job"]],
                           index=summary.index, columns=list(empty))
    summary = summary.drop(columns=ANALYSIS_COLUMNS, errors="ignore")
    for name in ("convergence_epoch", "diverged_epoch"):
        summary[name] = pd.array(per_run[name].tolist(), dtype="Int64")
    for name in ("n_plateaus", "longest_plateau"):
        summary[name] = per_run[name].astype(int)
    summary["stuck"] = (per_run["final_plateau"]
                        > _best_final_loss(summary, replicates) * (1 + stuck_margin)).to_numpy()
    summary["diverged"] = ((summary["status"] == "diverged")
                           | summary["diverged_epoch"].notna()).astype(bool)
    plateau_frame = (pd.concat(all_plateaus, ignore_index=True) if all_plateaus
                     else pd.DataFrame(columns=PLATEAU_COLUMNS))
    return summary, plateau_frame

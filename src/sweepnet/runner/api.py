"""Sweeps from Python: :func:`sweep` runs what ``sweepnet -m ...`` runs and returns its tables.

    import sweepnet
    res = sweepnet.sweep("experiment=lr_sweep", "seed=0,1,2")
    res.summary, res.groups, res.plateaus, res.history

The same checks before anything runs (a bad override raises
:class:`~sweepnet.runner.build.ConfigError` with the command's message), the
same directories (``outputs/sweeps/<timestamp>`` unless ``sweep_dir`` or
``hydra.sweep.dir=`` says otherwise), resume of an interrupted sweep by calling
again with the same directory. Usable in a notebook cell: no ``sys.exit``, and
no state is left behind between calls.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..analysis.sweep import Sweep, load
from .app import execute
from .build import ConfigError


def sweep(*overrides: str, sweep_dir: str | os.PathLike | None = None) -> Sweep:
    """Run the sweep ``overrides`` describe (as on the command line, without ``-m``).

    Parameters
    ----------
    *overrides : str
        Hydra overrides, e.g. ``"optimizer.lr=0.1,1"``, ``"seed=range(0,5)"``,
        ``"experiment=lr_sweep"``.
    sweep_dir : path, optional
        Where the sweep writes (``hydra.sweep.dir``); an existing sweep there
        with the same jobs is resumed.

    Returns
    -------
    Sweep
        :func:`sweepnet.analysis.load` of the sweep directory: ``summary``,
        ``history``, ``groups``, ``plateaus`` and ``path``.

    Raises
    ------
    ConfigError
        A bad override, or a directory that holds another sweep, before any job runs.
    KeyboardInterrupt
        Interrupted (what finished is kept; call again with ``sweep_dir=res.path``).
    OSError, JobsNotRun
        The disk or a launcher failed mid-sweep (what was written is kept).

    It may be called from any thread; two calls share no state.
    """
    argv = ["-m", *(str(o) for o in overrides)]
    if sweep_dir is not None:
        argv = [a for a in argv if not a.startswith("hydra.sweep.dir=")]
        argv.append(f"hydra.sweep.dir={Path(sweep_dir).absolute()}")
    from ..rundir import DirectoryBusy

    try:
        code, where = execute(argv)
    except DirectoryBusy as error:
        raise ConfigError(str(error)) from None
    if code in (130, 143):
        raise KeyboardInterrupt(f"the sweep in {where} was stopped; what finished is kept")
    if where is None or not where.is_dir():
        raise RuntimeError(f"the sweep ended with status {code} and wrote no directory")
    return load(where.absolute())

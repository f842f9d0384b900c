"""The search space of ``hydra/sweeper=search``, in the syntax of Hydra's Optuna sweeper.

From the command line or ``hydra.sweeper.params``, Hydra's override grammar:

- ``'optimizer.lr=interval(0.01, 4)'``: a float in the interval (an int interval
  when both ends are integers); ``tag(log, interval(...))`` samples it on a log
  scale;
- ``'model.activation=choice(relu,tanh)'``, ``'model.hidden=choice([8],[16],[32])'``:
  one of the values (lists too);
- ``'trainer.batch_size=range(16,128,16)'``: an integer of the range (its step);
- a replicate key (``seed``, ``dataset.seed``) swept with ``range`` or a list is not
  searched: every trial trains once per value (``hydra.sweeper.replicates=seed:5``
  says the same as ``seed=range(0,5)``);
- any other override is fixed for every trial.

Optuna distributions only hold numbers and strings: a choice of lists is a
choice of their override text (``"[8]"``), turned back into the override as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..rundir import clean_overrides
from .build import ConfigError

#: keys swept as replicates, not searched
REPLICATE_KEYS = ("seed", "dataset.seed")


@dataclass
class SearchSpace:
    """What a search samples, what it fixes and over what it replicates."""

    distributions: dict = field(default_factory=dict)  # key: optuna distribution
    fixed: list[str] = field(default_factory=list)  # overrides every trial takes
    replicate_key: str | None = None
    replicate_values: list = field(default_factory=list)

    def overrides(self, params: dict) -> list[str]:
        """A trial's overrides: its sampled ``params`` (as Optuna returns them, numbers
        written as a run's record writes them, so that the run trains what it records), then
        the fixed ones."""
        return clean_overrides([f"{key}={_text(value)}" for key, value in params.items()]) \
            + list(self.fixed)

    def replicates(self) -> list[list[str]]:
        """One override list per replicate of a trial (one empty list without replicates)."""
        if self.replicate_key is None:
            return [[]]
        return [[f"{self.replicate_key}={_text(v)}"] for v in self.replicate_values]


def _text(value) -> str:
    """A sampled value as override text: floats in full (``repr``), the rest as given."""
    return repr(value) if isinstance(value, float) else str(value)


def search_space(overrides: list[str], params: dict | None = None,
                 replicates: str | None = None) -> SearchSpace:
    """The space of the sweep ``overrides`` (after the config's ``params``, which they
    override key by key) and the ``replicates`` option (``"seed:5"``).

    Raises :class:`ConfigError` naming an override the search cannot use.
    """
    from .plan import parse_overrides

    lines = [f"{k}={v}" for k, v in (params or {}).items()] + list(overrides)
    by_key = {}
    for override in parse_overrides(lines):
        by_key[override.get_key_element()] = override  # the command line wins
    space = SearchSpace()
    for key, override in by_key.items():
        if not override.is_sweep_override():
            space.fixed.append(f"{key}={override.get_value_element_as_str()}")
        elif key in REPLICATE_KEYS and override.is_discrete_sweep():
            _set_replicates(space, key, list(override.sweep_iterator()), override.input_line)
        else:
            try:
                space.distributions[key] = _distribution(override)
            except ConfigError:
                raise
            except ValueError as error:  # Optuna's: an empty interval, say
                raise ConfigError(f"{override.input_line}: {error}") from None
    if replicates:
        key, _, count = str(replicates).partition(":")
        if key not in REPLICATE_KEYS or not count.isdigit() or int(count) < 1:
            raise ConfigError(f"hydra.sweeper.replicates must be KEY:COUNT with KEY one of "
                              f"{', '.join(REPLICATE_KEYS)} (seed:5: seeds 0 to 4), got "
                              f"{replicates!r}")
        _set_replicates(space, key, list(range(int(count))),
                        f"hydra.sweeper.replicates={replicates}")
    if not space.distributions:
        raise ConfigError("the search has nothing to search: give a parameter a range, e.g. "
                          "'optimizer.lr=tag(log, interval(0.01, 4))' or "
                          "'model.activation=choice(relu,tanh)'")
    return space


def _distribution(override):
    """The Optuna distribution of one sweep override (module docstring)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    value = override.value()
    kind = type(value).__name__
    log = "log" in getattr(value, "tags", set())
    if kind == "IntervalSweep":
        start, end = value.start, value.end
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            return IntDistribution(start, end, log=log)
        return FloatDistribution(float(start), float(end), log=log)
    if kind == "RangeSweep":
        if not all(isinstance(v, int) for v in (value.start, value.stop, value.step)):
            raise ConfigError(f"{override.input_line}: a searched range takes integers; "
                              f"use interval(a, b) for floats")
        return IntDistribution(value.start, value.stop - 1, step=value.step, log=log)
    if kind == "ChoiceSweep":
        choices = [v if isinstance(v, (bool, int, float, str)) else text for v, text in
                   zip(override.sweep_iterator(), override.sweep_string_iterator())]
        if len(set(map(str, choices))) != len(choices):
            raise ConfigError(f"{override.input_line}: a choice lists a value twice")
        return CategoricalDistribution(choices)
    raise ConfigError(f"{override.input_line}: the search takes interval(a, b), "
                      f"tag(log, interval(a, b)), range(a, b[, step]) and choice(...) "
                      f"(and a list or range of {' or '.join(REPLICATE_KEYS)} values as "
                      f"replicates)")


def _set_replicates(space: SearchSpace, key: str, values: list, where: str) -> None:
    if space.replicate_key is not None:
        raise ConfigError(f"{where}: the trials already replicate over "
                          f"{space.replicate_key}; one replicate key at a time")
    if len(set(map(str, values))) != len(values):
        raise ConfigError(f"{where}: a replicate value is listed twice")
    space.replicate_key, space.replicate_values = key, values

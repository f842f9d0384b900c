"""Turn a composed config into data, model, loss, optimizer and trainer.

Everything is looked up by name in :mod:`sweepnet.registry`; configs carry no
import paths. Every problem is raised as a :class:`ConfigError` whose message
names the config key, what was wrong and what is allowed.
"""

from __future__ import annotations

import inspect
import re
import typing
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import registry, rundir
from ..analysis.report import report_options
from ..errors import ShapeError
from ..layers import Layer, Linear, Sequential, mlp
from ..losses import CrossEntropy, Loss
from ..optimizers import Optimizer
from ..registry import RegistryError
from ..schedules import Schedule
from ..snapshots import Snapshots
from ..system import usable_memory
from ..training import Trainer, check_output_layer
from .references import start_id

DTYPES = ("float32", "float64")
#: ``baseline``: none, or scikit-learn's (runner/baselines.py) without or with its stopping rule
BASELINES = (None, "sklearn", "sklearn_stopping")


class ConfigError(ValueError):
    """A config value cannot be used; raised before any training starts."""


@dataclass
class Experiment:
    """Everything one run needs, built and checked."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    model: Sequential
    trainer: Trainer
    epochs: int
    start: str = ""  # data, architecture, loss and initial weights (runner/references.py)
    feature_names: tuple[str, ...] | None = None  # when the data named its features
    scaling: str = "none"  # how the features were scaled (dataset.split.scale)


def _plain(cfg: Any) -> Any:
    """A DictConfig/ListConfig as plain Python containers (resolving interpolations)."""
    try:
        from omegaconf import OmegaConf

        if OmegaConf.is_config(cfg):
            return OmegaConf.to_container(cfg, resolve=True)
    except ImportError:  # pragma: no cover - omegaconf comes with hydra-core
        pass
    return cfg


def _construct(kind: str, key: str, factory: Any, params: dict) -> Any:
    """Call ``factory(**params)``, turning bad arguments into a ConfigError.

    Parameters the factory does not take are dropped when they are switched
    off (0, false, null), so ``optimizer.name=adam`` works on top of the SGD
    defaults (``momentum: 0.0``); any other unknown parameter is an error.
    """
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        signature = None
    if signature is not None and not any(
        p.kind is p.VAR_KEYWORD for p in signature.parameters.values()
    ):
        accepted = set(signature.parameters)
        unknown = {k: v for k, v in params.items() if k not in accepted}
        # a switched-off leftover of the default optimizer (sgd's momentum: 0.0 under
        # optimizer.name=adam) is dropped; anything else unknown is an error
        bad = {k: v for k, v in unknown.items()
               if kind != "optimizer" or v not in (0, False, None)}
        if bad:
            raise ConfigError(
                f"{key}: the {kind} {params_name(factory)} does not take "
                f"{', '.join(sorted(bad))}; it takes: {', '.join(accepted) or 'no parameters'}"
            )
        params = {k: v for k, v in params.items() if k in accepted}
    _check_types(key, factory, params)
    try:
        return factory(**params)
    except (TypeError, ValueError) as error:
        names = signature.parameters if signature is not None else ()
        raise ConfigError(f"{key}: {as_overrides(str(error), {p: f'{key}.{p}' for p in names})}"
                          ) from None


_SCALARS = {float: "a number", int: "an integer", bool: "true or false", str: "a string"}


def _check_types(key: str, factory: Any, params: dict) -> None:
    """Check scalar parameters against the factory's type hints (``noise: float``)."""
    try:
        hints = typing.get_type_hints(factory if inspect.isfunction(factory)
                                      else factory.__init__)
    except Exception:  # no usable hints: the factory validates for itself
        return
    for name, value in params.items():
        expected = hints.get(name)
        if expected not in _SCALARS or value is None:
            continue
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
              if expected is float else
              isinstance(value, expected) and (expected is bool or not isinstance(value, bool)))
        if not ok:
            raise ConfigError(f"{key}.{name} must be {_SCALARS[expected]}, got {value!r}")


ROOT_KEYS = ("dataset", "model", "loss", "optimizer", "trainer", "seed", "baseline", "report",
             "resume", "objective")
#: ``objective``: the summary metrics a sweeper may optimize
OBJECTIVES = tuple(column for column, _, _ in rundir.METRICS)
#: ``resume``: finished jobs are kept and interrupted ones continue; or every job trains again
RESUME = ("continue", "restart")
SPLIT_KEYS = ("test_size", "stratify", "scale")
TRAINER_KEYS = ("epochs", "batch_size", "shuffle", "shuffle_rng", "drop_last", "early_stopping",
                "tol", "n_iter_no_change", "monitor", "alpha", "schedule", "power_t", "dtype",
                "log_every")


def _snapshots(value) -> Snapshots | None:
    """``report.snapshots``: ``plateaus`` (log-spaced), a list of epochs, or null (none)."""
    if value is None:
        return None
    try:
        return Snapshots("log" if value == "plateaus" else value)
    except (TypeError, ValueError):
        raise ConfigError(f"report.snapshots must be plateaus (the weights at log-spaced "
                          f"epochs: the decision boundary at each plateau's middle), a list of "
                          f"epochs such as [100,500], or null (none), got {value!r}") from None


def suggestion(name: str, options, prefix: str = "") -> str:
    """``"; did you mean <prefix><closest>?"`` for a mistyped ``name``, or ``""``
    (:func:`sweepnet.registry.close_name`)."""
    from ..registry import close_name

    close = close_name(str(name), [str(o) for o in options])
    return f"; did you mean {prefix}{close}?" if close else ""


def check_keys(section: Any, allowed: tuple[str, ...], where: str) -> None:
    """Refuse keys that nothing reads (a typo such as ``+trainer.epoch=5``), with a suggestion."""
    unknown = [k for k in (section or {}) if k not in allowed]
    if unknown:
        key = unknown[0]
        hint = suggestion(key, allowed, where)
        raise ConfigError(f"{where}{key} is not a key sweepnet reads{hint} "
                          f"(allowed: {', '.join(allowed)})")


#: a model's parameters may take at most this share of the usable memory (gradients,
#: optimizer state and activations need the rest)
MEMORY_SHARE = 0.25
#: the most memory one training step (of a model, or of a whole stack) may take
STEP_SHARE = 0.5


def check_model_size(sizes: list[int], dtype: str, key: str) -> None:
    """Refuse, before any array is allocated, a network whose weights cannot fit in memory."""
    count = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    nbytes = count * np.dtype(dtype).itemsize
    memory = usable_memory()
    if memory is not None and nbytes > MEMORY_SHARE * memory:
        raise ConfigError(f"{key}: layers of widths {sizes} have {count:,} parameters "
                          f"({nbytes / 2**30:,.1f} GiB as {dtype}); "
                          f"{memory / 2**30:,.1f} GiB of memory can be used here, and training "
                          f"needs about four times the weights: use smaller layers")


def check_step_memory(trainer: Trainer, n_samples: int, n_features: int) -> None:
    """Refuse a training step that would take more than half the usable memory
    (:meth:`~sweepnet.Trainer.step_bytes`), saying which batch size fits."""
    memory = usable_memory()
    needed = trainer.step_bytes(n_samples, n_features)
    if memory is None or needed <= STEP_SHARE * memory:
        return
    rows = n_samples if trainer.batch_size is None else min(trainer.batch_size, n_samples)
    fits = 2 ** int(np.log2(max(1, rows * STEP_SHARE * memory // needed)))
    raise ConfigError(f"trainer.batch_size: one training step on {rows:,} samples takes about "
                      f"{needed / 2**30:,.1f} GiB (the activations and their gradients); "
                      f"{memory / 2**30:,.1f} GiB of memory can be used here: train in "
                      f"mini-batches, e.g. trainer.batch_size={fits}")


def snapshot_bytes(trainer: Trainer, epochs: int) -> int:
    """The memory the snapshots of a run of ``epochs`` epochs take (report.snapshots)."""
    if trainer.snapshots is None:
        return 0
    weights = sum(a.nbytes for a in trainer.model.state_dict().values())
    return weights * trainer.snapshots.count(epochs)


def check_snapshot_memory(trainer: Trainer, epochs: int) -> None:
    """Refuse snapshots that would take more than :data:`MEMORY_SHARE` of the memory."""
    memory, needed = usable_memory(), snapshot_bytes(trainer, epochs)
    if memory is not None and needed > MEMORY_SHARE * memory:
        raise ConfigError(f"report.snapshots: {trainer.snapshots.count(epochs)} copies of the "
                          f"weights take about {needed / 2**30:,.1f} GiB; "
                          f"{memory / 2**30:,.1f} GiB of memory can be used here: keep fewer "
                          f"(report.snapshots=[100,1000]) or none (report.snapshots=null)")


def params_name(factory: Any) -> str:
    return getattr(factory, "__name__", repr(factory))


def _lookup(reg: registry.Registry, key: str, name: Any) -> Any:
    try:
        return reg.get(name)
    except RegistryError as error:
        raise ConfigError(f"{key}: {error}") from None


def _split_off(section: dict, key: str) -> tuple[str, dict]:
    section = dict(section or {})
    name = section.pop("name", None)
    if not name:
        raise ConfigError(f"{key}.name is missing: say which {key} to use")
    return name, section


def _positive_int(value: Any, key: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        allowed = "a positive integer" + (" or null" if allow_none else "")
        raise ConfigError(f"{key} must be {allowed}, got {value!r}")
    return value


def _check_seed(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{key} must be a non-negative integer, got {value!r}")
    return value


def load_data(cfg: Any, seed: int):
    """Load the dataset named by ``cfg`` and split it into a ``sweepnet.datasets.Split``.

    ``dataset.seed`` (default: the run's ``seed``) draws the data and the split.
    """
    from ..datasets import DatasetError, split

    name, params = _split_off(_plain(cfg), "dataset")
    split_params = params.pop("split", None) or {}
    seed = _check_seed(params.pop("seed", seed), "dataset.seed")
    function = _lookup(registry.datasets, "dataset.name", name)
    if "seed" in inspect.signature(function).parameters:
        params["seed"] = seed
    missing = [k for k, v in params.items() if v == "???"]
    if missing:
        raise ConfigError(f"dataset {name!r} needs {', '.join(f'dataset.{k}' for k in missing)}")
    try:
        X, y = _construct("dataset", "dataset", function, params)
        unknown = set(split_params) - set(SPLIT_KEYS)
        if "standardize" in unknown:
            raise ConfigError("dataset.split.standardize is now dataset.split.scale: "
                              "dataset.split.scale=standard (or minmax, none)")
        if unknown:
            raise ConfigError(f"dataset.split: unknown keys {sorted(unknown)}; allowed: "
                              f"{', '.join(SPLIT_KEYS)}")
        _check_types("dataset.split", split, split_params)
        return split(X, y, seed=seed, **split_params)
    except DatasetError as error:
        keys = {p: f"dataset.split.{p}" for p in SPLIT_KEYS}
        raise ConfigError(f"dataset {name!r}: {as_overrides(str(error), keys)}") from None


#: ``name=value`` in a message: a quoted string, a list, or a bare word
_ASSIGNMENT = re.compile(r"(?<![\w.])([A-Za-z_]\w*)=('[^']*'|\"[^\"]*\"|\[[^\]]*\]|[^\s,;)]*)")


def as_overrides(message: str, keys: dict[str, str]) -> str:
    """Rewrite a library message's ``name=value`` hints as command-line overrides.

    A dataset says ``delimiter=';'`` (its Python keyword); on the command line
    that is ``"dataset.delimiter=';'"``: the key with its group, and quoted for
    the shell when the value holds characters a shell would eat. Only names in
    ``keys`` are rewritten.
    """

    def rewrite(match: re.Match) -> str:
        name, value = match.group(1), match.group(2).rstrip(".")
        if name not in keys:
            return match.group(0)
        rest = match.group(2)[len(value):]
        override = f"{keys[name]}={value}"
        if re.search(r"[^\w.=/+:@-]", value):
            override = '"' + override.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return override + rest

    return _ASSIGNMENT.sub(rewrite, message)


def n_outputs_for(loss: Loss, y: np.ndarray, loss_name: str) -> int:
    """How many outputs the network needs for ``loss`` and labels ``y``."""
    from ..datasets import check_labels

    if isinstance(loss, CrossEntropy):
        try:
            return check_labels(y, None, "dataset", loss_name)
        except ValueError as error:
            raise ConfigError(str(error)) from None
    if y.ndim == 2:
        return y.shape[1]
    if loss.expects in ("probabilities", "logits"):
        try:
            check_labels(y, 2, "dataset", loss_name)
        except ValueError as error:
            raise ConfigError(str(error)) from None
    return 1


def build_model(cfg: Any, n_features: int, n_outputs: int, seed, dtype: str) -> Sequential:
    """The network ``cfg`` names; ``seed`` (an int or a ``RandomState``) draws its weights."""
    name, params = _split_off(_plain(cfg), "model")
    if name == "mlp":
        check_keys(params, ("hidden", "activation", "output", "init"), "model.")
        hidden = params.pop("hidden", [])
        if isinstance(hidden, int):
            hidden = [hidden]
        if not isinstance(hidden, list):
            raise ConfigError(f"model.hidden must be a list of layer widths like [16, 16], "
                              f"got {hidden!r}")
        for i, width in enumerate(hidden):
            _positive_int(width, f"model.hidden[{i}]")
        for key in ("activation", "output"):  # names -> classes; the engine knows no registry
            if isinstance(params.get(key), str):
                params[key] = _lookup(registry.layers, f"model.{key}", params[key])
        check_model_size([n_features, *hidden, n_outputs], dtype, "model.hidden")
        try:
            return mlp([n_features, *hidden, n_outputs], seed=seed, dtype=dtype, **params)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"model: {error}") from None
    if name == "layers":
        return _build_layer_list(params, n_features, n_outputs, seed, dtype)
    raise ConfigError(f"model.name must be 'mlp' or 'layers', got {name!r}")


def _build_layer_list(params: dict, n_features: int, n_outputs: int, seed,
                      dtype: str) -> Sequential:
    from ..layers.init import as_random_state

    entries = params.pop("layers", None)
    init = params.pop("init", "glorot_uniform")
    if params:
        raise ConfigError(f"model: unknown keys {sorted(params)}; allowed: layers, init")
    if not entries or not isinstance(entries, list):
        raise ConfigError(f"model.layers must be a non-empty list like [{{name: linear, "
                          f"out_features: 8}}, {{name: relu}}, {{name: linear}}], got "
                          f"{entries!r}")
    linear_positions = [i for i, e in enumerate(entries)
                        if isinstance(e, dict) and e.get("name") == "linear"]
    rng = as_random_state(seed)
    width, layers = n_features, []
    for i, entry in enumerate(entries):
        key = f"model.layers[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{key} must be a mapping like {{name: relu}}, got {entry!r}")
        name, layer_params = _split_off(entry, key)
        factory = _lookup(registry.layers, f"{key}.name", name)
        if factory is Linear:
            out = layer_params.pop("out_features", None)
            if out is None and linear_positions and i == linear_positions[-1]:
                out = n_outputs
            _positive_int(out, f"{key}.out_features")
            fixed = sorted({"in_features", "dtype", "rng", "init"} & set(layer_params))
            if fixed:
                raise ConfigError(f"{key}: {', '.join(fixed)} come from the data, trainer.dtype, "
                                  f"seed and model.init; remove them from the layer")
            check_model_size([width, out], dtype, f"{key}.out_features")
            layer_params = {"in_features": width, "out_features": out, "init": init, "rng": rng,
                            "dtype": dtype, **layer_params}
            width = out
        layer = _construct("layer", key, factory, layer_params)
        if not isinstance(layer, Layer):
            raise ConfigError(f"{key}: {name!r} did not build a sweepnet Layer")
        layers.append(layer)
    if width != n_outputs:
        raise ConfigError(f"model.layers: the network ends with {width} outputs but the loss "
                          f"and labels need {n_outputs}; set the last linear layer's "
                          f"out_features to {n_outputs} or leave it out")
    try:
        return Sequential(layers)
    except ShapeError as error:
        raise ConfigError(f"model.layers: {error}") from None


def _early_stopping(trainer_cfg: dict):
    """The trainer's EarlyStopping, or None (``trainer.early_stopping=false``)."""
    from ..stopping import EarlyStopping

    enabled = trainer_cfg.get("early_stopping", False)
    if not isinstance(enabled, bool):
        raise ConfigError(f"trainer.early_stopping must be true or false, got {enabled!r}")
    if not enabled:
        return None
    try:
        return EarlyStopping(tol=trainer_cfg.get("tol", 1e-4),
                             n_iter_no_change=trainer_cfg.get("n_iter_no_change", 10),
                             monitor=trainer_cfg.get("monitor", "loss"))
    except ValueError as error:
        raise ConfigError(f"trainer.{error}") from None


def build(cfg: Any, data_cache: dict | None = None) -> Experiment:
    """Build and check everything for the run described by ``cfg``; train nothing.

    ``data_cache`` (a dict, shared by the jobs of one sweep) keeps each loaded
    and split dataset by its config and seed: jobs that differ only in other
    values (a learning rate) share one dataset, loaded once.
    """
    if cfg.get("baseline") not in BASELINES:
        raise ConfigError(f"baseline must be null, 'sklearn' (scikit-learn's MLPClassifier "
                          f"trains every epoch) or 'sklearn_stopping' (with its own stopping "
                          f"rule), got {cfg.get('baseline')!r}")
    objective = cfg.get("objective", "final_val_loss")
    if objective not in OBJECTIVES:
        raise ConfigError(f"objective must be a metric of the summary: {', '.join(OBJECTIVES)}; "
                          f"got {objective!r}")
    try:
        report_options(cfg)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    seed = _check_seed(cfg.get("seed", 0), "seed")
    check_keys(cfg, ROOT_KEYS, "")
    if cfg.get("resume", "continue") not in RESUME:
        raise ConfigError(f"resume must be one of {RESUME} (continue: keep finished jobs and "
                          f"continue interrupted ones; restart: train every job again), got "
                          f"{cfg.get('resume')!r}")
    trainer_cfg = dict(_plain(cfg.trainer))
    check_keys(trainer_cfg, TRAINER_KEYS, "trainer.")
    epochs = _positive_int(trainer_cfg.get("epochs"), "trainer.epochs")
    batch_size = _positive_int(trainer_cfg.get("batch_size"), "trainer.batch_size",
                               allow_none=True)
    log_every = trainer_cfg.get("log_every", 0)
    if isinstance(log_every, bool) or not isinstance(log_every, int) or log_every < 0:
        raise ConfigError(f"trainer.log_every must be a non-negative integer, got {log_every!r}")
    shuffle = trainer_cfg.get("shuffle", True)
    if not (isinstance(shuffle, bool) or shuffle == "cumulative"):
        raise ConfigError(f"trainer.shuffle must be true, false or cumulative, got {shuffle!r}")
    shuffle_rng = trainer_cfg.get("shuffle_rng", "own")
    if shuffle_rng not in ("own", "init"):
        raise ConfigError(f"trainer.shuffle_rng must be 'own' (a generator of the trainer's, "
                          f"seeded with seed) or 'init' (the one that drew the initial "
                          f"weights), got {shuffle_rng!r}")
    drop_last = trainer_cfg.get("drop_last", False)
    if not isinstance(drop_last, bool):
        raise ConfigError(f"trainer.drop_last must be true or false, got {drop_last!r}")
    stopping = _early_stopping(trainer_cfg)
    snapshots = _snapshots(_plain(cfg.get("report") or {}).get("snapshots", "plateaus"))
    dtype = trainer_cfg.get("dtype", "float64")
    if dtype not in DTYPES:
        raise ConfigError(f"trainer.dtype must be one of {DTYPES}, got {dtype!r}")

    loss_name, loss_params = _split_off(_plain(cfg.loss), "loss")
    loss = _construct("loss", "loss", _lookup(registry.losses, "loss.name", loss_name),
                      loss_params)
    opt_name, opt_params = _split_off(_plain(cfg.optimizer), "optimizer")
    optimizer = _construct("optimizer", "optimizer",
                           _lookup(registry.optimizers, "optimizer.name", opt_name), opt_params)
    if not isinstance(optimizer, Optimizer) or not isinstance(loss, Loss):
        raise ConfigError("loss.name and optimizer.name must name a loss and an optimizer")

    dataset = _plain(cfg.dataset)  # its seed resolved: the run's unless dataset.seed is set
    if data_cache is None:
        data = load_data(dataset, seed)
    else:
        key = (repr(dataset), None if "seed" in dataset else seed)
        data = data_cache.get(key)
        if data is None:
            data = data_cache[key] = load_data(dataset, seed)
    n_outputs = n_outputs_for(loss, data.y_train, loss_name)
    init_rng = np.random.RandomState(seed)  # draws the weights, layer by layer
    model = build_model(cfg.model, data.X_train.shape[1], n_outputs, init_rng, dtype)
    try:
        check_output_layer(model, loss)
    except ValueError as error:
        raise ConfigError(f"model and loss do not fit together: {error}") from None
    try:
        trainer = Trainer(model, loss, optimizer, batch_size=batch_size, shuffle=shuffle,
                          seed=init_rng if shuffle_rng == "init" else seed, drop_last=drop_last,
                          early_stopping=stopping, alpha=trainer_cfg.get("alpha", 0.0),
                          schedule=Schedule(trainer_cfg.get("schedule", "constant"),
                                            trainer_cfg.get("power_t", 0.5)),
                          snapshots=snapshots)
    except ValueError as error:
        hint = " (trainer.early_stopping=true)" if "EarlyStopping" in str(error) else ""
        raise ConfigError(f"trainer.{error}{hint}") from None
    if stopping is not None and stopping.monitor != "loss" and data.X_val is None:
        raise ConfigError(f"trainer.monitor={stopping.monitor} needs a validation split "
                          f"(dataset.split.test_size > 0); or monitor the training loss: "
                          f"trainer.monitor=loss")
    try:  # every shape, before the first step
        X = data.X_train.astype(dtype)
        trainer.prepare(X, data.y_train, "training data")
        if data.X_val is not None:
            trainer.prepare(data.X_val.astype(dtype), data.y_val, "validation data",
                            training=False)
    except (ShapeError, ValueError) as error:
        raise ConfigError(str(error)) from None
    check_step_memory(trainer, *X.shape)
    check_snapshot_memory(trainer, epochs)
    return Experiment(data.X_train, data.y_train, data.X_val, data.y_val, model, trainer, epochs,
                      start_id(model, loss, data.X_train, data.y_train), data.feature_names,
                      data.scaling)

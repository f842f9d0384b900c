"""Composing a sweep's jobs once per set of group choices gives Hydra's own configs."""

import pytest
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

from sweepnet.runner.build import ConfigError
from sweepnet.runner.compose import compose_jobs
from sweepnet.runner.plan import plan

SWEEPS = {
    "values": [["optimizer.lr=0.1", "seed=0"], ["optimizer.lr=2", "seed=3"]],
    "lists and nested keys": [["model.hidden=[4,4]", "dataset.split.test_size=0.3"],
                              ["model.hidden=[8]", "dataset.split.scale=standard"]],
    "group choices": [["optimizer=adam", "optimizer.lr=0.01"], ["optimizer=sgd"],
                      ["loss=mse", "model.output=null"], ["dataset=circles", "seed=2"]],
    "preset with interpolations": [["experiment=lr_sweep", "optimizer.lr=0.5"],
                                   ["experiment=lr_sweep", "optimizer.lr=2"]],
    "add, force-add and delete": [["++trainer.log_every=7"], ["~trainer.log_every"],
                                  ["++seed=4", "dataset.seed=1"]],
    "hydra keys": [["hydra.job.name=x", "optimizer.lr=1"], ["hydra/launcher=basic", "seed=1"]],
}


@pytest.mark.parametrize("jobs", SWEEPS.values(), ids=SWEEPS.keys())
def test_each_job_equals_hydras_compose(jobs):
    with initialize_config_module(config_module="sweepnet.conf", version_base=None):
        fast = list(compose_jobs(jobs))
        for job, cfg in zip(jobs, fast, strict=True):
            reference = compose("config", overrides=job)
            assert OmegaConf.to_yaml(cfg) == OmegaConf.to_yaml(reference), job
            assert OmegaConf.to_container(cfg, resolve=True) == \
                OmegaConf.to_container(reference, resolve=True), job
            assert OmegaConf.is_struct(cfg) == OmegaConf.is_struct(reference)


def test_jobs_do_not_share_state():
    with initialize_config_module(config_module="sweepnet.conf", version_base=None):
        first, second = compose_jobs([["optimizer.lr=0.1"], ["optimizer.lr=0.2"]])
        first.model.hidden.append(99)
        assert list(second.model.hidden) == [16]


@pytest.mark.parametrize("override, message", [
    ("trainer.epoch=5", "trainer.epoch is not a key of trainer: did you mean trainer.epochs"),
    ("+seed=3", "Could not append to config"),
    ("~nothing", "Could not delete from config"),
])
def test_overrides_hydra_refuses_are_refused_alike(override, message):
    with initialize_config_module(config_module="sweepnet.conf", version_base=None):
        with pytest.raises(ConfigError, match=message):
            list(compose_jobs([["seed=1"], [override]]))
    with pytest.raises(ConfigError, match=message):
        plan(["seed=1,2", override], multirun=True)


@pytest.mark.parametrize("value", [
    {"a": "1", "b": "true", "c": "null", "d": "1e-3", "e": "0.5", "f": "yes", "g": ""},
    {"interpolation": "${seed}", "resolver": "${now:%Y-%m-%d}", "unicode": "λ → ∞ é",
     "long": "word " * 40, "quote": "it's \"quoted\"", "colon": "a: b", "tab": "a\tb"},
    {"nested": {"list": [1, 2.5, None, True, "x", [3, 4]], "empty": {}, "none": None}},
    ["optimizer.lr=0.5", "model.hidden=[4,4]", "dataset.delimiter=';'", "seed=range(0,5)"],
])
def test_a_jobs_hydra_files_are_omegaconfs_yaml(value):
    """The pipeline's YAML text (libyaml's emitter) equals OmegaConf.to_yaml's."""
    from sweepnet.runner.hydra_api import to_yaml

    assert to_yaml(value) == OmegaConf.to_yaml(OmegaConf.create(value))

"""The private Hydra APIs sweepnet still uses (runner/hydra_api.py): each one, by name.

When an upgrade of Hydra or OmegaConf breaks one of them, the test named after it fails.
"""

import pytest
from hydra import compose
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from sweepnet.runner import hydra_api


def test_initialized_searches_a_config_dir_first_and_restores_hydras_state(tmp_path):
    (tmp_path / "optimizer").mkdir()
    (tmp_path / "optimizer" / "heavy.yaml").write_text("name: sgd\nlr: 0.3\nmomentum: 0.5\n")
    assert not GlobalHydra.instance().is_initialized()
    with hydra_api.initialized(tmp_path):
        paths = [e.path for e in hydra_api.config_loader().get_search_path().config_search_path]
        assert f"file://{tmp_path}" in paths and "pkg://sweepnet.conf" in paths
        cfg = compose("config", overrides=["optimizer=heavy"])
        assert cfg.optimizer.lr == 0.3 and cfg.optimizer.momentum == 0.5
    assert not GlobalHydra.instance().is_initialized()


def test_initialized_interrupted_before_hydra_made_its_state_leaves_none(monkeypatch):
    """A Ctrl-C while the command starts may come before Hydra made its state: the
    interrupt goes on (the command prints one line), not a KeyError from the restore."""
    import hydra._internal.utils as utils
    from hydra.core.singleton import Singleton

    GlobalHydra.instance().clear()
    Singleton._instances.pop(GlobalHydra, None)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(utils, "create_automatic_config_search_path", interrupted)
    with pytest.raises(KeyboardInterrupt):
        with hydra_api.initialized():
            pass
    assert GlobalHydra not in Singleton._instances


def test_the_config_loader_composes_a_jobs_sweep_config():
    with hydra_api.initialized():
        master = compose("config", return_hydra_config=True)
        job = hydra_api.config_loader().load_sweep_config(master, ["optimizer.lr=0.25"])
    assert job.optimizer.lr == 0.25 and "hydra" in job


def test_apply_overrides_sets_adds_and_deletes_values():
    cfg = OmegaConf.create({"a": {"b": 1}, "c": 2})
    OmegaConf.set_struct(cfg, True)
    parsed = OverridesParser.create().parse_overrides(["a.b=5", "+d=[1,2]", "~c"])
    hydra_api.apply_overrides(parsed, cfg)
    assert OmegaConf.to_container(cfg) == {"a": {"b": 5}, "d": [1, 2]}


def test_yaml_dumper_writes_omegaconfs_text():
    value = {"a": "1", "b": "true", "lr": 0.5, "x": [None, "y: z"], "s": "${seed}"}
    assert hydra_api.to_yaml(value) == OmegaConf.to_yaml(OmegaConf.create(value))

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from sweepnet import registry
from sweepnet.testing import numerical_gradient, relative_error  # noqa: F401 (used by the tests)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty directory to run commands in (the current one while the test runs)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@contextmanager
def refusing_huge_activations():
    """A plugin layer ``refuses_huge`` (ReLU that raises on activations beyond 1e6: only a
    huge learning rate's job fails), registered while inside."""
    import sweepnet as sn

    @registry.layers.register("refuses_huge")
    class RefusesHuge(sn.ReLU):
        def forward(self, x):
            if np.abs(x).max() > 1e6:
                raise RuntimeError("activation too large for this plugin")
            return super().forward(x)

    try:
        yield
    finally:
        registry.layers.unregister("refuses_huge")


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "plugins" / "sweepnet-swish"


def refresh_registries():
    importlib.invalidate_caches()
    for reg in registry.REGISTRIES.values():
        reg.refresh()


@pytest.fixture(scope="session")
def swish_build(tmp_path_factory) -> Path:
    """examples/plugins/sweepnet-swish installed into a folder of its own (``pip install
    --target``), once: never into the environment the tests run in."""
    source = tmp_path_factory.mktemp("plugin") / "sweepnet-swish"  # a copy: no build/ left
    shutil.copytree(EXAMPLE, source,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp_path_factory.mktemp("site")
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target)]
    done = subprocess.run([*pip, "--no-build-isolation", str(source)], capture_output=True)
    if done.returncode != 0:
        done = subprocess.run([*pip, str(source)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    return target


@pytest.fixture
def swish_installed(swish_build, monkeypatch) -> dict:
    """The example plugin on ``sys.path`` while the test runs (and on the ``PYTHONPATH`` of
    the environment it returns, for subprocesses); the registries see it."""
    monkeypatch.syspath_prepend(str(swish_build))
    refresh_registries()
    yield {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(swish_build), *filter(None, [os.environ.get("PYTHONPATH")])])}
    monkeypatch.undo()
    refresh_registries()

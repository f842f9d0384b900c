"""Plugins end to end: the example package, broken plugins, name clashes, sweepnet.testing."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sweepnet as sn
from conftest import EXAMPLE, refresh_registries  # noqa: F401 (swish_installed: conftest)
from sweepnet import registry
from sweepnet.plugins_cli import main
from sweepnet.registry import RegistryError
from sweepnet.testing import (
    check_dataset,
    check_layer,
    check_loss,
    check_optimizer,
    check_stacking,
    relative_error,
)


def write_distribution(root: Path, name: str, layers: dict[str, str]) -> None:
    """A fake installed distribution: just a .dist-info with METADATA and entry points."""
    info = root / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    points = "".join(f"{key} = {value}\n" for key, value in layers.items())
    (info / "entry_points.txt").write_text(f"[sweepnet.layers]\n{points}")


@pytest.fixture
def fake_plugins(tmp_path):
    """Put tmp_path on sys.path; the test writes distributions there with write_distribution."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(tmp_path))
        refresh_registries()
        yield tmp_path
    refresh_registries()


@pytest.fixture
def broken_plugin(fake_plugins):
    write_distribution(fake_plugins, "broken-plugin", {
        "broken": "broken_plugin_module:Thing",
        "wrongkind": "sweepnet.losses:BCE",
    })
    (fake_plugins / "broken_plugin_module.py").write_text(
        'raise ImportError("broken_plugin_module needs libfoo, which is not installed")\n')
    refresh_registries()
    return fake_plugins


# -- the example plugin ----------------------------------------------------------------
@pytest.mark.usefixtures("swish_installed")
class TestExamplePlugin:
    def test_it_is_installed_beside_the_environment_not_into_it(self, swish_build):
        from importlib import metadata

        where = Path(metadata.distribution("sweepnet-swish").locate_file(""))
        assert where.resolve() == swish_build.resolve()
        assert Path(sys.prefix).resolve() not in where.resolve().parents

    def test_components_are_found_by_name(self):
        import sweepnet_swish

        assert registry.layers.get("swish") is sweepnet_swish.Swish
        assert registry.layers.get("gelu") is sweepnet_swish.GELU
        assert registry.datasets.get("spirals") is sweepnet_swish.spirals
        entry = next(e for e in registry.layers.entries() if e.name == "swish")
        assert entry.distribution == "sweepnet-swish"

    def test_an_mlp_with_swish_trains_on_spirals(self):
        X, y = registry.datasets.get("spirals")(n_samples=200, seed=1)
        model = sn.mlp([2, 8, 1], activation="swish", seed=0)
        assert type(model[1]).__name__ == "Swish"
        history = sn.Trainer(model, sn.BCE(), sn.SGD(0.5)).fit(X, y, epochs=50)
        assert history["loss"].iloc[-1] < history["loss"].iloc[0]

    def test_its_layers_and_dataset_pass_the_checks(self):
        assert check_layer(registry.layers.get("gelu")).passed
        result = check_dataset("spirals", n_samples=30)
        assert (result.n_samples, result.n_features, result.n_classes) == (30, 2, 2)

    def test_list_shows_the_plugin_and_its_distribution(self, swish_installed):
        done = subprocess.run([sys.executable, "-m", "sweepnet.plugins_cli", "list"],
                              capture_output=True, text=True, env=swish_installed)
        assert done.returncode == 0, done.stderr
        swish = [line.split() for line in done.stdout.splitlines() if " swish " in line]
        assert swish == [["layer", "swish", "sweepnet-swish", "0.1.0", "ok"]]

    def test_check_swish_passes_and_prints_the_error(self, swish_installed):
        done = subprocess.run([sys.executable, "-m", "sweepnet.plugins_cli", "check", "swish"],
                              capture_output=True, text=True, env=swish_installed)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "sweepnet-swish" in done.stdout
        assert "max relative error" in done.stdout


    def test_the_plugins_own_test_suite_passes(self, swish_installed):
        suite = Path(__file__).parents[1] / "examples" / "plugins" / "sweepnet-swish" / "tests"
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               str(suite)], capture_output=True, text=True, env=swish_installed)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "4 passed" in done.stdout

    def test_the_runner_uses_plugin_components_by_name(self, tmp_path, monkeypatch):
        from sweepnet.runner.app import main as sweepnet_main

        monkeypatch.chdir(tmp_path)
        assert sweepnet_main(["model.activation=swish", "dataset.name=spirals",
                              "trainer=fast", "report.decision_boundaries=false"]) == 0
        (run_dir,) = (tmp_path / "outputs" / "runs").iterdir()
        assert (run_dir / "history.csv").exists()


# -- broken plugins and name clashes ---------------------------------------------------
def test_a_broken_plugin_is_listed_and_only_fails_when_asked_for(broken_plugin):
    assert {"broken", "wrongkind", "relu"} <= set(registry.layers.names())
    assert "broken_plugin_module" not in sys.modules  # listing imported nothing
    assert registry.layers.get("relu") is sn.ReLU

    with pytest.raises(RegistryError) as info:
        registry.layers.get("broken")
    message = str(info.value)
    assert "broken = broken_plugin_module:Thing" in message
    assert "broken-plugin" in message
    assert "ImportError: broken_plugin_module needs libfoo" in message


def test_a_component_of_the_wrong_kind_is_refused(broken_plugin):
    with pytest.raises(RegistryError, match="BCE, a loss, is not a subclass of sweepnet.Layer"):
        registry.layers.get("wrongkind")


def test_list_marks_the_broken_plugin_and_lists_the_others(broken_plugin, capsys):
    assert main(["list", "--kind", "layer"]) == 0
    rows = {line.split()[1]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "error: ImportError: broken_plugin_module needs libfoo" in rows["broken"]
    assert "error:" in rows["wrongkind"]
    assert rows["relu"].rstrip().endswith(" ok")
    assert rows["linear"].rstrip().endswith(" ok")


def test_check_of_a_broken_plugin_exits_2_with_the_reason(broken_plugin, capsys):
    assert main(["check", "broken"]) == 2
    err = capsys.readouterr().err
    assert "broken-plugin" in err and "ImportError" in err
    assert "Traceback" not in err


def test_a_name_registered_twice_needs_its_qualified_name(fake_plugins):
    write_distribution(fake_plugins, "other-relu", {"relu": "sweepnet.layers:LeakyReLU"})
    refresh_registries()
    with pytest.raises(RegistryError) as info:
        registry.layers.get("relu")
    message = str(info.value)
    assert "sweepnet" in message and "other-relu" in message
    assert "'sweepnet:relu'" in message
    assert registry.layers.get("sweepnet:relu") is sn.ReLU
    assert registry.layers.get("other-relu:relu") is sn.LeakyReLU


# -- sweepnet.testing ---------------------------------------------------------------------
class Square(sn.Activation):
    def function(self, x):
        return x * x

    def derivative(self, x):
        return 2 * x


class BadGrad(Square):
    def derivative(self, x):
        return 2 * x * 1.01


class Uphill(sn.Optimizer):
    def __init__(self, lr=0.01):
        super().__init__(lr)

    def update(self, key, param, grad, name):
        param += self.lr * grad


def test_check_layer_catches_a_gradient_off_by_one_percent():
    assert check_layer(Square).max_error < 1e-7
    with pytest.raises(AssertionError, match=r"max relative error 0\.0099 > tol 1e-07"):
        check_layer(BadGrad)


def test_check_command_fails_on_a_wrong_gradient(capsys):
    registry.layers.register("bad_grad")(BadGrad)
    try:
        assert main(["check", "bad_grad"]) == 1
    finally:
        registry.layers.unregister("bad_grad")
    assert "max relative error 0.0099" in capsys.readouterr().out


def test_check_layer_checks_shapes():
    class Flatten(sn.Activation):  # returns a gradient of the wrong shape
        def function(self, x):
            return x

        def backward(self, grad_out):
            return grad_out.ravel()

    with pytest.raises(AssertionError, match="shape"):
        check_layer(Flatten)


def test_check_optimizer_fails_for_an_optimizer_that_climbs():
    with pytest.raises(AssertionError, match="1% of its initial value"):
        check_optimizer(Uphill)


def test_check_dataset_refuses_bad_labels():
    with pytest.raises(AssertionError, match="at least 2 classes"):
        check_dataset(lambda: (np.zeros((4, 2)), np.zeros(4, dtype=int)))
    with pytest.raises(AssertionError, match="same number of rows"):
        check_dataset(lambda: (np.zeros((4, 2)), np.array([0, 1, 0])))


@pytest.mark.parametrize("component", [sn.Sigmoid, sn.ReLU, sn.BCE(), sn.CrossEntropy(),
                                       sn.MSE(), sn.SGD(0.1, momentum=0.9), sn.Adam],
                         ids=lambda c: type(c).__name__ if not isinstance(c, type) else
                         c.__name__)
def test_every_built_in_stacks_exactly_as_it_trains_alone(component):
    assert check_stacking(component).models == 3


def test_check_stacking_catches_a_loss_that_reduces_across_models():
    class Pooled(sn.MSE):  # declares stackable, but sums over the model axis too
        def forward(self, y_pred, y_true):
            self._check(y_pred, y_true)
            self.diff = y_pred - y_true
            total = float((self.diff * self.diff).sum()) / self._scale(y_pred)
            return total if self.models is None else np.full(self.models, total)

    with pytest.raises(AssertionError, match="other numbers than alone"):
        check_stacking(Pooled())

    class Plain(sn.MSE):
        stackable = False

    with pytest.raises(AssertionError, match="does not declare stackable"):
        check_stacking(Plain)


def test_relative_error():
    assert relative_error([0, 0], [0, 0]) == 0
    assert relative_error([1, 0], [1.01, 0]) == pytest.approx(0.01 / 1.01)


BUILTINS = {kind: sorted(e.name for e in registry.REGISTRIES[kind].entries()
                         if e.distribution == "sweepnet")
            for kind in ("layer", "loss")}


@pytest.mark.parametrize("name", BUILTINS["layer"])
def test_every_builtin_layer_passes_check_layer(name):
    assert check_layer(registry.layers.get(name)).passed


@pytest.mark.parametrize("name", BUILTINS["loss"])
def test_every_builtin_loss_passes_check_loss(name):
    result = check_loss(registry.losses.get(name))
    assert len(result.errors) == 2  # reduction "mean" and "sum"


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_builtin_optimizers_pass_check_optimizer(name):
    result = check_optimizer(registry.optimizers.get(name))
    assert result.final < 0.01 * result.initial


def test_check_passes_dataset_parameters_with_set(tmp_path, capsys):
    rng = np.random.default_rng(0)
    lines = ["a,b,label"] + [f"{x:.3f},{z:.3f},{'yes' if x > z else 'no'}"
                             for x, z in rng.normal(size=(40, 2))]
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    args = ["check", "csv", "--set", f"path={tmp_path / 'data.csv'}", "--set", "target=label"]
    assert main(args + ["--set", "positive=yes"]) == 0
    assert "X of shape (40, 2), 2 classes" in capsys.readouterr().out
    assert main(args) == 1  # a text target with two labels needs positive=
    assert "positive" in capsys.readouterr().out

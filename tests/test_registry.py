"""The registry: lookup by name, clear errors, lazy loading, hand registration."""

import subprocess
import sys

import pytest

import sweepnet as sn
from sweepnet import registry
from sweepnet.registry import RegistryError


@pytest.mark.parametrize("kind, names", [
    ("layer", {"linear", "relu", "leaky_relu", "sigmoid", "tanh", "identity", "softmax"}),
    ("loss", {"bce", "bce_with_logits", "cross_entropy", "mse"}),
    ("optimizer", {"sgd", "adam"}),
    ("dataset", {"moons", "circles", "breast_cancer", "digits", "iris", "toy", "csv"}),
])
def test_builtins_are_declared_through_entry_points(kind, names):
    reg = registry.REGISTRIES[kind]
    assert names <= set(reg.names())
    builtins = [e for e in reg.entries() if e.name in names]
    assert {e.distribution for e in builtins} == {"sweepnet"}
    assert all(e.entry_point is not None for e in builtins)


def test_get_returns_the_component():
    assert registry.layers.get("relu") is sn.ReLU
    assert registry.losses.get("bce") is sn.BCE
    assert registry.optimizers.get("adam") is sn.Adam
    assert registry.layers.get("sweepnet:sigmoid") is sn.Sigmoid


def test_unknown_name_lists_available_names_and_the_closest_match():
    with pytest.raises(RegistryError) as info:
        registry.layers.get("rleu")
    message = str(info.value)
    assert "unknown layer 'rleu'" in message
    assert "Did you mean 'relu'?" in message
    assert "identity, leaky_relu, linear" in message


def test_a_component_of_the_wrong_kind_is_rejected_at_get():
    # as if a plugin declared a loss under "sweepnet.layers" (tests/test_plugins.py does it
    # with a real entry point)
    registry.layers._registered["not_a_layer"] = registry.Entry(
        "layer", "not_a_layer", "tests", "(registered)", "", obj=sn.BCE)
    try:
        with pytest.raises(RegistryError, match=r"'not_a_layer' is registered as a layer .* "
                                                r"BCE, a loss, is not a subclass of "
                                                r"sweepnet.Layer"):
            registry.layers.get("not_a_layer")
    finally:
        registry.layers.unregister("not_a_layer")


def test_register_adds_a_component_usable_by_name_in_mlp():
    @registry.layers.register("cube")
    class Cube(sn.Activation):
        def function(self, x):
            return x**3

        def derivative(self, x):
            return 3 * x**2

    try:
        assert "cube" in registry.layers.names()
        model = sn.mlp([2, 3, 1], activation="cube", seed=0)
        assert isinstance(model[1], Cube)
    finally:
        registry.layers.unregister("cube")
    assert "cube" not in registry.layers.names()


def test_register_refuses_wrong_kinds_and_taken_names():
    with pytest.raises(RegistryError, match="cannot register 'x' as a loss"):
        registry.losses.register("x")(sn.ReLU)
    with pytest.raises(RegistryError, match="the name is taken by sweepnet"):
        registry.layers.register("relu")(sn.Tanh)


def test_mlp_with_an_unknown_activation_fails_with_the_registry_message():
    with pytest.raises(RegistryError, match="unknown layer 'swishh'"):
        sn.mlp([2, 3, 1], activation="swishh")


def test_listing_names_imports_no_component_module():
    code = (
        "import sys, sweepnet.registry as r\n"
        "names = [n for reg in r.REGISTRIES.values() for n in reg.names()]\n"
        "assert 'moons' in names\n"
        "print([m for m in ('sweepnet.datasets.builtin', 'sweepnet.datasets.csv', 'sklearn')"
        " if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"

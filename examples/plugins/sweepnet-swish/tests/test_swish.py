from sweepnet.testing import check_dataset, check_layer, check_stacking

from sweepnet_swish import GELU, Swish, spirals


def test_swish_gradients():
    check_layer(Swish)


def test_gelu_gradients():
    check_layer(GELU)


def test_swish_and_gelu_train_in_stacks_as_alone():
    check_stacking(Swish)
    check_stacking(GELU)


def test_spirals():
    check_dataset(spirals, n_samples=100)

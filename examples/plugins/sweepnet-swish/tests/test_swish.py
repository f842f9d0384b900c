from sweepnet.testing import check_dataset, check_layer

from sweepnet_swish import GELU, Swish, spirals


def test_swish_gradients():
    check_layer(Swish)


def test_gelu_gradients():
    check_layer(GELU)


def test_spirals():
    check_dataset(spirals, n_samples=100)

import numpy as np
import pytest

from sweepnet.testing import numerical_gradient, relative_error  # noqa: F401 (used by the tests)


@pytest.fixture
def rng():
    return np.random.default_rng(0)

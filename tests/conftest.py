import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def relative_error(a, b) -> float:
    """``|a - b| / max(|a|, |b|)`` in the 2-norm: the gradient-check measure."""
    a, b = np.ravel(a), np.ravel(b)
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def numerical_gradient(f, x, h=1e-6):
    """Central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h`` for every entry of x."""
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = f()
        flat[i] = old - h
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * h)
    return grad

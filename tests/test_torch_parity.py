"""SGD and Adam trajectories match torch.optim from identical weights (float64)."""

import numpy as np
import pytest

import sweepnet as sn

torch = pytest.importorskip("torch")

STEPS = 150


@pytest.fixture
def data(rng):
    X = rng.normal(size=(64, 3))
    y = (X[:, 0] * X[:, 1] + X[:, 2] > 0).astype(float).reshape(-1, 1)
    return X, y


def twin_models():
    """A sweepnet 3-8-1 network and a torch copy with the very same weights."""
    model = sn.mlp([3, 8, 1], activation="tanh", output="sigmoid", init="torch_uniform", seed=3)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1),
                              torch.nn.Sigmoid()).double()
    with torch.no_grad():
        for ours, theirs in zip([model[0], model[2]], [net[0], net[2]]):
            theirs.weight.copy_(torch.from_numpy(ours.weight.T.copy()))  # torch is (out, in)
            theirs.bias.copy_(torch.from_numpy(ours.bias.copy()))
    return model, net


def run_both(data, ours, make_theirs, batch_size=16, alpha=0.0):
    """``alpha``: sweepnet's L2 penalty, against torch's autograd of the penalized loss."""
    X, y = data
    model, net = twin_models()
    trainer = sn.Trainer(model, sn.BCE(), ours, batch_size=batch_size, shuffle=False,
                         alpha=alpha)
    opt = make_theirs(net)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    epochs = STEPS * batch_size // len(X)
    history = trainer.fit(X, y, epochs)
    torch_losses = []
    for _ in range(epochs):
        total = 0.0
        for i in range(0, len(X), batch_size):
            opt.zero_grad()
            xb = Xt[i:i + batch_size]
            loss = torch.nn.functional.binary_cross_entropy(net(xb), yt[i:i + batch_size])
            if alpha:
                squares = sum((p ** 2).sum() for n, p in net.named_parameters()
                              if n.endswith("weight"))
                loss = loss + 0.5 * alpha * squares / len(xb)
            loss.backward()
            opt.step()
            total += loss.item() * len(Xt[i:i + batch_size])
        torch_losses.append(total / len(X))
    np.testing.assert_allclose(history["loss"], torch_losses, rtol=0, atol=1e-10)
    for ours_layer, theirs in zip([model[0], model[2]], [net[0], net[2]]):
        np.testing.assert_allclose(ours_layer.weight, theirs.weight.detach().numpy().T,
                                   rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours_layer.bias, theirs.bias.detach().numpy(),
                                   rtol=0, atol=1e-10)
    return history


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_matches_torch(data, momentum, nesterov):
    history = run_both(
        data, sn.SGD(0.3, momentum=momentum, nesterov=nesterov),
        lambda net: torch.optim.SGD(net.parameters(), lr=0.3, momentum=momentum,
                                    nesterov=nesterov),
    )
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]


@pytest.mark.parametrize("batch_size", [16, 24])  # 64 samples: 24 leaves a batch of 16
def test_l2_penalty_matches_torch_autograd_of_the_penalized_loss(data, batch_size):
    run_both(data, sn.SGD(0.3, momentum=0.5),
             lambda net: torch.optim.SGD(net.parameters(), lr=0.3, momentum=0.5),
             batch_size=batch_size, alpha=0.4)


def test_l2_penalty_on_full_batches_is_torchs_weight_decay_on_the_weights(data):
    def make(net):
        weights = [p for n, p in net.named_parameters() if n.endswith("weight")]
        biases = [p for n, p in net.named_parameters() if n.endswith("bias")]
        return torch.optim.SGD([{"params": weights, "weight_decay": 0.01},
                                {"params": biases, "weight_decay": 0.0}], lr=0.3)

    X, y = data
    model, net = twin_models()
    sn.Trainer(model, sn.BCE(), sn.SGD(0.3), batch_size=16, shuffle=False,
               alpha=0.01 * 16).fit(X, y, 30)  # alpha / batch = weight_decay
    opt, Xt, yt = make(net), torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(30):
        for i in range(0, len(X), 16):
            opt.zero_grad()
            torch.nn.functional.binary_cross_entropy(net(Xt[i:i + 16]), yt[i:i + 16]).backward()
            opt.step()
    for ours_layer, theirs in zip([model[0], model[2]], [net[0], net[2]]):
        np.testing.assert_allclose(ours_layer.weight, theirs.weight.detach().numpy().T,
                                   rtol=0, atol=1e-10)


@pytest.mark.parametrize("lr, betas", [(0.01, (0.9, 0.999)), (0.05, (0.8, 0.99))])
def test_adam_matches_torch(data, lr, betas):
    history = run_both(
        data, sn.Adam(lr, betas=betas, eps=1e-8),
        lambda net: torch.optim.Adam(net.parameters(), lr=lr, betas=betas, eps=1e-8),
    )
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]

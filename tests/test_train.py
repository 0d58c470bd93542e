import math

import pytest
import torch
from torch import Tensor, nn

from dgm_utils.data import dequantize
from dgm_utils.train import History, evaluate, train_model


class DiagonalGaussian(nn.Module):
    """q(x) = N(x; mu, diag(exp(log_std))^2), fitted by maximum likelihood."""

    def __init__(self, dim: int = 2, mean: float = 0.0) -> None:
        super().__init__()
        self.mu = nn.Parameter(torch.full((dim,), mean))
        self.log_std = nn.Parameter(torch.zeros(dim))

    def log_prob(self, x: Tensor) -> Tensor:
        z = (x - self.mu) / self.log_std.exp()
        return (-0.5 * z**2 - self.log_std - 0.5 * math.log(2 * math.pi)).sum(-1)

    def loss(self, x: Tensor) -> dict[str, Tensor]:
        return {"loss": -self.log_prob(x).mean(), "mean_abs_mu": self.mu.abs().mean()}


def gaussian_data(n: int, mean: list[float], std: list[float], seed: int) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.tensor(mean) + torch.tensor(std) * torch.randn(n, len(mean), generator=g)


def test_fits_a_gaussian_and_history_fields():
    train, val = gaussian_data(2000, [1.0, -2.0], [0.5, 2.0], 0), gaussian_data(500, [1.0, -2.0], [0.5, 2.0], 1)
    model = DiagonalGaussian()
    history = train_model(model, train, val, steps=400, lr=0.05, eval_every=50, progress=False)
    assert isinstance(history, History) and not model.training
    assert [r["step"] for r in history.train] == list(range(1, 401))
    assert [r["step"] for r in history.val] == list(range(0, 401, 50))
    assert set(history.train[0]) == set(history.val[0]) == {"step", "loss", "mean_abs_mu"}
    assert history.val[-1]["loss"] < history.val[0]["loss"] - 0.5
    assert sum(r["loss"] for r in history.train[-50:]) < sum(r["loss"] for r in history.train[:50])
    assert torch.allclose(model.mu, torch.tensor([1.0, -2.0]), atol=0.15)
    assert torch.allclose(model.log_std.exp(), torch.tensor([0.5, 2.0]), rtol=0.1)
    # Best validation value and step are consistent with the log, and the weights with both.
    best = min(history.val, key=lambda r: r["loss"])
    assert (history.best_step, history.best_val) == (best["step"], best["loss"])
    assert evaluate(model, val)["loss"] == pytest.approx(history.best_val, abs=1e-6)
    assert not history.stopped_early


def noisy(x: Tensor, generator: torch.Generator) -> Tensor:
    return x + 0.1 * torch.randn(x.shape, generator=generator)


def test_deterministic():
    train, val = gaussian_data(500, [0.5, 0.5], [1.0, 1.0], 0), gaussian_data(100, [0.5, 0.5], [1.0, 1.0], 1)
    runs = []
    for _ in range(2):
        model = DiagonalGaussian()
        history = train_model(model, train, val, steps=60, batch_size=32, eval_every=20, transform=noisy,
                              seed=7, progress=False)
        runs.append((history, model.state_dict()))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(runs[0][1][k], runs[1][1][k]) for k in runs[0][1])
    other = train_model(DiagonalGaussian(), train, val, steps=60, batch_size=32, eval_every=20,
                        transform=noisy, seed=8, progress=False)
    assert other.train != runs[0][0].train


def test_validation_transform_uses_a_fixed_seed():
    val = torch.randint(0, 17, (300, 2)).float()
    model = DiagonalGaussian(mean=8.0)
    first = evaluate(model, val, batch_size=64, transform=dequantize)
    assert evaluate(model, val, batch_size=64, transform=dequantize) == first
    assert evaluate(model, val, batch_size=64, transform=dequantize, seed=1) != first


def test_early_stopping_restores_the_best_weights():
    # Training pulls mu from 0 towards 4, validation data sit at 1: val improves, then worsens.
    train, val = gaussian_data(1000, [4.0], [1.0], 0), gaussian_data(300, [1.0], [1.0], 1)
    model = DiagonalGaussian(dim=1)
    history = train_model(model, train, val, steps=2000, lr=0.02, eval_every=5, patience=3, progress=False)
    assert history.stopped_early
    assert history.val[-1]["step"] == history.best_step + 3 * 5 < 2000
    assert len(history.train) == history.val[-1]["step"]
    assert history.best_val == min(r["loss"] for r in history.val) < history.val[-1]["loss"]
    assert evaluate(model, val)["loss"] == pytest.approx(history.best_val, abs=1e-6)
    assert 0.0 < model.mu.item() < 2.0 and not model.training  # on the way from 0 to 4, not at 4


def test_without_validation_and_options():
    train = gaussian_data(300, [2.0, 0.0], [1.0, 1.0], 0)
    model = DiagonalGaussian()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    history = train_model(model, train, steps=30, batch_size=64, optimizer=optimizer, grad_clip=0.01,
                          progress=True)
    assert history.val == [] and history.best_step == 30 and math.isnan(history.best_val)
    assert not history.stopped_early and len(history.train) == 30
    # SGD with step 0.1 and gradients clipped to norm 0.01 moves mu by at most 30 * 0.001.
    assert model.mu.norm().item() <= 30 * 0.1 * 0.01 + 1e-6

"""dgm_utils.checks: each check passes on a correct transform and catches a broken one,
with a message that helps without printing the true value."""
import math

import pytest
import torch

from dgm_utils.checks import (
    check_density_normalized,
    check_inverse,
    check_jacobian,
    check_log_det,
    check_shape,
    grid_mass,
    jacobian,
)

GEN = torch.Generator().manual_seed(0)
X = torch.randn(32, 2, generator=GEN, dtype=torch.float64)


# A 2D coupling layer z = f(x): z1 = x1, z2 = (x2 - mu(x1)) / sigma(x1); det J_f = 1 / sigma(x1).
def mu(x1):
    return 0.5 * x1**2 - 1.0


def sigma(x1):
    return torch.exp(0.5 * torch.tanh(x1))


def f(x):
    x1, x2 = x[:, :1], x[:, 1:]
    return torch.cat([x1, (x2 - mu(x1)) / sigma(x1)], dim=1)


def g(z):
    z1, z2 = z[:, :1], z[:, 1:]
    return torch.cat([z1, z2 * sigma(z1) + mu(z1)], dim=1)


def jac_by_hand(x):
    x1, x2 = x[:, 0], x[:, 1]
    s, t = sigma(x1), torch.tanh(x1)
    ds = s * 0.5 * (1 - t**2)
    J = torch.zeros(len(x), 2, 2, dtype=x.dtype)
    J[:, 0, 0] = 1.0
    J[:, 1, 0] = -x1 / s - (x2 - mu(x1)) * ds / s**2
    J[:, 1, 1] = 1.0 / s
    return J


def log_det(x):
    return -0.5 * torch.tanh(x[:, 0])


def log_prob(x):
    z = f(x)
    return -0.5 * (z**2).sum(1) - math.log(2 * math.pi) + log_det(x)


def assert_no_value(message, values, digits=(3, 4, 6)):
    """None of the true values appears in the message, in any usual formatting."""
    for v in torch.as_tensor(values).reshape(-1)[:8].tolist():
        for d in digits:
            for text in (f"{v:.{d}f}", f"{v:.{d}g}"):
                if len(text.strip("-0.")) >= 3:
                    assert text not in message, (text, message)


# ---------------------------------------------------------------- jacobian / check_shape
def test_jacobian_matches_hand_derivation_and_linear_map():
    assert torch.allclose(jacobian(f, X), jac_by_hand(X), atol=1e-10)
    W = torch.tensor([[1.0, 2.0], [-3.0, 0.5]], dtype=torch.float64)
    J = jacobian(lambda x: x @ W.T, X)
    assert J.shape == (32, 2, 2)
    assert torch.allclose(J, W.expand(32, 2, 2))  # J = dz/dx = W, not W^T


def test_jacobian_nonsquare_and_unused_input():
    J = jacobian(lambda x: x[:, :1] * 3.0, X)
    assert J.shape == (32, 1, 2)
    assert torch.all(J[:, 0, 0] == 3.0) and torch.all(J[:, 0, 1] == 0.0)


def test_check_shape():
    check_shape(torch.zeros(3, 2), (3, 2), "z")
    check_shape(torch.zeros(3, 2), (None, 2), "z")
    with pytest.raises(AssertionError, match="torch.Tensor"):
        check_shape([1.0, 2.0], (2,), "z")
    with pytest.raises(AssertionError, match="floating-point"):
        check_shape(torch.zeros(3, dtype=torch.long), (3,), "z")
    with pytest.raises(AssertionError, match=r"shape \(3, 2\)"):
        check_shape(torch.zeros(2, 3), (3, 2), "z")
    with pytest.raises(AssertionError, match="non-finite.*index \\(1,\\)"):
        check_shape(torch.tensor([0.0, float("nan"), 1.0]), (3,), "z")
    check_shape(torch.tensor([0.0, float("-inf")]), (2,), "lp", allow_neg_inf=True)


# ---------------------------------------------------------------- check_inverse
def test_check_inverse_passes_and_catches_non_inverse():
    check_inverse(f, g, X)
    check_inverse(f, g, X.float(), atol=1e-4)

    def g_wrong(z):  # divides where it should multiply
        z1, z2 = z[:, :1], z[:, 1:]
        return torch.cat([z1, z2 / sigma(z1) + mu(z1)], dim=1)

    with pytest.raises(AssertionError) as info:
        check_inverse(f, g_wrong, X)
    message = str(info.value)
    assert "g(f(x))" in message and "row" in message and "atol" in message


def test_check_inverse_catches_wrong_order():
    def f2(x):  # shift, then scale
        return (x - 1.0) * 2.0

    def g2_wrong(z):  # undoes in the wrong order
        return z / 2.0 - 1.0

    with pytest.raises(AssertionError, match="reverse order"):
        check_inverse(f2, g2_wrong, X)
    check_inverse(f2, lambda z: z / 2.0 + 1.0, X)


def test_check_inverse_catches_wrong_shape():
    with pytest.raises(AssertionError, match="shape"):
        check_inverse(f, lambda z: z[:, :1], X)


# ---------------------------------------------------------------- check_jacobian
def test_check_jacobian_passes_and_catches_mistakes():
    check_jacobian(jac_by_hand(X), f, X, atol=1e-8)

    with pytest.raises(AssertionError, match="transpose") as info:
        check_jacobian(jac_by_hand(X).transpose(1, 2), f, X)
    assert_no_value(str(info.value), jac_by_hand(X))

    with pytest.raises(AssertionError, match="inverse") as info:
        check_jacobian(torch.linalg.inv(jac_by_hand(X)), f, X)
    assert_no_value(str(info.value), jac_by_hand(X))

    wrong = jac_by_hand(X)
    wrong[:, 1, 0] = -X[:, 0] / sigma(X[:, 0])  # forgot the sigma'(x1) term
    with pytest.raises(AssertionError, match=r"\[\d+, 1, 0\]") as info:
        check_jacobian(wrong, f, X)
    assert_no_value(str(info.value), jac_by_hand(X)[:, 1, 0])

    with pytest.raises(AssertionError, match="one m x m Jacobian per row"):
        check_jacobian(jac_by_hand(X)[0], f, X)


def test_check_jacobian_linear_map_slide_convention():
    W = torch.tensor([[1.0, 2.0], [-3.0, 0.5]], dtype=torch.float64)
    check_jacobian(W.expand(32, 2, 2), lambda x: x @ W.T, X)
    with pytest.raises(AssertionError, match="transpose"):
        check_jacobian(W.T.expand(32, 2, 2), lambda x: x @ W.T, X)


# ---------------------------------------------------------------- check_log_det
def test_check_log_det_passes():
    check_log_det(f, log_det(X), X)
    check_log_det(f, log_det(X.float()), X.float())


def test_check_log_det_sign_error():
    with pytest.raises(AssertionError, match="sign is flipped") as info:
        check_log_det(f, -log_det(X), X)
    assert "row" in str(info.value) and "atol" in str(info.value)
    assert_no_value(str(info.value), log_det(X))


def test_check_log_det_missing_sum():
    def f_elem(x):
        return x * torch.tensor([2.0, 3.0], dtype=x.dtype) + x**3

    per_dim = torch.log(torch.tensor([2.0, 3.0], dtype=X.dtype) + 3 * X**2)
    check_log_det(f_elem, per_dim.sum(1), X)
    with pytest.raises(AssertionError, match="sum of the\\s+log-diagonal"):
        check_log_det(f_elem, per_dim, X)


def test_check_log_det_batch_reduced_and_not_log():
    with pytest.raises(AssertionError, match="whole batch"):
        check_log_det(f, log_det(X).sum(), X)
    with pytest.raises(AssertionError, match="take the log"):
        check_log_det(f, log_det(X).exp(), X)
    with pytest.raises(AssertionError, match="NaN.*absolute value"):
        check_log_det(f, torch.log(-log_det(X).exp()), X)


def test_check_log_det_generic_error_does_not_leak():
    wrong = log_det(X) + 0.3 * X[:, 1]
    with pytest.raises(AssertionError, match="off by") as info:
        check_log_det(f, wrong, X)
    assert_no_value(str(info.value), log_det(X))


# ---------------------------------------------------------------- density
def test_grid_mass_and_normalized_density():
    assert abs(grid_mass(log_prob, extent=7.0, grid=300) - 1.0) < 2e-3
    check_density_normalized(log_prob, extent=7.0, grid=300, atol=5e-3)
    check_density_normalized(log_prob, extent=7.0, grid=300, atol=5e-3, dtype=torch.float64)


def test_check_density_normalized_catches_missing_det_and_constant():
    def without_det(x):
        z = f(x)
        return -0.5 * (z**2).sum(1) - math.log(2 * math.pi)

    def without_constant(x):
        z = f(x)
        return -0.5 * (z**2).sum(1) + log_det(x)

    for wrong in (without_det, without_constant):
        with pytest.raises(AssertionError, match="not to 1") as info:
            check_density_normalized(wrong, extent=7.0, grid=300)
        assert "|det J|" in str(info.value)


def test_check_density_normalized_rejects_bad_output():
    with pytest.raises(AssertionError, match="shape"):
        check_density_normalized(lambda x: log_prob(x)[:, None])
    check_density_normalized(
        lambda x: torch.where(x[:, 0].abs() < 1, -math.log(2.0), -math.inf)
        + torch.distributions.Normal(0.0, 1.0).log_prob(x[:, 1]),
        extent=6.0,
        grid=400,
    )

"""Released answers of assignment 04 (latent variable models): the PPCA marginal.

Handed out with assignment 05 and later, once 04's deadline has passed (``dgm_utils.released``).
PPCA: p(z) = N(0, I_d), p(x | z, theta) = N(W z + mu, sigma^2 I_D), theta = (W (D, d), mu (D,), sigma^2).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..lvm import gaussian_log_prob

__all__ = ["ppca_marginal", "ppca_log_marginal"]


def ppca_marginal(W: Tensor, mu: Tensor, sigma2: float) -> tuple[Tensor, Tensor]:
    """Mean (D,) and covariance (D, D) of p(x | theta) = N(mu, W W^T + sigma^2 I); W: (D, d), mu: (D,)."""
    D = W.shape[0]
    return mu, W @ W.T + sigma2 * torch.eye(D, dtype=W.dtype)


def ppca_log_marginal(x: Tensor, W: Tensor, mu: Tensor, sigma2: float) -> Tensor:
    """log p(x_i | theta) for the rows of x (n, D); shape (n,)."""
    mean, cov = ppca_marginal(W, mu, sigma2)
    return gaussian_log_prob(x, mean, cov)

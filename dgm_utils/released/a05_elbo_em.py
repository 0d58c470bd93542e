"""Released answers of assignment 05 (ELBO and EM): the PPCA posterior and maximum-likelihood PPCA.

Handed out with assignment 06 and later, once 05's deadline has passed (``dgm_utils.released``).
PPCA: p(z) = N(0, I_d), p(x | z, theta) = N(W z + mu, sigma^2 I_D), theta = (W (D, d), mu (D,), sigma^2).
"""
from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["ppca_e_step", "ppca_closed_form"]


def ppca_e_step(x: Tensor, W: Tensor, mu: Tensor, sigma2) -> tuple[Tensor, Tensor]:
    """q(z_i) = p(z_i | x_i, theta) = N(E[z_i], S_z): returns E[z_i] as the rows of an (n, d) tensor and S_z (d, d).

    E[z_i] = M^{-1} W^T (x_i - mu), S_z = sigma^2 M^{-1}, M = W^T W + sigma^2 I_d.
    """
    d = W.shape[1]
    M_inv = torch.linalg.inv(W.T @ W + sigma2 * torch.eye(d, dtype=W.dtype))
    return (x - mu) @ W @ M_inv, sigma2 * M_inv


def ppca_closed_form(x: Tensor, d: int) -> tuple[Tensor, Tensor, Tensor]:
    """Maximum-likelihood PPCA (Tipping and Bishop) with R = I; returns (W (D, d), mu (D,), sigma2 (0-dim))."""
    mu = x.mean(0)
    xc = x - mu
    S = xc.T @ xc / x.shape[0]
    eigenvalues, U = torch.linalg.eigh(S)  # ascending
    eigenvalues, U = eigenvalues.flip(0), U.flip(1)
    sigma2 = eigenvalues[d:].mean()
    W = U[:, :d] * torch.sqrt(eigenvalues[:d] - sigma2)
    return W, mu, sigma2

"""Helpers for latent variable models, shared by assignments 04 and 05 (and the VAE): not graded.

* ``gaussian_log_prob``: log N(x | mu_k, Sigma_k) of every data point under every
  component of a Gaussian mixture at once (full or diagonal covariances), by Cholesky;
* ``draw_ellipses``: the 1-, 2-sigma ellipses of 2D Gaussians on a matplotlib axis.

Notation as in the lecture: data x of dimension D, latent z; a mixture has
p(z = k) = pi_k and p(x | z = k, theta) = N(x | mu_k, Sigma_k).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

__all__ = ["gaussian_log_prob", "draw_ellipses"]

_LOG_2PI = math.log(2 * math.pi)


def gaussian_log_prob(x: Tensor, means: Tensor, covs: Tensor) -> Tensor:
    """log N(x_i | mu_k, Sigma_k) for every row x_i of x and every component k.

    x: (n, D). means: (K, D). covs: (K, D, D) full covariance matrices, or (K, D) the
    diagonals of diagonal ones. Returns (n, K). A single Gaussian: means (D,) and
    covs (D, D) or (D,) give shape (n,).

    Full: with the Cholesky factor Sigma_k = L_k L_k^T and y = L_k^{-1} (x - mu_k),
        log N(x | mu_k, Sigma_k) = -1/2 ||y||^2 - sum_j log (L_k)_jj - D/2 log(2 pi)
    (log det Sigma_k = 2 sum_j log (L_k)_jj). As in scikit-learn, the K triangular
    matrices L_k^{-1} are formed once, and y for all k comes from one matrix product.
    Diagonal Sigma_k = diag(s_k): with p_k = 1 / s_k, expanded into matrix products
        sum_j (x_j - mu_kj)^2 p_kj = (x * x) @ p_k - 2 x @ (mu_k * p_k) + sum_j mu_kj^2 p_kj,
        log N = -1/2 (that) - 1/2 sum_j log s_kj - D/2 log(2 pi).
    Raises torch.linalg.LinAlgError if a covariance is not positive definite.
    """
    if means.dim() == 1:
        return gaussian_log_prob(x, means[None], covs[None])[:, 0]
    n, D = x.shape
    K = means.shape[0]
    if covs.dim() == 2:  # diagonal: (K, D) variances
        precision = 1.0 / covs
        maha = (x * x) @ precision.T - 2.0 * x @ (means * precision).T + (means * means * precision).sum(1)
        return -0.5 * maha - 0.5 * torch.log(covs).sum(-1) - 0.5 * D * _LOG_2PI
    L = torch.linalg.cholesky(covs)  # (K, D, D), lower
    eye = torch.eye(D, dtype=x.dtype, device=x.device).expand(K, D, D)
    P = torch.linalg.solve_triangular(L, eye, upper=False).mT  # (K, D, D): y_k = (x - mu_k) @ P_k
    y = (x @ P.transpose(0, 1).reshape(D, K * D)).reshape(n, K, D) - (means[:, None, :] @ P)[:, 0]  # (n, K, D)
    maha = y.square_().sum(-1)  # (n, K)
    half_log_det = torch.log(torch.diagonal(L, dim1=-2, dim2=-1)).sum(-1)  # (K,)
    return -0.5 * maha - half_log_det - 0.5 * D * _LOG_2PI


def draw_ellipses(ax, means, covs, weights=None, n_std=(1.0, 2.0), color="C3", **kwargs) -> None:
    """Draw the n_std-sigma ellipses {x : (x - mu)^T Sigma^{-1} (x - mu) = n_std^2} of 2D Gaussians.

    means (K, 2), covs (K, 2, 2) or (K, 2) diagonal; tensors or arrays. With ``weights``
    the line width grows with the mixture weight pi_k.
    """
    from matplotlib.patches import Ellipse

    means = np.asarray(means.detach().cpu() if hasattr(means, "detach") else means, dtype=float)
    covs = np.asarray(covs.detach().cpu() if hasattr(covs, "detach") else covs, dtype=float)
    if covs.ndim == 2:
        covs = np.stack([np.diag(c) for c in covs])
    if weights is not None:
        weights = np.asarray(weights.detach().cpu() if hasattr(weights, "detach") else weights, dtype=float)
    for k, (mean, cov) in enumerate(zip(means, covs)):
        values, vectors = np.linalg.eigh(cov)
        angle = math.degrees(math.atan2(vectors[1, -1], vectors[0, -1]))
        width = 0.5 + 3.0 * len(means) * weights[k] if weights is not None else 1.5
        for s in n_std:
            ax.add_patch(Ellipse(mean, 2 * s * math.sqrt(values[-1]), 2 * s * math.sqrt(values[0]), angle=angle,
                                 fill=False, color=color, lw=width / s, **kwargs))
        ax.plot(*mean, "+", color=color, ms=8)

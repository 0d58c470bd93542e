"""EM for the Gaussian mixture: the reference of assignment 05 against scikit-learn's GaussianMixture.

Same data, same initialisation (weights, means and precisions = inverse covariances), the
same number of iterations (``tol = 0``: both run exactly ``ITERATIONS`` E- and M-steps),
the same ``reg_covar``; float64 for both. Cases: 100,000 points of the 2D ring of 8
Gaussians with K = 8 full covariances, and the 1797 scikit-learn digits (D = 64) with
K = 10 diagonal and full covariances.

Reported per case and thread count (torch threads = BLAS threads): wall time per
iteration (the whole ``fit`` divided by its number of iterations, initialisation and the
final E-step included on both sides; the best of ``REPEATS`` runs, since the machine is
shared) and the final mean log-likelihood per sample of each (ours: the final entry of
``fit_em``'s history; scikit-learn: ``score``), and their difference.
"""
from __future__ import annotations

import os
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from benchmarks.common import reference_namespace, table
from dgm_utils.data import RingOfGaussians

ITERATIONS = 100
REPEATS = 3
THREADS = tuple(int(t) for t in os.environ.get("BENCH_EM_THREADS", "1,2").split(","))
REG_COVAR = 1e-6


def cases() -> list[tuple[str, torch.Tensor, int, str]]:
    ring = RingOfGaussians().sample(100_000, torch.Generator().manual_seed(0)).to(torch.float64)
    digits = torch.as_tensor(load_digits().data, dtype=torch.float64)
    return [("ring", ring, 8, "full"), ("digits", digits, 10, "diag"), ("digits", digits, 10, "full")]


def initial_theta(x: torch.Tensor, K: int, covariance_type: str, seed: int = 0):
    """Equal weights, K distinct data points as means, the data covariance (+ reg) for every component."""
    n, D = x.shape
    means = x[torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:K]].clone()
    cov = torch.cov(x.T, correction=0) + REG_COVAR * torch.eye(D, dtype=x.dtype)
    covs = cov.expand(K, D, D).clone() if covariance_type == "full" else torch.diagonal(cov).expand(K, D).clone()
    return torch.full((K,), 1.0 / K, dtype=x.dtype), means, covs


def run_ours(fit_em, x, theta0, covariance_type):
    start = time.perf_counter()
    result = fit_em(x, *theta0, max_iter=ITERATIONS, tol=0.0, reg_covar=REG_COVAR,
                    covariance_type=covariance_type, progress=False)
    return (time.perf_counter() - start) / result.n_iter, result.log_likelihoods[-1]


def run_sklearn(x, theta0, covariance_type):
    weights, means, covs = theta0
    precisions = torch.linalg.inv(covs) if covariance_type == "full" else 1.0 / covs
    gm = GaussianMixture(len(weights), covariance_type=covariance_type, max_iter=ITERATIONS, tol=0.0,
                         reg_covar=REG_COVAR, weights_init=weights.numpy(), means_init=means.numpy(),
                         precisions_init=precisions.numpy(), init_params="random_from_data", random_state=0)
    X = x.numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol = 0 never "converges"
        start = time.perf_counter()
        gm.fit(X)
        seconds = (time.perf_counter() - start) / gm.n_iter_
    return seconds, gm.score(X)


def main() -> None:
    fit_em = reference_namespace("05_elbo_em")["fit_em"]
    rows = []
    for name, x, K, covariance_type in cases():
        theta0 = initial_theta(x, K, covariance_type)
        for threads in THREADS:
            torch.set_num_threads(threads)
            with threadpool_limits(threads):
                ours, theirs = [], []
                for _ in range(REPEATS):  # interleaved, so that both see the same load
                    ours.append(run_ours(fit_em, x, theta0, covariance_type))
                    theirs.append(run_sklearn(x, theta0, covariance_type))
            t_ours, ll_ours = min(t for t, _ in ours), ours[0][1]
            t_sk, ll_sk = min(t for t, _ in theirs), theirs[0][1]
            rows.append([f"{name} ({x.shape[0]} x {x.shape[1]})", K, covariance_type, threads,
                         round(1e3 * t_ours, 2), round(1e3 * t_sk, 2), round(t_sk / t_ours, 2),
                         f"{ll_ours:.10f}", f"{ll_sk:.10f}", f"{abs(ll_ours - ll_sk):.1e}"])
    table("em", ["data (n x D)", "K", "covariance", "threads", "ours ms/iter", "sklearn ms/iter",
                 "speed-up", "ours log-lik/sample", "sklearn log-lik/sample", "|difference|"], rows)
    print(f"\n{ITERATIONS} iterations from the same initialisation, tol = 0, reg_covar = {REG_COVAR:g}, float64; "
          f"time per iteration = best of {REPEATS} runs of the whole fit / iterations; "
          f"speed-up = sklearn time / ours (> 1: ours is faster).")


if __name__ == "__main__":
    main()

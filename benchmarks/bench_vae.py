"""Test likelihood on digits: the VAEs of assignment 06 next to the per-pixel baseline, PPCA, a Gaussian mixture and the Glow of 03.

Data: ``load_digits_split()`` (1257 / 270 / 270 images, 17 levels, D = 64). Every model is a
density of y = (x + v) / 17, v ~ U[0, 1)^64 (``dequantize``, the transform of assignments 03
and 06); the number reported is the test NLL in **bits per dimension of the 17-level data**,
``dgm_utils.data.bits_per_dim(log p(y), 64, scale=17)`` = -(mean log p(y) - 64 log 17) / (64 ln 2),
the formula of assignment 03. Since log P(x) >= E_v log p((x + v) / 17) - 64 log 17 (Jensen),
each number upper-bounds (in expectation) the NLL of the discrete digits. All models are
evaluated on ONE fixed dequantization of the test split (seed 123). Model selection (K, d,
early stopping) on the validation split, dequantized with seed 124 for the fitted-in-closed-form models.

Rows:
* uniform (log2 17) and independent per-pixel categorical (``dgm_utils.data.per_pixel_bits_per_dim``,
  add-one smoothing; exact *discrete* bits/dim, no dequantization): the baseline every model must beat.
* PPCA: the closed-form maximum-likelihood solution (Tipping and Bishop) on one dequantization of
  the training split (seed 125), exact likelihood; d chosen on validation.
* Gaussian mixture: scikit-learn ``GaussianMixture`` (full covariances, reg_covar 1e-4, 3 inits),
  exact likelihood; K chosen on validation.
* VAE (reference of assignment 06, ``reference_namespace``): Gaussian decoders on the dequantized
  y (linear, d = 8, one sigma^2: PPCA; MLP, d = 8 and 16, hidden 128, per-pixel sigma^2) and decoders
  over the 17 levels of the integer digits (categorical and discretized logistic, MLP d = 16,
  hidden 256: exact *discrete* bits/dim, no dequantization), Adam, batch 128, early stopping on the
  validation ELBO; the likelihood is the importance-weighted estimate with k = 1000 (a stochastic
  lower bound on log p, so the VAE's number is conservative); the test ELBO is shown too.
* Glow (reference of assignment 03, ``glow_digits(hidden=64)``): Adam 1e-3, batch 64, at most
  2000 steps with early stopping (patience 10 evaluations of 100 steps); exact likelihood.
"""
from __future__ import annotations

import math
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits
from torch import nn

from benchmarks.common import reference_namespace, table
from dgm_utils.data import DIGITS_LEVELS, bits_per_dim, dequantize, load_digits_split, per_pixel_bits_per_dim
from dgm_utils.lvm import gaussian_log_prob
from dgm_utils.train import train_model

D = 64
IW_K = 1000
TEST_SEED, VAL_SEED, TRAIN_SEED = 123, 124, 125


def to_unit(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return dequantize(x, generator) / DIGITS_LEVELS


def bpd(log_p, scale: float = DIGITS_LEVELS) -> float:
    """Bits/dim of the 17-level digits: scale 17 for a density of y = (x + v) / 17, 1 for a distribution over the levels."""
    return bits_per_dim(log_p, D, scale=scale)


def ppca_rows(y_train, y_val, y_test):
    y_train, y_val, y_test = y_train.double(), y_val.double(), y_test.double()
    mu = y_train.mean(0)
    xc = y_train - mu
    eigenvalues, U = torch.linalg.eigh(xc.T @ xc / len(xc))
    eigenvalues, U = eigenvalues.flip(0), U.flip(1)

    def log_p(y, d):
        sigma2 = eigenvalues[d:].mean()
        W = U[:, :d] * torch.sqrt(eigenvalues[:d] - sigma2)
        return gaussian_log_prob(y, mu, W @ W.T + sigma2 * torch.eye(D, dtype=y.dtype))

    rows = []
    best = min((2, 4, 8, 16, 24, 32, 48), key=lambda d: bpd(log_p(y_val, d)))
    for d in sorted({8, best}):
        rows.append([f"PPCA, closed form, d = {d}" + (" (best on val)" if d == best else ""), "exact",
                     bpd(log_p(y_val, d)), bpd(log_p(y_test, d)), "-", 0.0])
    return rows


def gmm_rows(y_train, y_val, y_test):
    results = {}
    for K in (1, 5, 10, 20, 40):
        start = time.perf_counter()
        gm = GaussianMixture(K, covariance_type="full", reg_covar=1e-4, n_init=3, random_state=0, max_iter=500)
        gm.fit(y_train.double().numpy())
        results[K] = (gm, time.perf_counter() - start)
    best = max(results, key=lambda K: results[K][0].score(y_val.double().numpy()))
    rows = []
    for K in sorted({10, best}):
        gm, seconds = results[K]
        rows.append([f"Gaussian mixture (sklearn), K = {K}, full" + (" (best on val)" if K == best else ""), "exact",
                     bpd(torch.as_tensor(gm.score_samples(y_val.double().numpy()))),
                     bpd(torch.as_tensor(gm.score_samples(y_test.double().numpy()))), "-", seconds])
    return rows


@torch.no_grad()
def iw_log_p(model, y, k, seed=0, batch=30):
    gen = torch.Generator().manual_seed(seed)
    return torch.cat([model.iw_log_likelihood(b, k, gen) for b in y.split(batch)])


def vae_rows(ns, digits, y_val, y_test):
    VAE, GaussianEncoder, mlp_decoder = ns["VAE"], ns["GaussianEncoder"], ns["mlp_decoder"]
    GaussianPixels, CategoricalPixels, Logistic = ns["GaussianPixels"], ns["CategoricalPixels"], ns["DiscretizedLogisticPixels"]
    var_train = to_unit(digits.train, torch.Generator().manual_seed(TRAIN_SEED)).var(0)
    levels = float(DIGITS_LEVELS - 1)
    # name, d, hidden, lr, likelihood, transform (None: the integer levels)
    configs = [("Gaussian linear VAE (= PPCA), d = 8", 8, None, 1e-2, GaussianPixels(D), to_unit),
               ("Gaussian MLP VAE, d = 8", 8, 128, 3e-3, GaussianPixels(D, per_pixel_variance=True), to_unit),
               ("Gaussian MLP VAE, d = 16", 16, 128, 3e-3, GaussianPixels(D, per_pixel_variance=True), to_unit),
               ("categorical MLP VAE, d = 16", 16, 256, 2e-3, CategoricalPixels(D), None),
               ("discretized logistic MLP VAE, d = 16", 16, 256, 2e-3, Logistic(D), None)]
    rows = []
    for name, d, hidden, lr, likelihood, transform in configs:
        torch.manual_seed(0)
        scale = DIGITS_LEVELS if transform else 1.0
        encoder = GaussianEncoder(D, d, hidden=hidden, dtype=torch.float32, input_scale=1.0 if transform else levels)
        decoder = nn.Linear(d, likelihood.out_features) if hidden is None else mlp_decoder(d, likelihood.out_features, hidden)
        model = VAE(encoder, decoder, likelihood)
        if isinstance(likelihood, GaussianPixels):
            with torch.no_grad():
                likelihood.log_sigma2.copy_(torch.log(var_train.mean()) if hidden is None else torch.log(var_train))
        start = time.perf_counter()
        history = train_model(model, digits.train, digits.val, steps=8000, batch_size=128, lr=lr, eval_every=100,
                              patience=10, seed=0, transform=transform, progress=False)
        seconds = time.perf_counter() - start
        val, test = (y_val, y_test) if transform else (digits.val, digits.test)
        with torch.no_grad():
            elbo = model.elbo(test, torch.randn(1, len(test), d, generator=torch.Generator().manual_seed(0)))
        rows.append([f"{name}, {history.best_step} steps", f"IW k = {IW_K}", bpd(iw_log_p(model, val, IW_K), scale),
                     bpd(iw_log_p(model, test, IW_K), scale), bpd(elbo, scale), seconds])
    return rows


def glow_rows(digits, y_val, y_test):
    try:
        ns = reference_namespace("03_realnvp_glow")
    except Exception as error:  # the assignment may not exist in this checkout
        return [[f"Glow (assignment 03): not available ({type(error).__name__})", "-", "-", "-", "-", "-"]]
    torch.manual_seed(0)
    glow = ns["glow_digits"](hidden=64)
    with torch.no_grad():  # data-dependent ActNorm initialisation, as in assignment 03
        glow.log_prob(to_unit(digits.train[:512], torch.Generator().manual_seed(0)))
    start = time.perf_counter()
    history = train_model(glow, digits.train, digits.val, steps=2000, batch_size=64, lr=1e-3, eval_every=100,
                          patience=10, seed=0, transform=to_unit, progress=False)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        return [[f"Glow (assignment 03), hidden 64, {history.best_step} steps", "exact", bpd(glow.log_prob(y_val)),
                 bpd(glow.log_prob(y_test)), "-", seconds]]


def main() -> None:
    torch.set_num_threads(1)
    with threadpool_limits(1):
        digits = load_digits_split()
        y_train = to_unit(digits.train, torch.Generator().manual_seed(TRAIN_SEED))
        y_val = to_unit(digits.val, torch.Generator().manual_seed(VAL_SEED))
        y_test = to_unit(digits.test, torch.Generator().manual_seed(TEST_SEED))
        rows = [["uniform on [0, 17)^64", "exact", math.log2(DIGITS_LEVELS), math.log2(DIGITS_LEVELS), "-", 0.0],
                ["per-pixel categorical (discrete, add-one): the baseline", "exact, discrete",
                 per_pixel_bits_per_dim(digits.train, digits.val), per_pixel_bits_per_dim(digits.train, digits.test), "-", 0.0]]
        rows += ppca_rows(y_train, y_val, y_test)
        rows += gmm_rows(y_train, y_val, y_test)
        rows += vae_rows(reference_namespace("06_amortized_inference"), digits, y_val, y_test)
        rows += glow_rows(digits, y_val, y_test)
    table("vae", ["model", "likelihood", "val bits/dim", "test bits/dim", "test ELBO bits/dim", "train s"],
          [[r[0], r[1], *(round(v, 4) if isinstance(v, float) else v for v in r[2:5]), round(r[5], 1) if isinstance(r[5], float) else r[5]]
           for r in rows])
    print("\nbits/dim of the 17-level digits (D = 64) = -(mean log p(y) - 64 log 17) / (64 ln 2) with y = (x + v) / 17, "
          "one fixed dequantization of val (seed 124) and test (seed 123); lower is better. "
          f"IW = importance-weighted estimate with k = {IW_K} (a lower bound on log p in expectation); 1 torch/BLAS thread.")


if __name__ == "__main__":
    main()

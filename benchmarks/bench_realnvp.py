"""RealNVP and Glow: the reference of assignment 03 against zuko, nflows and normflows, plus simple baselines.

One run, the same budget for every flow (``dgm_utils.train.train_model``, Adam, the same data, batches and
seed 0; torch on one thread):

* 2D exact-density targets (ring, banana, checkerboard): ``STEPS_2D`` steps of batch 512 at lr 1e-3 on the same
  100,000 samples. Quality is the KL gap NLL - H(pi) = KL(pi || p) in nats (``dgm_utils.data.kl_gap``, 20,000
  fresh samples). Affine-coupling flows have 8 coupling layers with MLP conditioners of two hidden layers of 64
  ReLU units (nflows: two residual blocks of 64); zuko's NSF (autoregressive rational-quadratic splines, 8 bins)
  has 5 transforms with MADE hidden sizes (64, 64).
* Digits (8x8, 17 levels; 1257/270/270): every flow models y = (x + v) / 17, v ~ U[0, 1)^64 (``dequantize``),
  behind the same logit pre-processing (the reference's ``LogitTransform``, alpha = 0.05, its log-det included);
  at most ``STEPS_DIGITS`` steps of batch 64 at lr 1e-3, validation every 100 steps with the same fixed
  dequantization, early stopping with patience 5 and the best-validation weights restored. Ours is the
  reference of the multi-scale Glow students assemble in task 5 (``glow_digits(hidden=64)``: checkerboard couplings,
  Glow steps with channel couplings by splitting, a factor-out with a learned conditional prior); the peers are 8 affine couplings (zuko RealNVP,
  nflows SimpleRealNVP, normflows RealNVP) with hidden width 256, and zuko NSF with 4 transforms of width 256.
* Baselines on the same split: independent per-pixel categorical (add-one smoothing; exact discrete likelihood),
  one full-covariance Gaussian, probabilistic PCA (scikit-learn ``PCA.score_samples``) and a Gaussian mixture
  (scikit-learn ``GaussianMixture``, full covariances), the last three fit to the dequantized y of the training
  images, their size chosen on the validation split.

Every digits number is the same formula, ``dgm_utils.data.bits_per_dim(log p(y), 64, scale=17)`` on the test
images dequantized once with seed 0: bits per dim of the discrete 17-level data (an upper bound for the
continuous models, exact for the categorical one, whose piecewise-constant density on y has
log p(y) = log P(x) + 64 log 17). ``BENCH_REALNVP_STEPS_2D`` and ``BENCH_REALNVP_STEPS_DIGITS`` shorten a run.
"""
from __future__ import annotations

import math
import os
import time

import numpy as np
import torch
from torch import Tensor, nn

from benchmarks.common import reference_namespace, table
from dgm_utils.data import DENSITIES, DIGITS_LEVELS, bits_per_dim, dequantize, get_density, kl_gap, load_digits_split
from dgm_utils.train import train_model

STEPS_2D = int(os.environ.get("BENCH_REALNVP_STEPS_2D", 1000))
STEPS_DIGITS = int(os.environ.get("BENCH_REALNVP_STEPS_DIGITS", 1500))
BATCH_2D, BATCH_DIGITS, LR, N_TRAIN, SEED = 512, 64, 1e-3, 100_000, 0
LAYERS, HIDDEN_2D, HIDDEN_DIGITS = 8, 64, 256


class Peer(nn.Module):
    """A peer's flow behind the interface ``train_model`` and ``kl_gap`` need, optionally after a pre-processing
    transform ``pre`` (forward_and_log_det) whose log-det is added."""

    def __init__(self, flow: nn.Module, log_prob, pre: nn.Module | None = None):
        super().__init__()
        self.flow, self._log_prob, self.pre = flow, log_prob, pre

    def log_prob(self, x: Tensor) -> Tensor:
        if self.pre is None:
            return self._log_prob(self.flow, x)
        s, log_det = self.pre.forward_and_log_det(x)
        return self._log_prob(self.flow, s) + log_det

    def loss(self, x: Tensor) -> dict[str, Tensor]:
        return {"loss": -self.log_prob(x).mean()}


def normflows_realnvp(dim: int, hidden: int, layers: int) -> nn.Module:
    import normflows as nf

    flows = []
    for _ in range(layers):
        net = nf.nets.MLP([dim // 2, hidden, hidden, 2 * (dim - dim // 2)], init_zeros=True)
        flows += [nf.flows.AffineCouplingBlock(net), nf.flows.Permute(dim, mode="swap")]
    return nf.NormalizingFlow(nf.distributions.DiagGaussian(dim, trainable=False), flows)


def peers(dim: int, hidden: int, pre=None) -> dict[str, object]:
    import zuko
    from nflows.flows import SimpleRealNVP

    zuko_lp = lambda flow, x: flow().log_prob(x)
    nsf_transforms, nsf_hidden = (5, (64, 64)) if dim == 2 else (4, (hidden, hidden))
    return {
        "zuko 1.6 RealNVP (affine coupling)": lambda: Peer(
            zuko.flows.RealNVP(dim, transforms=LAYERS, hidden_features=(hidden, hidden)), zuko_lp, pre()),
        "nflows 0.14 SimpleRealNVP": lambda: Peer(
            SimpleRealNVP(features=dim, hidden_features=hidden, num_layers=LAYERS, num_blocks_per_layer=2),
            lambda flow, x: flow.log_prob(x), pre()),
        "normflows 1.7.3 RealNVP": lambda: Peer(
            normflows_realnvp(dim, hidden, LAYERS), lambda flow, x: flow.log_prob(x), pre()),
        "zuko 1.6 NSF (spline, autoregressive)": lambda: Peer(
            zuko.flows.NSF(dim, transforms=nsf_transforms, hidden_features=nsf_hidden), zuko_lp, pre()),
    }


def build(make) -> nn.Module:
    torch.manual_seed(SEED)  # the initial weights
    return make()


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def bench_2d(ref: dict) -> list[list[object]]:
    makes = {"ours (assignment 03 RealNVP)": lambda: ref["RealNVP"](2, n_layers=LAYERS, hidden=HIDDEN_2D),
             **peers(2, HIDDEN_2D, pre=lambda: None)}
    data = {name: get_density(name).sample(N_TRAIN, torch.Generator().manual_seed(1)) for name in DENSITIES}
    rows = []
    for model_name, make in makes.items():
        gaps, start = [], time.perf_counter()
        for name in DENSITIES:
            model = build(make)
            train_model(model, data[name], steps=STEPS_2D, batch_size=BATCH_2D, lr=LR, seed=SEED, progress=False)
            gaps.append(kl_gap(model.log_prob, get_density(name)))
        seconds = time.perf_counter() - start
        rows.append([model_name, n_params(build(make)), *(round(g, 4) for g in gaps), round(seconds, 1)])
        print(f"  2D done: {model_name}", flush=True)
    return rows


def to_unit(x: Tensor, generator: torch.Generator) -> Tensor:
    return dequantize(x, generator) / DIGITS_LEVELS


def bench_digits(ref: dict) -> list[list[object]]:
    digits = load_digits_split()
    y_test = to_unit(digits.test, torch.Generator().manual_seed(0))
    bpd = lambda log_prob: bits_per_dim(log_prob, 64, scale=DIGITS_LEVELS)
    rows = []

    # flows
    logit = lambda: ref["LogitTransform"](alpha=0.05)
    makes = {"ours (assignment 03 multi-scale Glow)": lambda: ref["glow_digits"](hidden=64),
             **peers(64, HIDDEN_DIGITS, pre=logit)}
    for name, make in makes.items():
        model = build(make)
        with torch.no_grad():  # data-dependent initialisation (ActNorm); a no-op for the peers
            model.log_prob(to_unit(digits.train[:512], torch.Generator().manual_seed(0)))
        start = time.perf_counter()
        history = train_model(model, digits.train, digits.val, steps=STEPS_DIGITS, batch_size=BATCH_DIGITS, lr=LR,
                              eval_every=100, patience=5, transform=to_unit, seed=SEED, progress=False)
        with torch.no_grad():
            test = bpd(model.log_prob(y_test))
        rows.append([name, n_params(model), round(test, 4), history.best_step, round(time.perf_counter() - start, 1)])
        print(f"  digits done: {name}", flush=True)

    # baselines
    from sklearn.decomposition import PCA
    from sklearn.mixture import GaussianMixture

    counts = torch.stack([(digits.train == k).sum(0) for k in range(DIGITS_LEVELS)]).double() + 1.0
    log_p_levels = (counts / counts.sum(0)).log()  # (17, 64)
    log_P = log_p_levels.gather(0, digits.test.long()).sum(1)  # exact discrete log-likelihood
    rows.append(["independent per-pixel categorical", 64 * 16, round(bpd(log_P + 64 * math.log(DIGITS_LEVELS)), 4), "-", "-"])

    y_train = to_unit(digits.train, torch.Generator().manual_seed(0)).double().numpy()
    y_val = to_unit(digits.val, torch.Generator().manual_seed(0)).double().numpy()
    yt = y_test.double().numpy()
    mean, cov = y_train.mean(0), np.cov(y_train, rowvar=False)
    gauss = torch.distributions.MultivariateNormal(torch.tensor(mean), torch.tensor(cov))
    rows.append(["full-covariance Gaussian", 64 + 64 * 65 // 2, round(bpd(gauss.log_prob(torch.tensor(yt))), 4), "-", "-"])

    best = max((PCA(k, random_state=0).fit(y_train) for k in (4, 8, 16, 24, 32, 48)), key=lambda p: p.score(y_val))
    k = best.n_components_
    rows.append([f"probabilistic PCA (k = {k}, chosen on val)", 64 * k + 65, round(bpd(torch.tensor(best.score_samples(yt))), 4), "-", "-"])

    fits = [GaussianMixture(c, covariance_type="full", reg_covar=1e-4, random_state=0).fit(y_train) for c in (2, 5, 10, 20)]
    gmm = max(fits, key=lambda g: g.score(y_val))
    c = gmm.n_components
    rows.append([f"Gaussian mixture ({c} full components, chosen on val)", c * (64 + 64 * 65 // 2 + 1) - 1,
                 round(bpd(torch.tensor(gmm.score_samples(yt))), 4), "-", "-"])
    return rows


def main() -> None:
    torch.set_num_threads(1)
    start = time.perf_counter()
    ref = reference_namespace("03_realnvp_glow")
    rows_2d = bench_2d(ref)
    table("realnvp_2d", ["model", "params", *(f"KL gap {t} (nats)" for t in DENSITIES), "train s (3 targets)"], rows_2d)
    print(f"\n2D budget: {STEPS_2D} Adam steps, batch {BATCH_2D}, lr {LR:g}, seed {SEED}, the same {N_TRAIN:,} samples; "
          "one run; lower is better.\n")
    rows_digits = bench_digits(ref)
    table("realnvp_digits", ["model", "params", "test bits/dim (17 levels)", "best step", "train s"], rows_digits)
    print(f"\nDigits budget: at most {STEPS_DIGITS} Adam steps, batch {BATCH_DIGITS}, lr {LR:g}, early stopping "
          f"(eval every 100, patience 5), seed {SEED}; lower is better. Total {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()

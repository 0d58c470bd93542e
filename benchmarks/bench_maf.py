"""MAF: the reference of assignment 02 against nflows' and zuko's MAF on the exact-density 2D targets.

Same budget for every model, in one run: ``dgm_utils.train.train_model`` with Adam (lr 1e-3),
3,000 steps of batch 512 drawn from the same 100,000 samples of the target, the same seeds (the
seed fixes the initial weights and the batches). Comparable sizes: 5 autoregressive affine layers,
each conditioned by a MADE with two hidden layers of 64 ReLU units, the order of the two coordinates
reversed between layers, base N(0, I) -- 23,060 parameters each (printed).

Quality: the KL gap NLL - H(pi) = KL(pi || p) in nats (``dgm_utils.data.kl_gap``: 20,000 fresh
samples of the target, exact entropy, the ring's by quadrature). The checkerboard's
log-density is -inf off its support; the gap only evaluates the model at samples of the target,
all on the support, so it stays finite. The gap varies from seed to seed by more than the
Monte-Carlo error (about 0.01), so each cell is the mean over ``SEEDS`` with the range.

Speed: ms per training step (forward, backward, Adam) at batch 512, measured round-robin in short
interleaved bursts so that a busy machine slows every model alike; torch runs on one thread (the
notebook's setting, applied to the peers too).

``BENCH_MAF_SEEDS=0`` (a comma-separated list) and ``BENCH_MAF_STEPS`` shorten a run.
"""
from __future__ import annotations

import os
import statistics
import time

import torch
from torch import Tensor, nn

from benchmarks.common import reference_namespace, table
from dgm_utils.data import DENSITIES, get_density, kl_gap
from dgm_utils.train import train_model

STEPS = int(os.environ.get("BENCH_MAF_STEPS", 3000))
SEEDS = [int(s) for s in os.environ.get("BENCH_MAF_SEEDS", "0,1,2").split(",")]
BATCH, LR, N_TRAIN = 512, 1e-3, 100_000
LAYERS, HIDDEN = 5, (64, 64)


class Peer(nn.Module):
    """A peer's flow behind the interface ``train_model`` and ``kl_gap`` need: ``loss`` and ``log_prob``."""

    def __init__(self, flow: nn.Module, log_prob):
        super().__init__()
        self.flow, self._log_prob = flow, log_prob

    def log_prob(self, x: Tensor) -> Tensor:
        return self._log_prob(self.flow, x)

    def loss(self, x: Tensor) -> dict[str, Tensor]:
        return {"loss": -self.log_prob(x).mean()}


def builders() -> dict[str, object]:
    import zuko
    from nflows.flows.autoregressive import MaskedAutoregressiveFlow

    reference = reference_namespace("02_linear_autoregressive_flows")
    return {
        "ours (assignment 02)": lambda: reference["MAF"](2, n_layers=LAYERS, hidden_sizes=HIDDEN),
        "zuko 1.6 MAF": lambda: Peer(
            zuko.flows.MAF(2, transforms=LAYERS, hidden_features=HIDDEN), lambda flow, x: flow().log_prob(x)
        ),
        "nflows 0.14 MAF": lambda: Peer(
            MaskedAutoregressiveFlow(
                features=2, hidden_features=HIDDEN[0], num_layers=LAYERS, num_blocks_per_layer=len(HIDDEN) - 1,
                use_residual_blocks=False,
            ),
            lambda flow, x: flow.log_prob(x),
        ),
    }


def build(make, seed: int) -> nn.Module:
    torch.manual_seed(seed)  # the initial weights
    return make()


def kl_gaps(make, name: str) -> list[float]:
    target = get_density(name)
    data = target.sample(N_TRAIN, torch.Generator().manual_seed(1))
    gaps = []
    for seed in SEEDS:
        model = build(make, seed)
        train_model(model, data, steps=STEPS, batch_size=BATCH, lr=LR, seed=seed, progress=False)
        gaps.append(kl_gap(model.log_prob, target))
    return gaps


def ms_per_step(makes: dict[str, object], rounds: int = 7, burst: int = 60) -> dict[str, float]:
    """Median ms per training step, measured in interleaved bursts of ``burst`` steps."""
    data = get_density("ring").sample(N_TRAIN, torch.Generator().manual_seed(1))
    generator = torch.Generator().manual_seed(0)
    models = {name: build(make, 0) for name, make in makes.items()}
    optimizers = {name: torch.optim.Adam(model.parameters(), lr=LR) for name, model in models.items()}
    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(rounds + 1):  # the first round warms up
        for name, model in models.items():
            start = time.perf_counter()
            for _ in range(burst):
                batch = data[torch.randint(len(data), (BATCH,), generator=generator)]
                loss = model.loss(batch)["loss"]
                optimizers[name].zero_grad(set_to_none=True)
                loss.backward()
                optimizers[name].step()
            times[name].append(1000 * (time.perf_counter() - start) / burst)
    return {name: statistics.median(t[1:]) for name, t in times.items()}


def cell(gaps: list[float]) -> str:
    if len(gaps) == 1:
        return f"{gaps[0]:.4f}"
    return f"{statistics.mean(gaps):.4f} [{min(gaps):.4f}, {max(gaps):.4f}]"


def main() -> None:
    torch.set_num_threads(1)
    makes = builders()
    speed = ms_per_step(makes)
    rows = []
    for name, make in makes.items():
        params = sum(p.numel() for p in build(make, 0).parameters())
        gaps = {target: kl_gaps(make, target) for target in DENSITIES}
        rows.append([name, params, *(cell(gaps[t]) for t in DENSITIES), round(speed[name], 2)])
        print(f"  done: {name}", flush=True)
    seeds = ",".join(map(str, SEEDS))
    header = ["model", "params", *(f"KL gap {t} (nats)" for t in DENSITIES), "ms / step"]
    table("maf", header, rows)
    print(
        f"\nBudget: {STEPS} Adam steps, batch {BATCH}, lr {LR:g}, the same {N_TRAIN:,} target samples and seeds "
        f"{seeds} for every model; {LAYERS} MADE layers with hidden sizes {HIDDEN}, reversed order between layers. "
        "KL gap: mean over the seeds [min, max]; lower is better. ms / step: median of interleaved bursts, "
        "one torch thread."
    )


if __name__ == "__main__":
    main()

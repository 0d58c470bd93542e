"""A small, deterministic training loop for models with a ``loss`` method.

Model contract: ``model.loss(x) -> dict[str, Tensor]`` with a scalar ``"loss"`` to
minimize (e.g. the NLL -1/B sum_i log p(x_i | theta) in nats); every other scalar entry
is logged too. A model may also take its gradient steps itself:
``model.training_step(x, optimizer) -> dict[str, Tensor]`` (one step on the batch ``x``,
returning the loss entries); ``train_model`` then calls it instead of its own step.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

Transform = Callable[[Tensor, torch.Generator], Tensor]


@dataclass
class History:
    """Logged values: ``train`` per step, ``val`` per evaluation (step 0 included).

    Every record has a ``"step"`` key and the model's loss entries. ``best_step`` and
    ``best_val`` refer to the lowest validation loss (the restored weights); without
    validation data they are the last step and nan.
    """

    train: list[dict[str, float]] = field(default_factory=list)
    val: list[dict[str, float]] = field(default_factory=list)
    best_step: int = 0
    best_val: float = math.nan
    stopped_early: bool = False


@torch.no_grad()
def evaluate(
    model: nn.Module, data: Tensor, *, batch_size: int = 256, seed: int = 0,
    device: str | torch.device = "cpu", transform: Transform | None = None,
) -> dict[str, float]:
    """Mean of every loss entry over ``data`` (batches weighted by size), in eval mode.

    ``transform`` gets a generator seeded with ``seed``: the same data always gives the
    same value (e.g. the same dequantization noise at every evaluation).
    """
    was_training = model.training
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    totals: dict[str, float] = {}
    for batch in data.split(batch_size):
        batch = transform(batch, generator) if transform else batch
        for key, value in model.loss(batch.to(device)).items():
            totals[key] = totals.get(key, 0.0) + value.item() * len(batch)
    model.train(was_training)
    return {key: total / len(data) for key, total in totals.items()}


def train_model(
    model: nn.Module,
    train_data: Tensor,
    val_data: Tensor | None = None,
    *,
    steps: int,
    batch_size: int = 256,
    lr: float = 1e-3,
    eval_every: int = 100,
    patience: int | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
    transform: Transform | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    progress: bool = True,
    grad_clip: float | None = None,
) -> History:
    """Minimize ``model.loss(x)["loss"]`` with Adam(lr) (or ``optimizer``) for ``steps`` steps.

    Each step draws ``batch_size`` rows of ``train_data`` uniformly with replacement
    from a generator seeded with ``seed`` (torch's global seed is set to ``seed`` too, for
    randomness inside the model), applies ``transform(batch, generator)`` if given
    (e.g. ``dequantize``, whose signature fits), moves the batch to ``device`` and
    takes a gradient step (norm clipped to ``grad_clip`` if given), or calls
    ``model.training_step(batch, optimizer)`` if the model has one (``grad_clip`` is
    then the model's business).

    With ``val_data``, the validation loss (``evaluate``; same ``transform`` with a
    fixed-seed generator) is computed at step 0, every ``eval_every`` steps and at the
    end. Training stops early after ``patience`` evaluations without improvement, and
    the weights of the best evaluation are restored. The model is left in eval mode.
    Data stays on the CPU; only batches go to ``device``.
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model.to(device).train()
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = History(best_step=steps)
    best_state, best_val, evals_since_best = None, math.inf, 0

    def validate(step: int) -> bool:
        """Log a validation record; return True when training should stop."""
        nonlocal best_state, best_val, evals_since_best
        record = {"step": step, **evaluate(model, val_data, batch_size=batch_size, seed=seed,
                                           device=device, transform=transform)}
        history.val.append(record)
        if record["loss"] < best_val:  # nan never counts as an improvement
            best_val, history.best_step, history.best_val = record["loss"], step, record["loss"]
            best_state, evals_since_best = copy.deepcopy(model.state_dict()), 0
        else:
            evals_since_best += 1
        return patience is not None and evals_since_best >= patience

    bar = tqdm(range(1, steps + 1), disable=not progress, desc="train")
    if val_data is not None:
        validate(0)
    for step in bar:
        batch = train_data[torch.randint(len(train_data), (batch_size,), generator=generator)]
        batch = transform(batch, generator) if transform else batch
        if hasattr(model, "training_step"):  # the model takes the step itself (e.g. a VAE written by a student)
            out = model.training_step(batch.to(device), optimizer)
        else:
            out = model.loss(batch.to(device))
            optimizer.zero_grad(set_to_none=True)
            out["loss"].backward()
            if grad_clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            optimizer.step()
        history.train.append({"step": step, **{k: v.item() for k, v in out.items()}})
        shown = {"loss": history.train[-1]["loss"]}
        if history.val:
            shown["val"] = history.val[-1]["loss"]
        bar.set_postfix({k: f"{v:.4f}" for k, v in shown.items()}, refresh=False)
        if val_data is not None and (step % eval_every == 0 or step == steps) and validate(step):
            history.stopped_early = step < steps
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history

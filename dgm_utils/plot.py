"""Plots for the notebooks. Every function returns its matplotlib ``Figure``.

Figures are made with pyplot, so Jupyter shows them at the end of the cell; end the
call with ``;`` (or assign the figure) to avoid showing it twice.
"""
from __future__ import annotations

import math
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor

from .train import History

LogProb = Callable[[Tensor], Tensor]


@torch.no_grad()
def _density_on_grid(log_prob: LogProb, extent: float, grid: int) -> np.ndarray:
    """exp(log_prob) at the grid x grid midpoints of [-extent, extent]^2; rows follow x2."""
    h = 2 * extent / grid
    ticks = torch.linspace(-extent + h / 2, extent - h / 2, grid)
    x2, x1 = torch.meshgrid(ticks, ticks, indexing="ij")
    points = torch.stack([x1.reshape(-1), x2.reshape(-1)], dim=-1)
    return log_prob(points).exp().reshape(grid, grid).cpu().numpy()


def _show_density(ax: plt.Axes, log_prob: LogProb, extent: float, grid: int, title: str) -> None:
    density = _density_on_grid(log_prob, extent, grid)
    ax.imshow(density, extent=(-extent, extent, -extent, extent), origin="lower", cmap="viridis")
    ax.set_title(title)


def plot_density_and_samples(
    log_prob: LogProb, samples: Tensor, *, extent: float = 6.0, grid: int = 200, title: str = ""
) -> Figure:
    """Heatmap of p(x) = exp(log_prob(x)) on [-extent, extent]^2 beside a scatter of samples."""
    fig, (ax_density, ax_samples) = plt.subplots(1, 2, figsize=(9, 4.5))
    _show_density(ax_density, log_prob, extent, grid, "density")
    samples = samples.detach().cpu()
    ax_samples.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.5)
    ax_samples.set(xlim=(-extent, extent), ylim=(-extent, extent), aspect="equal", title="samples")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_densities(log_probs: dict[str, LogProb], extent: float = 6.0, grid: int = 200) -> Figure:
    """Density heatmaps exp(log_prob) side by side, one per entry, titled by its key."""
    fig, axes = plt.subplots(1, len(log_probs), figsize=(4 * len(log_probs), 4), squeeze=False)
    for ax, (name, log_prob) in zip(axes[0], log_probs.items()):
        _show_density(ax, log_prob, extent, grid, name)
    fig.tight_layout()
    return fig


def show_image_grid(
    images: Tensor, nrow: int = 8, image_shape: tuple[int, int] = (8, 8), title: str = ""
) -> Figure:
    """Images (any shape reshapable to (n, *image_shape)) in a grid with ``nrow`` per row, grey scale."""
    images = images.detach().cpu().float().reshape(-1, *image_shape)
    n, (h, w) = len(images), image_shape
    rows, cols = math.ceil(n / nrow), min(n, nrow)
    canvas = torch.full((rows * (h + 1) + 1, cols * (w + 1) + 1), float(images.min()))
    for i, image in enumerate(images):
        r, c = divmod(i, nrow)
        canvas[1 + r * (h + 1) : (r + 1) * (h + 1), 1 + c * (w + 1) : (c + 1) * (w + 1)] = image
    fig, ax = plt.subplots(figsize=(cols * 0.6 + 0.5, rows * 0.6 + 0.5))
    ax.imshow(canvas.numpy(), cmap="gray", interpolation="nearest")
    ax.set(xticks=[], yticks=[], title=title)
    fig.tight_layout()
    return fig


def plot_training_curves(history: History) -> Figure:
    """Training loss per step and validation loss per evaluation; a dotted line marks the best step."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([r["step"] for r in history.train], [r["loss"] for r in history.train], lw=0.8, label="train")
    if history.val:
        ax.plot([r["step"] for r in history.val], [r["loss"] for r in history.val], "o-", ms=3, label="val")
        ax.axvline(history.best_step, ls=":", color="gray", label=f"best (step {history.best_step})")
    ax.set(xlabel="step", ylabel="loss")
    ax.legend()
    fig.tight_layout()
    return fig

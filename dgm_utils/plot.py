"""Plots for the notebooks. Every function returns its matplotlib ``Figure``.

Figures are made with pyplot, so Jupyter shows them at the end of the cell; end the
call with ``;`` (or assign the figure) to avoid showing it twice.

The figures of graded tasks are drawn *before* the task's checks and draw whatever the
student's code returns (``show_matrices``, ``plot_bars``, ``plot_curves``,
``plot_density_and_samples``, ``plot_venn``): a value that cannot be drawn shows as a
message in its panel instead of an error, so a wrong answer is first seen as a picture.
"""
from __future__ import annotations

import math
import textwrap
from typing import Callable, Sequence, Union

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor

from .data import Density2D
from .train import History

LogProb = Callable[[Tensor], Tensor]
Drawable = Union[Tensor, np.ndarray, float, Callable[[], object]]
"""A value to draw, or a callable returning it (then called inside the figure, so its error shows there)."""


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
    log_prob: LogProb, samples: Drawable, *, extent: float = 6.0, grid: int = 200, title: str = ""
) -> Figure:
    """Heatmap of p(x) = exp(log_prob(x)) on [-extent, extent]^2 beside a scatter of samples (n, 2).

    ``samples`` may be a callable returning them. Either panel shows a message instead
    when the student's ``log_prob`` or samples cannot be drawn (error, wrong shape).
    """
    fig, (ax_density, ax_samples) = plt.subplots(1, 2, figsize=(9, 4.5))
    _guarded(ax_density, "density", lambda: _show_density(ax_density, log_prob, extent, grid, "density"))

    def draw_samples() -> None:
        points = _to_numpy(_evaluate(samples))
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"samples of shape {tuple(points.shape)}, expected (n, 2)")
        ax_samples.scatter(points[:, 0], points[:, 1], s=2, alpha=0.5)
        ax_samples.set(xlim=(-extent, extent), ylim=(-extent, extent), aspect="equal", title="samples")

    _guarded(ax_samples, "samples", draw_samples)
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
    images: Tensor, nrow: int = 8, image_shape: tuple[int, int] = (8, 8), title: str = "",
    labels: Sequence[object] | None = None,
) -> Figure:
    """Images (any shape reshapable to (n, *image_shape)) in a grid with ``nrow`` per row, grey scale.

    With ``labels`` (one per image, e.g. the digit classes) each image gets its label above it.
    """
    images = images.detach().cpu().float().reshape(-1, *image_shape)
    n, (h, w) = len(images), image_shape
    rows, cols = math.ceil(n / nrow), min(n, nrow)
    if labels is not None:
        fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.75 + 0.5, rows * 0.9 + 0.5), squeeze=False)
        for ax in axes.flat:
            ax.axis("off")
        for ax, image, label in zip(axes.flat, images, labels):
            ax.imshow(image.numpy(), cmap="gray", interpolation="nearest")
            ax.set_title(str(label), fontsize=9)
        fig.suptitle(title)
        fig.tight_layout()
        return fig
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


# ---------------------------------------------------------------------------------------------
# Figures that draw whatever a student's code returns. Each panel is drawn on its own: a value
# that cannot be drawn (an exception, a wrong shape, NaN) shows as a message in its panel, and the
# checks that follow the figure say what is wrong. NotImplementedError (an unfinished stub) is
# raised as usual.



def _evaluate(value: Drawable) -> object:
    """The value itself, or the result of calling it (callables defer student code into the panel)."""
    return value() if callable(value) else value


def _to_numpy(value: object) -> np.ndarray:
    """A float64 numpy array from a tensor (detached), array, number or nested list."""
    if isinstance(value, Tensor):
        return value.detach().cpu().double().numpy()
    return np.asarray(value, dtype=np.float64)


def _panel_message(ax: plt.Axes, title: str, message: str) -> None:
    """An empty panel with ``message`` in red: what could not be drawn, and why."""
    ax.text(0.5, 0.5, "\n".join(textwrap.wrap(message, 36)), ha="center", va="center", color="tab:red",
            fontsize=8, transform=ax.transAxes)
    ax.set(xticks=[], yticks=[], title=title)


def _guarded(ax: plt.Axes, title: str, draw: Callable[[], None]) -> None:
    """Run ``draw``; on an error (other than NotImplementedError) show it in the panel instead."""
    try:
        draw()
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - anything a student's code does shows as a message
        _panel_message(ax, title, f"could not draw: {type(error).__name__}: {error}")


def _as_matrix(value: object) -> np.ndarray:
    """A 2D array; a batch (n, a, b) shows its first matrix, a vector (n,) one row."""
    array = _to_numpy(value)
    if array.ndim == 3:
        array = array[0]
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"shape {tuple(array.shape)} is not a matrix")
    return array


def show_matrices(matrices: dict[str, Drawable], title: str = "", annotate: bool | None = None,
                  symmetric: bool = True) -> Figure:
    """Heatmaps side by side, one per entry, titled by its key (e.g. your Jacobian next to autograd's).

    A value is a matrix, a batch of matrices (the first is shown), a vector (one row) or a
    callable returning one of these (called here, so an error shows in its panel). The
    colour scale is symmetric around 0 (``symmetric``) and exactly-zero entries are white,
    so triangular and block structures stand out; entries are printed when the matrix is at
    most 8 x 8 (``annotate``). NaN and inf show as grey.
    """
    fig, axes = plt.subplots(1, len(matrices), figsize=(3.2 * len(matrices), 3.2), squeeze=False)
    for ax, (name, value) in zip(axes[0], matrices.items()):

        def draw(ax: plt.Axes = ax, name: str = name, value: Drawable = value) -> None:
            array = _as_matrix(_evaluate(value))
            finite = np.isfinite(array)
            top = float(np.abs(array[finite]).max()) if finite.any() else 1.0
            top = top if top > 0 else 1.0
            limits = (-top, top) if symmetric else (None, None)
            cmap = plt.get_cmap("RdBu_r" if symmetric else "viridis").with_extremes(bad="lightgrey")
            ax.imshow(np.ma.masked_invalid(array), cmap=cmap, vmin=limits[0], vmax=limits[1],
                      interpolation="nearest")
            show_numbers = annotate if annotate is not None else max(array.shape) <= 8
            if show_numbers:
                for (i, j), entry in np.ndenumerate(array):
                    ax.text(j, i, f"{entry:.2g}", ha="center", va="center", fontsize=7)
            ax.set(xticks=[], yticks=[], title=name)

        _guarded(ax, name, draw)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_bars(groups: dict[str, dict[str, Drawable]], title: str = "", ylabel: str = "") -> Figure:
    """Grouped bars: one group per outer key, one bar per inner key (e.g. your estimate next to the exact value).

    A value that is not one finite number (or a callable returning one) shows as a red
    note under its group instead of a bar.
    """
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(groups), 3.5))
    labels = list(dict.fromkeys(label for bars in groups.values() for label in bars))
    width = 0.8 / max(len(labels), 1)
    notes = []
    for g, (group, bars) in enumerate(groups.items()):
        for b, label in enumerate(labels):
            if label not in bars:
                continue
            try:
                array = _to_numpy(_evaluate(bars[label]))
                if array.size != 1 or not np.isfinite(array).all():
                    raise ValueError(f"shape {tuple(array.shape)}" if array.size != 1 else f"value {array.item()}")
                height = float(array.item())
            except NotImplementedError:
                raise
            except Exception as error:  # noqa: BLE001
                notes.append(f"{group} / {label}: not one finite number ({type(error).__name__}: {error})")
                continue
            x = g - 0.4 + width * (b + 0.5)
            ax.bar(x, height, width, color=f"C{b}", label=label if g == 0 or label not in ax.get_legend_handles_labels()[1] else None)
            ax.annotate(f"{height:.4g}", (x, height), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(groups)), list(groups))
    ax.set(title=title, ylabel=ylabel)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    if notes:
        ax.set_xlabel("\n".join(textwrap.shorten(n, 90) for n in notes), color="tab:red", fontsize=8)
    fig.tight_layout()
    return fig


def plot_curves(fn: Callable[[float], object], xs: Sequence[float], labels: Sequence[str], *,
                xlabel: str = "", ylabel: str = "", title: str = "") -> Figure:
    """Curves ``fn(x)[k]`` against x, one per label (fn returns one number per label at each x).

    Evaluated point by point inside the figure: if ``fn`` fails or returns the wrong number
    of values, the figure says so instead of drawing.
    """
    fig, ax = plt.subplots(figsize=(6, 3.5))

    def draw() -> None:
        values = np.stack([_to_numpy([_to_numpy(v) for v in fn(x)]).reshape(-1) for x in xs])
        if values.shape[1] != len(labels):
            raise ValueError(f"fn returned {values.shape[1]} values per point, expected {len(labels)}")
        styles = [dict(lw=4, alpha=0.4), dict(color="k", ls="--")] + [{}] * len(labels)
        for k, label in enumerate(labels):
            ax.plot(xs, values[:, k], label=label, **styles[k])
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        ax.legend(fontsize=8)

    _guarded(ax, title, draw)
    fig.tight_layout()
    return fig


def plot_targets(densities: Sequence[Density2D], n_samples: int = 1000, extent: float = 5.5, grid: int = 150,
                 seed: int = 0) -> Figure:
    """Each 2D target as its exact density (heatmap) with ``n_samples`` of its samples on top (white)."""
    fig, axes = plt.subplots(1, len(densities), figsize=(3.6 * len(densities), 3.8), squeeze=False)
    generator = torch.Generator().manual_seed(seed)
    for ax, density in zip(axes[0], densities):
        title = f"{density.name}: H = {density.entropy():.3f} nats"
        _show_density(ax, density.log_prob, extent, grid, title)
        samples = density.sample(n_samples, generator)
        ax.scatter(samples[:, 0], samples[:, 1], s=1, c="white", alpha=0.4)
        ax.set(xlim=(-extent, extent), ylim=(-extent, extent))
    fig.tight_layout()
    return fig


def plot_venn(answers: dict[str, object], regions: Sequence[str] = ("M", "I only", "F only", "neither"),
              title: str = "") -> Figure:
    """The lecture's Venn diagram (I = invertible, F = lower-triangular Jacobian, M = I and F) with each
    map's name written in the region ``answers[name]`` gives; an answer that is no region is listed aside."""
    fig, ax = plt.subplots(figsize=(9, 4.8))
    ax.add_patch(plt.matplotlib.patches.Ellipse((-1.0, 0), 3.6, 3.0, fill=False, lw=2, color="C0"))
    ax.add_patch(plt.matplotlib.patches.Ellipse((1.0, 0), 3.6, 3.0, fill=False, lw=2, color="C1"))
    ax.text(-2.6, 1.6, "I: invertible", color="C0", fontsize=11)
    ax.text(1.0, 1.6, "F: lower-triangular J", color="C1", fontsize=11)
    centres = {regions[0]: (0.0, 0.9), regions[1]: (-1.85, 0.9), regions[2]: (1.85, 0.9), regions[3]: (3.7, 1.4)}
    ax.text(-0.12, 1.15, "M", fontsize=12, weight="bold")
    placed = {region: 0 for region in centres}
    unplaced = []
    for name, region in answers.items():
        if isinstance(region, str) and region in centres:
            x, y = centres[region]
            ax.text(x, y - 0.28 * placed[region], str(name), ha="center", fontsize=8)
            placed[region] += 1
        else:
            unplaced.append(f"{name}: {region!r}")
    ax.text(3.7, 1.65, "neither", ha="center", fontsize=11, color="grey")
    if unplaced:
        ax.text(-3.2, -2.2, "not a region: " + "; ".join(unplaced), fontsize=8, color="tab:red", wrap=True)
    ax.set(xlim=(-3.3, 5.0), ylim=(-2.4, 2.0), aspect="equal", xticks=[], yticks=[], title=title)
    fig.tight_layout()
    return fig


def principal_plane(points: Tensor) -> Tensor:
    """The coordinates of ``points`` (n, D) on their first two principal axes, (n, 2): (x - mean) V[:, :2]."""
    centred = points.detach().cpu().double().flatten(1)
    centred = centred - centred.mean(0)
    return centred @ torch.linalg.svd(centred, full_matrices=False).Vh[:2].T


def plot_latent_scatter(panels: dict[str, Drawable], labels: Tensor, title: str = "") -> Figure:
    """One scatter per panel of 2D points (n, 2), coloured by an integer label (the digit classes 0-9).

    A panel's value may be a callable (drawn inside the panel: its error shows there). For
    codes of more than 2 dimensions pass ``principal_plane(codes)``.
    """
    labels = _to_numpy(labels).astype(int)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4), squeeze=False)
    for ax, (name, value) in zip(axes[0], panels.items()):
        def draw(ax=ax, name=name, value=value) -> None:
            points = _to_numpy(_evaluate(value))
            if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(labels):
                raise ValueError(f"expected ({len(labels)}, 2) points, got shape {tuple(points.shape)}")
            cloud = ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", vmin=-0.5, vmax=9.5, s=8)
            ax.set(title=name, xticks=[], yticks=[])
            fig.colorbar(cloud, ax=ax, ticks=range(10), label="digit")

        _guarded(ax, name, draw)
    fig.suptitle(title)
    fig.tight_layout()
    return fig

"""Figures of assignments 04 and 05 (latent variable models, ELBO and EM) drawn from a student's code: not graded.

The figures of a graded task are drawn *before* its checks (as in ``dgm_utils.plot``): every
panel is drawn on its own by ``panel``, and a value that cannot be drawn (an exception, a wrong
shape) shows as a message in that panel; the checks after the figure say what is wrong.

* ``panel``: one guarded panel of a figure;
* ``show_digits_row``: a row of 8x8 digit images on given axes (data, means, reconstructions);
* ``plot_responsibilities``: the posterior p(z = k | x_i, theta) of a few data points as bars.

Notation as in the lecture: data x, latent z, a mixture has p(z = k) = pi_k and
p(x | z = k, theta) = N(x | mu_k, Sigma_k); the responsibilities are r_ik = p(z_i = k | x_i, theta).
"""
from __future__ import annotations

from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .plot import _guarded, _to_numpy

__all__ = ["panel", "show_digits_row", "plot_responsibilities"]


def panel(ax: plt.Axes, title: str, draw: Callable[[], None]) -> None:
    """Run ``draw()`` (which draws on ``ax``) and set the title; an error other than NotImplementedError
    shows as a message in the panel instead of stopping the cell."""
    _guarded(ax, title, draw)
    ax.set_title(title, fontsize=9)


def show_digits_row(axes: Sequence[plt.Axes], images, labels: Sequence[object] | None = None,
                    vmin: float = 0.0, vmax: float = 16.0) -> None:
    """Draw ``images`` (n, 64) as 8x8 grey images, one per axis (values 0..16 as in scikit-learn's digits)."""
    array = _to_numpy(images).reshape(-1, 8, 8)
    for i, ax in enumerate(axes):
        ax.imshow(array[i], cmap="gray_r", vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set(xticks=[], yticks=[])
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=8)


def plot_responsibilities(ax: plt.Axes, resp, labels: Sequence[object] | None = None) -> None:
    """Stacked bars: for each data point i (one bar) the responsibilities r_ik = p(z_i = k | x_i, theta).

    resp: (n, K); a row that does not sum to 1 shows as a bar that is too short or too long.
    """
    r = _to_numpy(resp)
    if r.ndim != 2:
        raise ValueError(f"responsibilities of shape {r.shape}, expected (n, K)")
    bottom = np.zeros(r.shape[0])
    cmap = plt.get_cmap("tab10" if r.shape[1] <= 10 else "tab20")
    for k in range(r.shape[1]):
        ax.bar(np.arange(r.shape[0]), r[:, k], bottom=bottom, color=cmap(k % cmap.N), width=0.8, label=f"k = {k}")
        bottom += r[:, k]
    ax.set(xticks=np.arange(r.shape[0]), ylabel=r"$p(z = k | \mathbf{x}_i, \theta)$", ylim=(0, 1.05))
    if labels is not None:
        ax.set_xticklabels([str(v) for v in labels])

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dgm_utils.data import get_density, load_digits_split  # noqa: E402
from dgm_utils.plot import (  # noqa: E402
    plot_densities,
    plot_density_and_samples,
    plot_training_curves,
    show_image_grid,
)
from dgm_utils.train import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_density_and_samples():
    ring = get_density("ring")
    fig = plot_density_and_samples(ring.log_prob, ring.sample(500), grid=50, title="ring")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    image = fig.axes[0].images[0].get_array()
    assert image.shape == (50, 50)
    assert float(image.sum()) * (12 / 50) ** 2 == pytest.approx(1, abs=0.02)  # a density on [-6, 6]^2


def test_plot_densities_handles_minus_infinity():
    fig = plot_densities({name: get_density(name).log_prob for name in ("ring", "checkerboard")}, grid=40)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["ring", "checkerboard"]
    assert plot_densities({"banana": get_density("banana").log_prob}, grid=20).axes[0].get_title() == "banana"


@pytest.mark.parametrize("n, shape", [(20, (20, 64)), (16, (16, 8, 8)), (3, (3, 1, 8, 8))])
def test_show_image_grid(n, shape):
    images = load_digits_split().test[:n].reshape(shape)
    fig = show_image_grid(images, nrow=8, title="digits")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    rows, cols = -(-n // 8), min(n, 8)
    assert fig.axes[0].images[0].get_array().shape == (rows * 9 + 1, cols * 9 + 1)


def test_show_image_grid_other_shape():
    fig = show_image_grid(torch.rand(10, 28 * 28), nrow=5, image_shape=(28, 28))
    assert fig.axes[0].images[0].get_array().shape == (2 * 29 + 1, 5 * 29 + 1)


def test_plot_training_curves():
    history = History(
        train=[{"step": s, "loss": 1 / s} for s in range(1, 11)],
        val=[{"step": s, "loss": 1.0 - s / 20} for s in (0, 5, 10)],
        best_step=10,
        best_val=0.5,
    )
    fig = plot_training_curves(history)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    assert len(fig.axes[0].lines) == 3  # train, val, best step
    assert len(plot_training_curves(History(train=history.train)).axes[0].lines) == 1

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dgm_utils.data import get_density, load_digits_split  # noqa: E402
from dgm_utils.plot import (  # noqa: E402
    plot_bars,
    plot_curves,
    plot_densities,
    plot_density_and_samples,
    plot_targets,
    plot_training_curves,
    plot_venn,
    show_image_grid,
    show_matrices,
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


def _messages(fig):
    """The red 'could not draw' messages of a figure's panels."""
    return [t.get_text() for ax in fig.axes for t in ax.texts if "could not draw" in t.get_text().replace("\n", " ")]


def _stub():
    raise NotImplementedError()


def test_plot_density_and_samples_draws_what_it_can():
    ring = get_density("ring")
    bad_shape = plot_density_and_samples(lambda x: ring.log_prob(x)[:, None][:-1], lambda: ring.sample(50), grid=20)
    assert len(_messages(bad_shape)) == 1 and bad_shape.axes[1].collections  # density fails, samples drawn
    bad_samples = plot_density_and_samples(ring.log_prob, torch.zeros(5, 3), grid=20)
    assert "(5, 3)" in " ".join(_messages(bad_samples)).replace("\n", " ")
    with pytest.raises(NotImplementedError):
        plot_density_and_samples(ring.log_prob, _stub, grid=20)


def test_show_matrices():
    J = torch.tensor([[1.0, 0.0], [2.0, 3.0]], requires_grad=True) * 1
    fig = show_matrices({"J": J, "batch": lambda: J.expand(4, 2, 2), "vector": torch.ones(3), "nan": torch.full((2, 2), math.nan)},
                        title="t")
    assert len(fig.axes) == 4 and not _messages(fig)
    assert [ax.get_title() for ax in fig.axes] == ["J", "batch", "vector", "nan"]
    assert fig.axes[0].images[0].get_array().shape == (2, 2) and fig.axes[2].images[0].get_array().shape == (1, 3)
    assert len(fig.axes[0].texts) == 4  # small matrices show their entries
    broken = show_matrices({"error": lambda: 1 / torch.zeros(2, 2, 2, 2), "raises": lambda: {}["missing"], "ok": np.eye(3)})
    assert len(_messages(broken)) == 2 and broken.axes[2].images
    with pytest.raises(NotImplementedError):
        show_matrices({"stub": _stub})


def test_plot_bars():
    fig = plot_bars({"a": {"yours": torch.tensor(1.0), "exact": 1.5}, "b": {"yours": lambda: torch.ones(3), "exact": 2.0},
                     "c": {"yours": math.nan, "exact": 0.5}}, title="t", ylabel="nats")
    ax = fig.axes[0]
    assert len(ax.patches) == 4  # the vector and the nan are not drawn...
    assert "b / yours" in ax.get_xlabel() and "c / yours" in ax.get_xlabel()  # ...but named under the plot
    with pytest.raises(NotImplementedError):
        plot_bars({"a": {"yours": _stub}})


def test_plot_curves():
    fig = plot_curves(lambda x: (x**2, torch.tensor(x) ** 2), [0.0, 1.0, 2.0], ["a", "b"], title="t")
    assert len(fig.axes[0].lines) == 2 and list(fig.axes[0].lines[1].get_ydata()) == [0.0, 1.0, 4.0]
    wrong = plot_curves(lambda x: (x,), [0.0, 1.0], ["a", "b"], title="t")
    assert "expected 2" in " ".join(_messages(wrong)).replace("\n", " ")
    with pytest.raises(NotImplementedError):
        plot_curves(lambda x: _stub(), [0.0], ["a"])


def test_plot_targets():
    fig = plot_targets([get_density(name) for name in ("ring", "banana")], n_samples=100, grid=30)
    assert len(fig.axes) == 2 and fig.axes[0].get_title().startswith("ring: H = ")
    assert fig.axes[0].images[0].get_array().shape == (30, 30) and len(fig.axes[0].collections[0].get_offsets()) == 100


def test_plot_venn():
    fig = plot_venn({"a": "M", "b": "I only", "c": "F only", "d": "neither", "e": "maybe", "f": 3})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert all(name in texts for name in "abcd")
    assert any("not a region" in t and "'maybe'" in t and "3" in t for t in texts)


def test_show_image_grid_with_labels():
    split = load_digits_split()
    fig = show_image_grid(split.train[:10], nrow=5, labels=split.train_labels[:10].tolist())
    assert len(fig.axes) == 10 and [ax.get_title() for ax in fig.axes] == [str(v) for v in split.train_labels[:10].tolist()]

import gzip
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from dgm_utils import data
from dgm_utils.data import (
    DENSITIES,
    DIGITS_LEVELS,
    Banana,
    Checkerboard,
    RingOfGaussians,
    bits_per_dim,
    dequantize,
    get_density,
    kl_gap,
    load_digits_split,
    load_mnist,
    per_pixel_bits_per_dim,
    two_moons,
)

# Boxes that hold all but a negligible part of the mass (ring: 8 std beyond the circle;
# banana: 7 std in x1, and x2 up to curvature * 14^2 - offset + 7 noise std).
BOXES = {"ring": (-9.0, 9.0, -9.0, 9.0), "banana": (-14.0, 14.0, -6.0, 52.0), "checkerboard": (-5.0, 5.0, -5.0, 5.0)}


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def midpoint_integral(log_prob, box, h: float) -> float:
    """Midpoint rule for the integral of exp(log_prob) over box = (x1_lo, x1_hi, x2_lo, x2_hi)."""
    a, b, c, d = box
    t1 = torch.arange(a + h / 2, b, h, dtype=torch.float64)
    t2 = torch.arange(c + h / 2, d, h, dtype=torch.float64)
    points = torch.cartesian_prod(t1, t2).float()
    return log_prob(points).double().exp().sum().item() * h * h


@pytest.mark.parametrize("name", DENSITIES)
def test_density_integrates_to_one(name):
    density = get_density(name)
    assert density.name == name
    h = 0.02 if name == "ring" else 0.025
    total = midpoint_integral(density.log_prob, BOXES[name], h)
    tolerance = 1e-6 if name == "checkerboard" else 1e-3  # checkerboard: the grid is aligned with the squares
    assert abs(total - 1) < tolerance


@pytest.mark.parametrize("name", DENSITIES)
def test_sample_shapes_dtype_and_determinism(name):
    density = get_density(name)
    x = density.sample(1000, gen(3))
    assert x.shape == (1000, 2) and x.dtype == torch.float32
    assert torch.equal(x, density.sample(1000, gen(3)))
    assert density.log_prob(x).shape == (1000,)
    assert torch.isfinite(density.log_prob(x)).all()


@pytest.mark.parametrize("name", DENSITIES)
def test_mean_log_prob_of_samples_is_minus_entropy(name):
    density = get_density(name)
    log_p = density.log_prob(density.sample(200_000, gen(1))).double()
    standard_error = log_p.std().item() / math.sqrt(len(log_p))
    assert abs(-log_p.mean().item() - density.entropy()) < 4 * standard_error + 1e-5


@pytest.mark.parametrize("name", DENSITIES)
def test_samples_match_density_chi_square(name):
    """Binned samples against bin probabilities integrated from exp(log_prob)."""
    density, n, edges, sub = get_density(name), 200_000, torch.linspace(-6, 6, 25), 10
    x = density.sample(n, gen(2)).double()
    inside = ((x > -6) & (x < 6)).all(-1)
    bins = torch.bucketize(x[inside].contiguous(), edges[1:-1].double())
    observed = torch.bincount(bins[:, 0] * 24 + bins[:, 1], minlength=24 * 24).double()
    # Probability of each 0.5 x 0.5 bin by the midpoint rule on a 10 x 10 sub-grid.
    h = 0.5 / sub
    ticks = torch.arange(-6 + h / 2, 6, h, dtype=torch.float64)
    p = density.log_prob(torch.cartesian_prod(ticks, ticks).float()).double().exp() * h * h
    expected = n * p.reshape(24, sub, 24, sub).sum((1, 3)).reshape(-1)
    observed = torch.cat([observed, torch.tensor([float(n - inside.sum())])])
    expected = torch.cat([expected, (n - expected.sum()).reshape(1)])
    big = expected > 20  # merge sparse bins into one
    observed = torch.cat([observed[big], observed[~big].sum().reshape(1)])
    expected = torch.cat([expected[big], expected[~big].sum().reshape(1)])
    chi2 = ((observed - expected) ** 2 / expected.clamp_min(1e-12)).sum().item()
    dof = len(observed) - 1
    assert chi2 < dof + 5 * math.sqrt(2 * dof)


def test_banana_entropy_closed_form():
    banana = Banana()
    expected = math.log(2 * math.pi * math.e * banana.x1_std * banana.noise_std)
    assert banana.entropy() == pytest.approx(expected, abs=1e-12)


def test_checkerboard_log_prob_and_entropy():
    board = Checkerboard()  # 4 x 4 squares of side 2, 8 of them black: area 32
    assert board.entropy() == pytest.approx(math.log(32))
    x = torch.tensor([[-3.0, -3.0], [-1.0, -3.0], [1.0, 1.0], [4.5, 0.0], [-4.0, -4.0], [4.0, 3.0]])
    log_p = board.log_prob(x)
    assert log_p[0] == log_p[2] == log_p[4] == pytest.approx(-math.log(32))
    assert log_p[1] == log_p[3] == log_p[5] == -math.inf  # white square, outside, right edge (half-open)
    odd = Checkerboard(n_squares=3, extent=1.5)  # 5 black squares of side 1
    assert odd.entropy() == pytest.approx(math.log(5))
    assert midpoint_integral(odd.log_prob, (-2.0, 2.0, -2.0, 2.0), 0.05) == pytest.approx(1, abs=1e-6)


def test_checkerboard_samples_stay_on_support_at_float32_edges():
    # Far from 0 the float32 spacing is coarse: without care about 20 of these samples
    # would round onto the far edge of their square, i.e. onto a white square.
    board = Checkerboard(n_squares=1000, extent=1000.0)
    assert torch.isfinite(board.log_prob(board.sample(10**6, gen(0)))).all()


@pytest.mark.parametrize("ring", [RingOfGaussians(), RingOfGaussians(n_modes=8, radius=1.0, std=0.5),
                                  RingOfGaussians(n_modes=3, radius=0.5, std=1.0)], ids=["course", "overlap", "three"])
def test_ring_entropy_by_quadrature(ring, monkeypatch):
    """Converged (twice the nodes changes nothing) and equal to -1/N sum log p(x_i) on 10^6 samples, overlapping
    modes included (where log K + one mode's entropy is far off)."""
    h = ring.entropy()
    one_mode = math.log(2 * math.pi * math.e * ring.std**2)
    assert one_mode < h <= one_mode + math.log(ring.n_modes)
    monkeypatch.setattr(data, "RING_QUADRATURE_NODES", 2 * data.RING_QUADRATURE_NODES)
    assert ring.entropy() == pytest.approx(h, abs=1e-8)
    log_p = ring.log_prob(ring.sample(10**6, gen(5)).double())
    assert abs(-log_p.mean().item() - h) < 4 * log_p.std().item() / 1000


def test_ring_entropy_of_separated_modes_is_log_k_plus_one_mode():
    assert RingOfGaussians().entropy() == pytest.approx(math.log(8) + math.log(2 * math.pi * math.e * 0.25), abs=0.01)
    far = RingOfGaussians(n_modes=4, radius=10.0, std=0.2)  # 25 std apart
    assert far.entropy() == pytest.approx(math.log(4) + math.log(2 * math.pi * math.e * 0.04), abs=1e-9)


def test_get_density_unknown_name():
    with pytest.raises(ValueError, match="ring"):
        get_density("spiral")


def test_kl_gap():
    target = get_density("banana")
    assert abs(kl_gap(target.log_prob, target)) < 0.02  # Monte-Carlo error only
    assert kl_gap(target.log_prob, target) == kl_gap(target.log_prob, target)  # fixed seed
    # Model: the true x1 marginal and x2 ~ N(0, 5^2). KL(p||q) computed by hand: E_p[log p - log q].
    def model(x):
        return Banana(curvature=0.0, offset=0.0, noise_std=5.0).log_prob(x)

    e_x2_sq = target.noise_std**2 + target.curvature**2 * 3 * target.x1_std**4 \
        - 2 * target.curvature * target.offset * target.x1_std**2 + target.offset**2  # E[x2^2]
    kl = math.log(5.0 / target.noise_std) + e_x2_sq / (2 * 25.0) - 0.5
    assert kl_gap(model, target, n=200_000) == pytest.approx(kl, rel=0.02)


def test_two_moons():
    x = two_moons(500, seed=1)
    assert x.shape == (500, 2) and x.dtype == torch.float32
    assert torch.allclose(x.mean(0), torch.zeros(2), atol=1e-5)
    assert torch.allclose(x.std(0), torch.ones(2), atol=1e-5)
    assert torch.equal(x, two_moons(500, seed=1)) and not torch.equal(x, two_moons(500, seed=2))


def test_digits_split():
    split = load_digits_split()
    sizes = (len(split.train), len(split.val), len(split.test))
    assert sizes == (1257, 270, 270) and sum(sizes) == 1797
    for part in (split.train, split.val, split.test):
        assert part.dtype == torch.float32 and part.shape[1] == 64
        assert part.min() == 0 and part.max() == DIGITS_LEVELS - 1 and torch.equal(part, part.round())
    # Together the parts are exactly the 1797 images (as a multiset): no image is used twice.
    from sklearn.datasets import load_digits

    def counts(x):
        return Counter(tuple(row) for row in x.int().tolist())

    original = torch.as_tensor(load_digits().data, dtype=torch.float32)
    assert counts(split.train) + counts(split.val) + counts(split.test) == counts(original)
    shuffled = original[torch.randperm(1797, generator=torch.Generator().manual_seed(0))]  # scikit-learn's order, shuffled
    assert torch.equal(split.test, shuffled[:270]) and torch.equal(split.train, shuffled[540:])
    again = load_digits_split()
    assert torch.equal(again.train, split.train) and torch.equal(again.test, split.test)
    assert not torch.equal(load_digits_split(seed=1).train, split.train)
    assert len(load_digits_split(val_fraction=0.1, test_fraction=0.2).test) == round(1797 * 0.2)


def test_digits_split_keeps_the_labels():
    from sklearn.datasets import load_digits

    digits, split = load_digits(), load_digits_split()
    label_of = {tuple(row): int(label) for row, label in zip(digits.data.astype(int).tolist(), digits.target)}
    for images, labels in ((split.train, split.train_labels), (split.val, split.val_labels), (split.test, split.test_labels)):
        assert labels.dtype == torch.int64 and labels.shape == (len(images),)
        # every image carries the label scikit-learn gives it (images that occur twice share their label)
        assert all(label_of[tuple(row)] == label for row, label in zip(images.int().tolist(), labels.tolist()))
    assert set(split.train_labels.tolist()) == set(range(10))


def test_per_pixel_bits_per_dim():
    levels = 5
    # every level equally often at every pixel: the fitted distributions are uniform, log2(levels) bits/dim
    balanced = torch.arange(levels).repeat(4)[:, None].expand(4 * levels, 3)
    assert per_pixel_bits_per_dim(balanced, balanced[:7], levels=levels) == pytest.approx(math.log2(levels))
    # a constant pixel: add-one smoothing gives the seen level (n + 1) / (n + levels)
    constant = torch.zeros(10, 1)
    expected = -math.log2(11 / 15)
    assert per_pixel_bits_per_dim(constant, constant[:2], levels=levels) == pytest.approx(expected)
    assert per_pixel_bits_per_dim(constant, torch.ones(1, 1), levels=levels) == pytest.approx(-math.log2(1 / 15))
    split = load_digits_split()
    baseline = per_pixel_bits_per_dim(split.train, split.test)
    assert 2.0 < baseline < math.log2(DIGITS_LEVELS)


def test_dequantize():
    x = torch.randint(0, DIGITS_LEVELS, (500, 64))
    u = dequantize(x, gen(0))
    assert u.dtype == torch.float32
    assert torch.equal(u.floor(), x.float())  # u in [x, x + 1)
    assert 0 <= u.min() and u.max() < DIGITS_LEVELS
    assert torch.equal(u, dequantize(x, gen(0)))
    assert abs((u - x).mean().item() - 0.5) < 0.01


def test_bits_per_dim():
    # Uniform on [0, 17)^64 seen as uniform on [0, 1)^64 (log p_model = 0) after scaling by 17.
    assert bits_per_dim(0.0, dim=64, scale=17.0) == pytest.approx(math.log2(17))
    assert bits_per_dim(torch.zeros(10), dim=64, scale=17.0) == pytest.approx(math.log2(17))
    # Directly: the uniform density 17^-64 on u.
    assert bits_per_dim(-64 * math.log(17), dim=64) == pytest.approx(math.log2(17))
    # Mean over examples: log p = -ln2 * 2 and -ln2 * 4 on 2 dims -> 1 and 2 bits/dim -> 1.5.
    assert bits_per_dim(torch.tensor([-2 * math.log(2), -4 * math.log(2)]), dim=2) == pytest.approx(1.5)
    # scale 2 on 1 dim adds exactly one bit.
    assert bits_per_dim(0.0, dim=1, scale=2.0) == pytest.approx(1.0)


# --- MNIST: tiny IDX files -----------------------------------------------------------


def write_idx(path: Path, array: np.ndarray, magic: int | None = None) -> None:
    """IDX: big-endian magic (0x08 = unsigned byte, then the number of dims), the dims, the bytes."""
    magic = (0x08 << 8 | array.ndim) if magic is None else magic
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


def tiny_mnist(root: Path, prefix: str, gz: bool, n: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    ext = ".gz" if gz else ""
    write_idx(root / f"{prefix}-images-idx3-ubyte{ext}", images)
    write_idx(root / f"{prefix}-labels-idx1-ubyte{ext}", labels)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("split, prefix", [("train", "train"), ("test", "t10k")])
def test_load_mnist(tmp_path, gz, split, prefix):
    images, labels = tiny_mnist(tmp_path, prefix, gz)
    x, y = load_mnist(str(tmp_path), split=split)
    assert x.dtype == torch.uint8 and x.shape == (5, 28, 28)
    assert y.dtype == torch.int64 and y.shape == (5,)
    assert np.array_equal(x.numpy(), images) and np.array_equal(y.numpy(), labels)


def test_load_mnist_bad_magic(tmp_path):
    tiny_mnist(tmp_path, "train", gz=False)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((5, 28, 28)), magic=0x00000801)
    with pytest.raises(ValueError, match="magic"):
        load_mnist(tmp_path)


def test_load_mnist_truncated_and_mismatched(tmp_path):
    tiny_mnist(tmp_path, "train", gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="header"):
        load_mnist(tmp_path)
    tiny_mnist(tmp_path, "train", gz=False)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(4))
    with pytest.raises(ValueError, match="labels"):
        load_mnist(tmp_path)


def test_load_mnist_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        load_mnist(tmp_path / "mnist", split="test")
    message = str(error.value)
    assert "t10k-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte" in message
    assert str(tmp_path / "mnist") in message and "https://" in message
    with pytest.raises(ValueError, match="split"):
        load_mnist(tmp_path, split="val")

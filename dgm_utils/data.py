"""Datasets of the course: exact 2D densities, digits (8x8), MNIST from local files.

2D targets (``Density2D``) know their exact log-density and their entropy, so a
notebook can report how far a model q is from the target p in nats:

    NLL(q) - H(p) = E_p[-log q(x)] - E_p[-log p(x)] = KL(p || q) >= 0,

the "KL gap" printed by ``kl_gap``. It is 0 only for a perfect model.

Images are discrete (digits take the 17 values 0..16). Uniform dequantization
``u = x + U[0, 1)`` turns them into continuous data, and a density model on the
dequantized data gives a lower bound on the discrete log-likelihood (``dequantize``);
``bits_per_dim`` converts the result into the usual unit.
"""
from __future__ import annotations

import gzip
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import Tensor

DENSITIES = ("ring", "banana", "checkerboard")
DIGITS_LEVELS = 17
RING_QUADRATURE_NODES = 40  # per axis: the ring's entropy within 1e-8 nats of twice as many (tests/test_data.py)
_LOG_2PI = math.log(2 * math.pi)


def _normal_log_prob(x: Tensor, mean: Tensor | float, std: float) -> Tensor:
    """log N(x; mean, std^2) = -(x - mean)^2 / (2 std^2) - log std - log(2 pi) / 2."""
    return -0.5 * ((x - mean) / std) ** 2 - math.log(std) - 0.5 * _LOG_2PI


def _normal_entropy(std: float) -> float:
    """H(N(mean, std^2)) = log(std) + log(2 pi e) / 2."""
    return math.log(std) + 0.5 * (_LOG_2PI + 1)


class Density2D:
    """A density p on R^2 with exact ``log_prob``, a sampler and its entropy.

    ``entropy()`` is H(p) = -E_p[log p(x)] in nats. For any model q,
    NLL(q) - H(p) = KL(p || q) >= 0 (the "KL gap", see ``kl_gap``).
    """

    name: str = "density"

    def log_prob(self, x: Tensor) -> Tensor:
        """Exact log p(x) for x of shape (n, 2); returns shape (n,)."""
        raise NotImplementedError

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n samples of shape (n, 2), float32."""
        raise NotImplementedError

    def entropy(self) -> float:
        """H(p) = -E_p[log p(x)] in nats, exact or to quadrature accuracy."""
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class RingOfGaussians(Density2D):
    """Equal-weight mixture of K isotropic Gaussians with centres on a circle.

    p(x) = 1/K sum_k N(x; mu_k, std^2 I),  mu_k = radius * (cos(2 pi k / K), sin(2 pi k / K)).

    No closed-form entropy: ``entropy()`` integrates numerically (Gauss-Hermite). When the
    modes are well separated it is close to log K + log(2 pi e std^2), the entropy of one
    mode plus log K.
    """

    name = "ring"

    def __init__(self, n_modes: int = 8, radius: float = 4.0, std: float = 0.5) -> None:
        self.n_modes, self.radius, self.std = n_modes, radius, std
        angles = 2 * math.pi * torch.arange(n_modes) / n_modes
        self._means = radius * torch.stack([angles.cos(), angles.sin()], dim=-1)  # (K, 2)

    def log_prob(self, x: Tensor) -> Tensor:
        """log p(x) = logsumexp_k log N(x; mu_k, std^2 I) - log K."""
        means = self._means.to(x)
        log_components = _normal_log_prob(x[:, None, :], means, self.std).sum(-1)  # (n, K)
        return torch.logsumexp(log_components, dim=-1) - math.log(self.n_modes)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Pick a mode uniformly, then x = mu_k + std * eps, eps ~ N(0, I)."""
        modes = torch.randint(self.n_modes, (n,), generator=generator)
        return self._means[modes] + self.std * torch.randn(n, 2, generator=generator)

    def entropy(self) -> float:
        """H(p) = -E_{x ~ N(mu_0, std^2 I)}[log p(x)], by Gauss-Hermite quadrature in float64.

        A rotation by 2 pi / K maps p onto itself and mode k onto mode k + 1, so every mode
        gives the same E_{N(mu_k, std^2 I)}[log p(x)] and H(p) = -1/K sum_k of them equals the
        one of mode 0. With nodes t_i and weights w_i of exp(-t^2) (``RING_QUADRATURE_NODES`` per
        axis), x_ij = mu_0 + sqrt(2) std (t_i, t_j) and E[log p(x)] ~ sum_ij w_i w_j log p(x_ij) / pi;
        log p is smooth, so the rule converges fast: within 1e-8 nats of a rule with twice as many
        nodes, where 10^6 Monte-Carlo samples have a standard error of 1e-3 nats.
        """
        nodes, weights = (torch.from_numpy(a) for a in np.polynomial.hermite.hermgauss(RING_QUADRATURE_NODES))
        x = self._means[0].double() + math.sqrt(2) * self.std * torch.cartesian_prod(nodes, nodes)
        return -(torch.outer(weights, weights).reshape(-1) * self.log_prob(x)).sum().item() / math.pi


class Banana(Density2D):
    """A Gaussian bent into a banana by a shear with unit Jacobian.

    x1 ~ N(0, x1_std^2),   x2 | x1 ~ N(curvature * x1^2 - offset, noise_std^2).

    The map (x1, x2) -> (x1, x2 - curvature * x1^2 + offset) has a triangular
    Jacobian with unit diagonal (det = 1), so it preserves entropy and
    H(p) = H(N(0, x1_std^2)) + H(N(0, noise_std^2)) exactly.
    """

    name = "banana"

    def __init__(
        self, x1_std: float = 2.0, curvature: float = 0.25, offset: float = 2.0, noise_std: float = 0.5
    ) -> None:
        self.x1_std, self.curvature, self.offset, self.noise_std = x1_std, curvature, offset, noise_std

    def log_prob(self, x: Tensor) -> Tensor:
        """log p(x) = log N(x1; 0, x1_std^2) + log N(x2; curvature * x1^2 - offset, noise_std^2)."""
        x1, x2 = x[:, 0], x[:, 1]
        mean2 = self.curvature * x1**2 - self.offset
        return _normal_log_prob(x1, 0.0, self.x1_std) + _normal_log_prob(x2, mean2, self.noise_std)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        eps = torch.randn(n, 2, generator=generator)
        x1 = self.x1_std * eps[:, 0]
        x2 = self.curvature * x1**2 - self.offset + self.noise_std * eps[:, 1]
        return torch.stack([x1, x2], dim=-1)

    def entropy(self) -> float:
        """H(p) = log(2 pi e x1_std noise_std) (exact)."""
        return _normal_entropy(self.x1_std) + _normal_entropy(self.noise_std)


class Checkerboard(Density2D):
    """Uniform density on the black squares of an n x n checkerboard on [-extent, extent]^2.

    Square (i, j) is [-extent + i s, -extent + (i + 1) s) x [-extent + j s, -extent + (j + 1) s)
    with side s = 2 extent / n; it is black when i + j is even. With B black squares
    the support has area A = B s^2 and

    log p(x) = -log A on the black squares, -inf elsewhere (exact: the density is 0 there;
    ``-inf`` is the correct value, it never enters a loss since models are scored on samples
    of p, all of which lie on the support).  H(p) = log A (exact).
    """

    name = "checkerboard"

    def __init__(self, n_squares: int = 4, extent: float = 4.0) -> None:
        self.n_squares, self.extent = n_squares, extent
        self._side = 2 * extent / n_squares
        cells = torch.cartesian_prod(torch.arange(n_squares), torch.arange(n_squares))
        self._black = cells[cells.sum(-1) % 2 == 0]  # (B, 2) integer cell coordinates
        self._log_area = math.log(len(self._black) * self._side**2)

    def _cells(self, x: Tensor) -> Tensor:
        """Integer cell coordinates floor((x + extent) / s), computed in float64."""
        return torch.floor((x.double() + self.extent) / self._side).long()

    def log_prob(self, x: Tensor) -> Tensor:
        cells = self._cells(x)
        inside = ((cells >= 0) & (cells < self.n_squares)).all(-1)
        on_support = inside & (cells.sum(-1) % 2 == 0)
        return torch.where(on_support, -self._log_area, -math.inf).to(x.dtype)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Pick a black square uniformly, then a uniform point inside it."""
        cells = self._black[torch.randint(len(self._black), (n,), generator=generator)]
        u = torch.rand(n, 2, generator=generator, dtype=torch.float64)
        x = ((cells + u) * self._side - self.extent).float()
        # Rounding to float32 can put a point on the far edge of its square, i.e. in the
        # next square: move such points one float32 step back towards their square's centre.
        centres = ((cells + 0.5) * self._side - self.extent).float()
        return torch.where(self._cells(x) == cells, x, torch.nextafter(x, centres))

    def entropy(self) -> float:
        """H(p) = log A (exact)."""
        return self._log_area


def get_density(name: str) -> Density2D:
    """The 2D target called ``name`` (one of ``DENSITIES``) with its default parameters."""
    densities = {"ring": RingOfGaussians, "banana": Banana, "checkerboard": Checkerboard}
    if name not in densities:
        raise ValueError(f"unknown density {name!r}; choose one of {DENSITIES}")
    return densities[name]()


def two_moons(n: int, noise: float = 0.05, seed: int = 0) -> Tensor:
    """n points of scikit-learn's two moons, standardized per coordinate, float32 (n, 2).

    For looks only: there is no exact density.
    """
    from sklearn.datasets import make_moons

    x, _ = make_moons(n_samples=n, noise=noise, random_state=seed)
    x = torch.as_tensor(x, dtype=torch.float32)
    return (x - x.mean(0)) / x.std(0)


@torch.no_grad()
def kl_gap(
    model_log_prob: Callable[[Tensor], Tensor], target: Density2D, n: int = 20000, seed: int = 0
) -> float:
    """KL(p || q) estimated as NLL(q) - H(p) in nats.

    NLL(q) = -1/n sum_i log q(x_i) on n samples x_i ~ p drawn with a fixed seed; H(p) is
    ``target.entropy()``. The gap is >= 0 up to Monte-Carlo error (about
    std(log q(x)) / sqrt(n)) and 0 for a perfect model.
    """
    x = target.sample(n, torch.Generator().manual_seed(seed))
    nll = -model_log_prob(x).double().mean().item()
    return nll - target.entropy()


@dataclass
class DigitsSplit:
    """scikit-learn digits (8x8, values 0..16) as float32 tensors of shape (n, 64), with their labels.

    ``train_labels``, ``val_labels`` and ``test_labels`` are int64 tensors (n,) of the digit
    classes 0..9, in the order of the images.
    """

    train: Tensor
    val: Tensor
    test: Tensor
    train_labels: Tensor | None = None
    val_labels: Tensor | None = None
    test_labels: Tensor | None = None


def digits_file() -> Path:
    """scikit-learn's copy of the UCI digits (what ``sklearn.datasets.load_digits`` reads), found without importing
    scikit-learn (that import alone takes over a second, in every notebook run the grader makes)."""
    return Path(importlib.util.find_spec("sklearn").origin).parent / "datasets" / "data" / "digits.csv.gz"


def load_digits_split(seed: int = 0, val_fraction: float = 0.15, test_fraction: float = 0.15) -> DigitsSplit:
    """The 1797 digits split by a fixed random permutation (seeded by ``seed``), labels kept.

    round(1797 * test_fraction) images go to test, round(1797 * val_fraction) to val and
    the rest to train (1257 / 270 / 270 with the defaults).
    """
    table = np.loadtxt(digits_file(), delimiter=",")  # one row per image: 64 pixels, then the label
    order = torch.randperm(len(table), generator=torch.Generator().manual_seed(seed))
    x = torch.as_tensor(table[:, :-1], dtype=torch.float32)[order]
    y = torch.as_tensor(table[:, -1], dtype=torch.int64)[order]
    n_test, n_val = round(len(x) * test_fraction), round(len(x) * val_fraction)
    val, train = slice(n_test, n_test + n_val), slice(n_test + n_val, None)
    return DigitsSplit(train=x[train], val=x[val], test=x[:n_test],
                       train_labels=y[train], val_labels=y[val], test_labels=y[:n_test])


def per_pixel_bits_per_dim(train: Tensor, test: Tensor, levels: int = DIGITS_LEVELS, smoothing: float = 1.0) -> float:
    """Bits/dim on ``test`` of independent per-pixel categorical distributions fitted on ``train``.

    The baseline every image model of the course must beat: pixel d takes level k with
    probability (count_dk + smoothing) / (n + levels * smoothing), counts from ``train``
    (add-one smoothing by default, so no test level has probability 0). Exact discrete
    bits/dim: -mean over test images and pixels of log2 P(x_d). Images (n, D) with integer
    values in {0, ..., levels - 1}.
    """
    counts = torch.stack([(train == k).sum(0) for k in range(levels)]).double() + smoothing  # (levels, D)
    log_probs = (counts / counts.sum(0)).log()
    return -log_probs.gather(0, test.long()).mean().item() / math.log(2)


def dequantize(x: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Uniform dequantization u = x + v, v ~ U[0, 1)^D (float32 for integer x).

    For integer x in {0, ..., 16}^64 the u live in [0, 17)^64. A density p_model on u
    lower-bounds the discrete likelihood P(x) = int_{[0,1)^D} p_model(x + v) dv (Jensen):

        E_v[log p_model(x + v)] <= log P(x)     (Theis et al., 2016),

    so the continuous NLL of dequantized data upper-bounds the discrete NLL.
    """
    x = x if x.is_floating_point() else x.float()
    return x + torch.rand(x.shape, generator=generator, dtype=x.dtype).to(x.device)


def bits_per_dim(log_prob: Tensor | float, dim: int, scale: float = 1.0) -> float:
    """Bits per dimension of the data u from model log-densities.

    If the model saw u / scale (e.g. scale = 17 maps dequantized digits to [0, 1)), then
    by the change of variables log p(u) = log p_model(u / scale) - dim * log(scale), and

        bpd = -mean(log p(u)) / (dim * ln 2).

    ``log_prob`` holds log p_model per example (nats; a tensor is averaged). Example: the
    uniform density on [0, 1)^64 with scale = 17 gives log2(17) = 4.09 bits per dim.
    """
    mean_log_prob = torch.as_tensor(log_prob, dtype=torch.float64).mean().item()
    return -(mean_log_prob - dim * math.log(scale)) / (dim * math.log(2))


MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_IDX_MAGIC = {"images": 0x00000803, "labels": 0x00000801}  # unsigned bytes, 3 and 1 dims


def _read_idx(path: Path, kind: str) -> np.ndarray:
    """Read an IDX file of unsigned bytes: big-endian magic, one int32 per dim, then data."""
    with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[:4], "big")
    if magic != _IDX_MAGIC[kind]:
        expected = _IDX_MAGIC[kind]
        raise ValueError(f"{path}: magic number {magic:#010x}, expected {expected:#010x} for MNIST {kind}")
    n_dims = magic & 0xFF
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    offset = 4 + 4 * n_dims
    size = len(data) - offset
    if size != math.prod(shape):
        raise ValueError(f"{path}: header says shape {shape}, i.e. {math.prod(shape)} bytes, but {size} follow")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape)


def load_mnist(root: str | Path, split: str = "train") -> tuple[Tensor, Tensor]:
    """MNIST from the original IDX files in ``root`` (plain or ``.gz``); never downloads.

    Returns uint8 images (n, 28, 28) and int64 labels (n,); n = 60000 for
    ``split="train"``, 10000 for ``split="test"``.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = Path(root).expanduser()
    prefix = "train" if split == "train" else "t10k"
    names = {"images": f"{prefix}-images-idx3-ubyte", "labels": f"{prefix}-labels-idx1-ubyte"}
    paths = {}
    for kind, name in names.items():
        found = [p for p in (root / name, root / f"{name}.gz") if p.is_file()]
        if not found:
            missing = ", ".join(f"{n}.gz" for n in names.values())
            raise FileNotFoundError(
                f"MNIST {split} file {name} (or {name}.gz) not found in {root.absolute()}. "
                f"Download {missing} by hand from {MNIST_URL} (the mirror torchvision uses) "
                f"and put them, gzipped or not, into {root.absolute()}. This function never downloads."
            )
        paths[kind] = found[0]
    images, labels = _read_idx(paths["images"], "images"), _read_idx(paths["labels"], "labels")
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels in {root}")
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))

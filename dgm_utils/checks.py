"""Public, reference-free checks for the visible tests of the notebooks.

Every ``check_*`` function returns ``None`` when the property holds and raises an
``AssertionError`` otherwise. The message says what is wrong, where (which input row,
how far off, which tolerance) and hints at the likely mistake, but never prints the
correct value of the quantity under test.

Notation as in the lecture: a flow ``f`` maps data ``x`` to noise ``z = f(x)``,
``g = f^{-1}``, ``J_f = dz/dx`` with ``J_f[i, j] = dz_i / dx_j`` (row = output).
All maps act row-wise: a batch ``x`` of shape ``(n, m)`` goes to ``(n, m)``.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

__all__ = [
    "jacobian",
    "grid_mass",
    "check_shape",
    "check_inverse",
    "check_jacobian",
    "check_log_det",
    "check_density_normalized",
]


def jacobian(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Batched Jacobian ``J[b] = d f(x)[b] / d x[b]`` of shape ``(n, m_out, m)`` by autograd.

    ``f`` must act row-wise (row ``b`` of the output depends on row ``b`` of the input
    only); then the Jacobian of the whole batch map is block-diagonal and one backward
    pass per output dimension gives all ``n`` blocks at once.
    """
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        y = f(x)
        if not isinstance(y, Tensor) or y.dim() != 2 or y.shape[0] != x.shape[0]:
            shape = tuple(y.shape) if isinstance(y, Tensor) else type(y).__name__
            raise AssertionError(
                f"jacobian: f should map a batch of shape {tuple(x.shape)} to a batch "
                f"(n, m_out) with the same n, got {shape}"
            )
        rows = []
        for i in range(y.shape[1]):
            (grad,) = torch.autograd.grad(
                y[:, i].sum(), x, retain_graph=True, allow_unused=True
            )
            rows.append(torch.zeros_like(x) if grad is None else grad)
    return torch.stack(rows, dim=1).detach()


def grid_mass(
    log_prob: Callable[[Tensor], Tensor],
    extent: float = 6.0,
    grid: int = 200,
    dtype: torch.dtype = torch.float32,
) -> float:
    """Integral of ``exp(log_prob)`` over ``[-extent, extent]^2`` (midpoint rule, grid x grid cells)."""
    h = 2.0 * extent / grid
    t = -extent + h * (torch.arange(grid, dtype=torch.float64) + 0.5)
    xx, yy = torch.meshgrid(t, t, indexing="xy")
    points = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1).to(dtype)
    with torch.no_grad():
        lp = log_prob(points)
    check_shape(lp, (points.shape[0],), "log_prob(grid)", allow_neg_inf=True)
    return float(torch.exp(lp.double()).sum() * h * h)


def check_shape(value, shape, name: str = "value", *, allow_neg_inf: bool = False) -> None:
    """``value`` is a floating-point ``torch.Tensor`` of ``shape`` (``None`` = any size) with finite entries."""
    if not isinstance(value, Tensor):
        raise AssertionError(f"{name} should be a torch.Tensor, got {type(value).__name__}")
    if not value.dtype.is_floating_point:
        raise AssertionError(
            f"{name} should have a floating-point dtype, got {value.dtype} "
            "(integer tensors lose the fractional part)"
        )
    shape = tuple(shape)
    ok = value.dim() == len(shape) and all(
        s is None or s == v for s, v in zip(shape, value.shape)
    )
    if not ok:
        want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        raise AssertionError(f"{name} should have shape {want}, got {tuple(value.shape)}")
    bad = torch.isnan(value) | (value == float("inf"))
    if not allow_neg_inf:
        bad |= value == float("-inf")
    if bad.any():
        index = tuple(int(i) for i in bad.nonzero()[0])
        raise AssertionError(
            f"{name} has {int(bad.sum())} non-finite entries, the first at index {index} "
            f"({value[index].item()}): look for log of a non-positive number, division by "
            "zero or an overflowing exp"
        )


def _worst(err: Tensor) -> tuple[tuple[int, ...], float]:
    flat = int(torch.argmax(err.reshape(-1)))
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), err.shape))
    return index, float(err.reshape(-1)[flat])


def check_inverse(
    f: Callable[[Tensor], Tensor],
    g: Callable[[Tensor], Tensor],
    x: Tensor,
    atol: float = 1e-5,
    z: Tensor | None = None,
) -> None:
    """``g(f(x)) == x`` and ``f(g(z)) == z`` row by row within ``atol`` (``z`` defaults to ``x``)."""
    z = x if z is None else z
    with torch.no_grad():
        fx = f(x)
        check_shape(fx, tuple(x.shape), "f(x)")
        x_back = g(fx)
        check_shape(x_back, tuple(x.shape), "g(f(x))")
        gz = g(z)
        check_shape(gz, tuple(z.shape), "g(z)")
        z_back = f(gz)
    for what, got, want, inp in (("g(f(x))", x_back, x, "x"), ("f(g(z))", z_back, z, "z")):
        err = (got - want).abs()
        (row, col), worst = _worst(err)
        if worst > atol:
            n_bad = int((err.amax(dim=1) > atol).sum())
            raise AssertionError(
                f"{what} should give back {inp}, but on {n_bad} of {len(want)} rows it does "
                f"not; worst at row {row}, dimension {col}: off by {worst:.3g} "
                f"(atol {atol:g}). g must undo f step by step in reverse order: where f "
                "subtracts g adds, where f divides g multiplies (by the same quantity, "
                "computed from the part of the input that g can see)"
            )


def check_jacobian(
    claimed: Tensor,
    f: Callable[[Tensor], Tensor],
    x: Tensor,
    atol: float = 1e-5,
) -> None:
    """A claimed batched Jacobian ``(n, m, m)`` of ``f`` at the rows of ``x`` agrees with autograd."""
    n, m = x.shape
    if isinstance(claimed, Tensor) and tuple(claimed.shape) == (m, m):
        raise AssertionError(
            f"the Jacobian has shape {(m, m)}: one matrix for the whole batch; a batch of "
            f"n={n} inputs needs one m x m Jacobian per row, shape {(n, m, m)}"
        )
    check_shape(claimed, (n, m, m), "Jacobian")
    true = jacobian(f, x).to(claimed.dtype)
    err = (claimed - true).abs()
    index, worst = _worst(err)
    if worst <= atol:
        return
    b, i, j = index
    hint = ""
    if torch.allclose(claimed, true.transpose(1, 2), atol=atol, rtol=0):
        hint = (
            " It matches the transpose: rows and columns are swapped. With J = dz/dx, "
            "row i holds the derivatives of the output z_i, column j those with respect "
            "to the input x_j."
        )
    elif torch.allclose(claimed, -true, atol=atol, rtol=0):
        hint = " It matches the negative: check the sign of every term."
    else:
        try:
            inverse = torch.linalg.inv(true)
        except RuntimeError:
            inverse = None
        if inverse is not None and torch.allclose(claimed, inverse, atol=atol, rtol=0):
            hint = (
                " It matches the inverse matrix: that is J_g = dx/dz of the inverse map, "
                "not J_f = dz/dx."
            )
    raise AssertionError(
        f"Jacobian entry [{b}, {i}, {j}] = dz_{i + 1}/dx_{j + 1} at row {b} of x is off by "
        f"{worst:.3g} (atol {atol:g}); {int((err > atol).sum())} of {err.numel()} entries "
        f"are off.{hint} Differentiate each output with respect to each input, including "
        "through inner functions (chain rule)."
    )


def check_log_det(
    f: Callable[[Tensor], Tensor],
    log_abs_det: Tensor,
    x: Tensor,
    atol: float = 1e-4,
) -> None:
    """A claimed per-row ``log|det J_f(x)|`` of shape ``(n,)`` agrees with autograd + slogdet."""
    n, m = x.shape
    if isinstance(log_abs_det, Tensor):
        shape = tuple(log_abs_det.shape)
        if shape == (n, m) and m != 1:
            raise AssertionError(
                f"log|det J_f| has shape {shape}: one number per dimension. For an "
                "elementwise or triangular map the log-determinant is the sum of the "
                f"log-diagonal over the m={m} dimensions: one number per row, shape ({n},)"
            )
        if shape in ((), (1,)) and n != 1:
            raise AssertionError(
                f"log|det J_f| has shape {shape}: a single number for the whole batch. "
                f"Each of the n={n} rows has its own Jacobian: keep shape ({n},) and do "
                "not sum or average over the batch"
            )
        if shape == (n, 1):
            raise AssertionError(f"log|det J_f| should have shape ({n},), got {shape}: squeeze it")
        if shape == (n,) and torch.isnan(log_abs_det).any():
            row = int(torch.isnan(log_abs_det).nonzero()[0])
            raise AssertionError(
                f"log|det J_f| is NaN at row {row}: the log of a negative number? The "
                "density uses the absolute value of the determinant"
            )
    check_shape(log_abs_det, (n,), "log|det J_f|")
    true = torch.linalg.slogdet(jacobian(f, x).double()).logabsdet
    claimed = log_abs_det.detach().double()
    err = (claimed - true).abs()
    (row,), worst = _worst(err)
    if worst <= atol:
        return
    hint = (
        " Write down J_f = dz/dx, take its determinant (for a triangular matrix the "
        "product of the diagonal) and then log|.|."
    )
    if torch.allclose(claimed, -true, atol=atol, rtol=0):
        hint = (
            " It matches the negative: the sign is flipped. This is log|det J_g| of "
            "the inverse map g = f^{-1} (J_g = J_f^{-1}), not log|det J_f|."
        )
    elif torch.allclose(claimed, true.exp(), atol=atol, rtol=1e-4):
        hint = " It matches |det J_f| itself: take the log."
    raise AssertionError(
        f"log|det J_f(x)| at row {row} of x is off by {worst:.3g} (atol {atol:g}); "
        f"{int((err > atol).sum())} of {n} rows are off.{hint}"
    )


def check_density_normalized(
    log_prob: Callable[[Tensor], Tensor],
    extent: float = 6.0,
    grid: int = 200,
    atol: float = 1e-2,
    dtype: torch.dtype = torch.float32,
) -> None:
    """``exp(log_prob)`` of a 2D density integrates to 1 (within ``atol``) on ``[-extent, extent]^2``."""
    mass = grid_mass(log_prob, extent, grid, dtype)
    if abs(mass - 1.0) <= atol:
        return
    raise AssertionError(
        f"exp(log_prob) integrates to {mass:.4g} over the box [-{extent:g}, {extent:g}]^2 "
        f"({grid} x {grid} grid), not to 1 (atol {atol:g}). Likely causes: a missing or "
        "inverted |det J| factor (use log|det J_f(x)| for the density of x, i.e. of the "
        "map from x to z), a base log-density without its normalising constant, or a "
        "density whose mass lies partly outside the box (then increase extent)."
    )

"""Recording values for the autograder (used by hidden tests only).

A hidden test never decides a grade inside the student's kernel. It only *records*
values computed from the student's code on fixed inputs::

    record("jacobian_batched", batched_jacobian(f, x))           # compared with the reference
    record("kl_gap", gap, low=0.0, high=0.15)                     # checked against a range

The autograder runs the reference solution through the same hidden tests, and the
trusted grader process (outside the sandbox) compares the student's recorded arrays
with the reference's: element-wise within ``rtol``/``atol`` (``np.allclose``), or,
when ``low``/``high`` is given, by the range alone. Tolerances and ranges are read
from the reference run only, so nothing a student's code writes can change them.

Outside grading (``DGM_GRADER_RECORDS`` unset) ``record`` only checks its arguments.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

RECORDS_ENV = "DGM_GRADER_RECORDS"
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


def as_array(value) -> np.ndarray:
    """A float64 or bool numpy array from a tensor, array, number or nested list."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype == bool:
        return array
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"record() takes numbers, arrays or tensors, not {array.dtype}")
    return array.astype(np.float64)


def record(
    name: str,
    value,
    *,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    low: float | None = None,
    high: float | None = None,
) -> None:
    """Store ``value`` under ``name`` for the out-of-kernel verdict of the autograder."""
    if not _NAME.match(name):
        raise ValueError(f"record name {name!r} must match {_NAME.pattern}")
    array = as_array(value)
    folder = os.environ.get(RECORDS_ENV)
    if not folder:
        return
    path = Path(folder)
    spec = {"rtol": rtol, "atol": atol, "low": low, "high": high}
    np.save(path / f"{name}.npy", array, allow_pickle=False)
    (path / f"{name}.json").write_text(json.dumps(spec))

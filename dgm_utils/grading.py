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

How a value travels: the grader's runner executes a test cell's hidden part itself,
with a fresh copy of this module (not the one in ``sys.modules``, which the student's
code could have patched) whose ``_TOKEN`` it sets to a secret of that cell. ``record``
then publishes the value as a display message of type :data:`RECORD_MIME` carrying the
token; the runner keeps only messages of the running hidden part with its token, and
drops them from the outputs. Nothing is written to disk. Everywhere else (``_TOKEN``
unset: in JupyterLab, in the student's own cells) ``record`` only checks its arguments.
"""
from __future__ import annotations

import base64
import io
import re

import numpy as np

RECORD_MIME = "application/vnd.dgm.record+json"
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
_TOKEN: str | None = None  # set by the grader's runner on its private copy of this module
RTOL, ATOL = 1e-4, 1e-6
"""The default tolerances of ``record``: ``|student - reference| <= ATOL + RTOL * |reference|`` element-wise."""


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


def encode(array: np.ndarray) -> str:
    """The array as base64 ``.npy`` bytes (no pickles)."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode()


def record(
    name: str,
    value,
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
    low: float | None = None,
    high: float | None = None,
) -> None:
    """Send ``value`` under ``name`` to the autograder's out-of-kernel verdict (a no-op outside grading)."""
    if not _NAME.match(name):
        raise ValueError(f"record name {name!r} must match {_NAME.pattern}")
    array = as_array(value)
    if _TOKEN is None:
        return
    from IPython.display import publish_display_data

    spec = {"rtol": rtol, "atol": atol, "low": low, "high": high}
    publish_display_data({RECORD_MIME: {"token": _TOKEN, "name": name, "spec": spec, "npy": encode(array)}})

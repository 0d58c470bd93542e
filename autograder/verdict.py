"""The verdict, in the trusted grader process: student records against reference records.

A test cell's score is ``points * passed / checks``, where its checks are the records
its hidden tests wrote in the reference run. A student's record passes when it loads
as a plain numeric array (no pickles), has the reference's shape, and lies within the
reference's tolerance (``np.allclose``) or inside the reference's ``[low, high]``.
Nothing the student's code does can change a tolerance, a range or a comparison.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAX_RECORD_BYTES = 50_000_000


@dataclass(frozen=True)
class Check:
    name: str
    value: np.ndarray
    rtol: float
    atol: float
    low: float | None
    high: float | None


@dataclass
class CellVerdict:
    grade_id: str
    max_points: float
    failures: dict[str, str] = field(default_factory=dict)
    checks: int = 0

    @property
    def points(self) -> float:
        passed = self.checks - len(self.failures)
        return round(self.max_points * passed / self.checks, 2) if self.checks else 0.0

    def summary(self) -> str:
        head = f"Autograder: {self.checks - len(self.failures)} of {self.checks} checks passed"
        head += f" ({self.points:g} of {self.max_points:g} points)."
        return "\n".join([head, *(f"  - {name}: {why}" for name, why in self.failures.items())])


def load_array(path: Path) -> np.ndarray:
    """Load one record written by ``dgm_utils.grading.record``, refusing anything but numbers."""
    if path.is_symlink() or not path.is_file():
        raise ValueError("missing")
    if path.stat().st_size > MAX_RECORD_BYTES:
        raise ValueError("too large")
    array = np.load(path, allow_pickle=False)
    if not (array.dtype == bool or np.issubdtype(array.dtype, np.number)):
        raise ValueError(f"not numeric ({array.dtype})")
    return array


def load_reference(records: Path, names: list[str]) -> list[Check]:
    checks = []
    for name in names:
        spec = json.loads((records / f"{name}.json").read_text())
        checks.append(Check(name, load_array(records / f"{name}.npy"), **spec))
    return checks


def compare(check: Check, records: Path) -> str | None:
    """None when the student's record passes, else why not (never the expected value)."""
    try:
        value = load_array(records / f"{check.name}.npy")
    except ValueError as error:
        if str(error) == "missing":
            return "not recorded: the test cell stopped before this check (see its error above)"
        return f"unreadable record ({error})"
    except Exception:  # a corrupt file written by the student's code
        return "unreadable record"
    if value.shape != check.value.shape:
        return f"shape {value.shape}, expected {check.value.shape}"
    value = value.astype(np.float64)
    if not np.all(np.isfinite(value)) and np.all(np.isfinite(check.value)):
        return "contains NaN or inf"
    if check.low is not None or check.high is not None:
        low = -np.inf if check.low is None else check.low
        high = np.inf if check.high is None else check.high
        if np.all((value >= low) & (value <= high)):
            return None
        return f"outside the expected range [{low:g}, {high:g}]"
    reference = check.value.astype(np.float64)
    if np.allclose(value, reference, rtol=check.rtol, atol=check.atol):
        return None
    error = np.abs(value - reference)
    worst = np.unravel_index(np.argmax(error), error.shape) if error.ndim else ()
    where = f" at index {tuple(int(i) for i in worst)}" if worst else ""
    return f"differs from the reference by {float(error.max()):.3g}{where} (tolerance {check.atol:g} + {check.rtol:g}*|ref|)"


def judge(reference: dict[str, list[Check]], points: dict[str, float], records: Path) -> dict[str, CellVerdict]:
    """Verdicts for every autograded test cell, from the student's ``records`` folder."""
    verdicts = {}
    for grade_id, max_points in points.items():
        verdict = CellVerdict(grade_id, max_points, checks=len(reference[grade_id]))
        for check in reference[grade_id]:
            why = compare(check, records)
            if why:
                verdict.failures[check.name] = why
        verdicts[grade_id] = verdict
    return verdicts

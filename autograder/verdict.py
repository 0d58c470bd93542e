"""The verdict, in the trusted grader process: student records against reference records.

A test cell's score is ``points * passed / checks``, where its checks are the records
its hidden tests wrote in the reference run. A student's record counts only when the
runner received it from the hidden part of that same test cell (see ``runner.py``); it
passes when it decodes as a plain numeric array (no pickles), has the reference's
shape, and lies within the reference's tolerance (``np.allclose``) or inside the
reference's ``[low, high]``. A name recorded twice in one hidden part fails: one of the
two values did not come from the hidden test. Nothing the student's code does can
change a tolerance, a range or a comparison, and nothing is read from the job folder.
"""
from __future__ import annotations

import base64
import binascii
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .notebook import PARSE_LOCK  # np.load reads each header with ast.literal_eval

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


def load_array(data: bytes) -> np.ndarray:
    """Decode one record's ``.npy`` bytes, refusing anything but numbers."""
    if len(data) > MAX_RECORD_BYTES:
        raise ValueError("too large")
    with PARSE_LOCK:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    if not (array.dtype == bool or np.issubdtype(array.dtype, np.number)):
        raise ValueError(f"not numeric ({array.dtype})")
    return array


def decode_record(record: dict) -> np.ndarray:
    """The array of one record as the runner passed it on (``{"spec", "npy": base64}``)."""
    try:
        return load_array(base64.b64decode(str(record["npy"]), validate=True))
    except (KeyError, TypeError, binascii.Error) as error:
        raise ValueError("malformed") from error


def save_reference(folder: Path, records: dict[str, dict]) -> None:
    """Store the reference run's records (written here, by the grader) as ``.npy`` + ``.json`` pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, record in records.items():
        np.save(folder / f"{name}.npy", decode_record(record), allow_pickle=False)
        (folder / f"{name}.json").write_text(json.dumps(record["spec"]))


def load_reference(folder: Path, names: list[str]) -> list[Check]:
    checks = []
    for name in names:
        spec = json.loads((folder / f"{name}.json").read_text())
        with PARSE_LOCK:
            value = np.load(folder / f"{name}.npy", allow_pickle=False)
        checks.append(Check(name, value, **spec))
    return checks


def compare(check: Check, records: dict[str, dict], duplicates: frozenset[str] = frozenset()) -> str | None:
    """None when the student's record passes, else why not (never the expected value)."""
    if check.name in duplicates:
        return "recorded more than once in the hidden tests: the value is not trusted"
    if check.name not in records:
        return "not recorded: the test cell stopped before this check (see its error above)"
    try:
        value = decode_record(records[check.name])
    except ValueError as error:
        return f"unreadable record ({error})"
    except Exception:  # anything else a forged payload could provoke
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


def judge(reference: dict[str, list[Check]], points: dict[str, float], cells: list[dict]) -> dict[str, CellVerdict]:
    """Verdicts for every autograded test cell, from the runner's signed per-cell lines.

    A test cell's checks look only at the records of the line of that same cell.
    """
    by_cell = {c.get("grade_id"): c for c in cells if c.get("grade_id") in points}
    verdicts = {}
    for grade_id, max_points in points.items():
        line = by_cell.get(grade_id, {})
        records = line.get("records") if isinstance(line.get("records"), dict) else {}
        duplicates = frozenset(map(str, line.get("duplicates") or []))
        verdict = CellVerdict(grade_id, max_points, checks=len(reference[grade_id]))
        for check in reference[grade_id]:
            why = compare(check, records, duplicates)
            if why:
                verdict.failures[check.name] = why
        verdicts[grade_id] = verdict
    return verdicts

"""What was graded, so that a batch can be resumed and an unchanged submission is not regraded.

After a submission's grades are in the gradebook, ``grade.json`` is written beside its
autograded notebook (atomically) with a fingerprint of what was graded: the submitted
files, their timestamp and the reference. A later batch reuses the stored result when
the fingerprint is unchanged; a resubmission or a new reference changes it. A batch
killed at any point loses at most the submissions in flight, and grading one again
only overwrites its own gradebook rows.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from .course import Course
from .pipeline import SubmissionResult
from .verdict import CellVerdict


def fingerprint(course: Course, assignment: str, student: str, reference_key: str) -> str:
    digest = hashlib.sha256(reference_key.encode())
    folder = course.submitted / student / assignment
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.is_file() and not path.is_symlink():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _path(course: Course, result_or_key: SubmissionResult | tuple[str, str, str]) -> Path:
    if isinstance(result_or_key, SubmissionResult):
        student, assignment, notebook = result_or_key.student, result_or_key.assignment, result_or_key.notebook
    else:
        student, assignment, notebook = result_or_key
    return course.autograded / student / assignment / f"{notebook}.grade.json"


def save(course: Course, result: SubmissionResult, key: str | None) -> None:
    """Store ``result``; ``key=None`` keeps it for the grade table only (it is graded again next time)."""
    path = _path(course, result)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"fingerprint": key, "result": dataclasses.asdict(result)}))
    tmp.replace(path)


def load(course: Course, student: str, assignment: str, notebook: str, key: str) -> SubmissionResult | None:
    """The stored result when it was graded from exactly these files and this reference."""
    try:
        stored = json.loads(_path(course, (student, assignment, notebook)).read_text())
    except (OSError, ValueError):
        return None
    if stored.get("fingerprint") is None or stored.get("fingerprint") != key:
        return None
    return _result(stored["result"])


def _result(fields: dict) -> SubmissionResult:
    """A stored result; fields the current ``SubmissionResult`` does not have are dropped."""
    known = {f.name for f in dataclasses.fields(SubmissionResult)}
    fields = {k: v for k, v in fields.items() if k in known}
    fields["verdicts"] = {g: CellVerdict(**v) for g, v in fields.get("verdicts", {}).items()}
    return SubmissionResult(**fields)


def stored(course: Course, student: str, assignment: str, notebook: str) -> SubmissionResult | None:
    """The last result stored for this notebook, whatever it was graded from (for the grade table)."""
    try:
        return _result(json.loads(_path(course, (student, assignment, notebook)).read_text())["result"])
    except (OSError, ValueError, KeyError, TypeError):
        return None

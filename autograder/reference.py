"""The reference run: the instructor's solution through the same sandbox and hidden tests.

Its records are what students are compared with; which test cell wrote which record
comes from the runner's per-cell lines. The grader stores them (``records/``) and the
trace under ``autograder/reference/``, redone when the source notebook, ``dgm_utils``
or the runner change.

``DGM_REFERENCE_CACHE`` (a folder) shares reference runs between course copies on one
machine (the test suite sets it for its session): a run that passed is kept there under
its key and copied into any course whose key matches; one process runs it while the
others wait on a file lock.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import nbformat

import dgm_utils
from dgm_utils.grading import encode

from .course import Course
from .notebook import autograded_tests, reference_notebook
from .sandbox import RUNNER, Limits, run
from .verdict import Check, compare, load_reference, save_reference


class InstructorError(Exception):
    """The source notebook cannot serve as a reference (the batch stops: nothing is graded)."""


def reference_key(course: Course, assignment: str, notebook: str) -> str:
    """Changes whenever the source notebook, ``dgm_utils`` or the runner change."""
    digest = hashlib.sha256((course.solutions / assignment / f"{notebook}.ipynb").read_bytes())
    for path in sorted(Path(dgm_utils.__file__).parent.glob("*.py")) + [RUNNER]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


REFERENCE_SLACK = 10  # the reference runs with limits this many times the students' defaults: it never times out
STUDENT_FACTOR, CELL_FLOOR, NOTEBOOK_FLOOR = 5.0, 10.0, 60.0


def reference_limits(limits: Limits) -> Limits:
    return replace(limits, cell_seconds=limits.cell_seconds * REFERENCE_SLACK,
                   notebook_seconds=limits.notebook_seconds * REFERENCE_SLACK)


def student_limits(course: Course, assignment: str, notebook: str, limits: Limits) -> Limits:
    """The configured limits, raised where needed to 5x the reference's CPU time plus a floor.

    Per cell: the reference's costliest cell; per notebook: its total (CPU seconds).
    """
    trace_file = course.reference_cache / assignment / notebook / "cells.json"
    cumulative = [c["cpu"] for c in json.loads(trace_file.read_text()) if c.get("cpu") is not None]
    if not cumulative:
        return limits
    per_cell = [b - a for a, b in zip([0.0, *cumulative], cumulative)]
    return replace(limits, cell_seconds=max(limits.cell_seconds, STUDENT_FACTOR * max(per_cell) + CELL_FLOOR),
                   notebook_seconds=max(limits.notebook_seconds, STUDENT_FACTOR * cumulative[-1] + NOTEBOOK_FLOOR))


def as_records(check: Check) -> dict[str, dict]:
    """A check's own value as a record, to make sure the reference passes its own checks."""
    return {check.name: {"spec": None, "npy": encode(check.value)}}


SHARED_CACHE = "DGM_REFERENCE_CACHE"


@contextmanager
def shared_run(key: str):
    """The folder of ``key``'s shared run (None without ``DGM_REFERENCE_CACHE``), held under its lock."""
    root = os.environ.get(SHARED_CACHE)
    if not root:
        yield None
        return
    Path(root).mkdir(parents=True, exist_ok=True)
    with open(Path(root) / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield Path(root) / key


def run_reference(course: Course, assignment: str, notebook: str, limits: Limits, folder: Path) -> list[dict]:
    """Run the reference in ``folder / "job"``; store its records and return its trace (``cells.json``)."""
    nb = reference_notebook(course.source(assignment, notebook))
    result = run(nbformat.writes(nb), folder / "job", reference_limits(limits))
    if result.timed_out or not result.cells:
        raise InstructorError(f"the reference of {assignment}/{notebook} did not finish:\n{result.log_tail}")
    for cell in result.cells:
        save_reference(folder / "records", cell["records"])
    return [{"index": c["index"], "grade_id": c["grade_id"], "status": c["status"], "records": sorted(c["records"]),
             "duplicates": c["duplicates"], "cpu": c.get("cpu")} for c in result.cells]


def failures(trace: list[dict]) -> list[str]:
    """The cells of a reference run that failed or recorded a name twice."""
    failed = [f"cell {t['index']} ({t['grade_id']}): {t['status']}" for t in trace if t["status"] != "ok"]
    return failed + [f"cell {t['index']} ({t['grade_id']}): records {t['duplicates']} twice"
                     for t in trace if t["duplicates"]]


def reference_checks(course: Course, assignment: str, notebook: str, limits: Limits) -> dict[str, list[Check]]:
    """``grade_id -> checks`` of every autograded test cell, running the reference if needed."""
    folder = course.reference_cache / assignment / notebook
    key = reference_key(course, assignment, notebook)
    key_file = folder / "key.txt"
    trace_file = folder / "cells.json"
    if not (key_file.is_file() and key_file.read_text() == key):
        shutil.rmtree(folder, ignore_errors=True)
        folder.parent.mkdir(parents=True, exist_ok=True)
        with shared_run(key) as shared:
            if shared and shared.is_dir():
                shutil.copytree(shared, folder)
            else:
                trace = run_reference(course, assignment, notebook, limits, folder)
                trace_file.write_text(json.dumps(trace))
                key_file.write_text(key)
                if shared and not failures(trace):  # a failed run is not shared: the next grader runs it again
                    partial = shared.with_name(f"{key}.partial")
                    shutil.rmtree(partial, ignore_errors=True)
                    shutil.copytree(folder, partial, ignore=shutil.ignore_patterns("job", "job.log"))
                    partial.rename(shared)
    trace = json.loads(trace_file.read_text())
    failed = failures(trace)
    if failed:
        key_file.unlink()
        raise InstructorError(f"the reference of {assignment}/{notebook} has failing cells: {failed}")
    by_cell = {t["grade_id"]: t["records"] for t in trace if t["grade_id"]}
    tests = autograded_tests(course.source(assignment, notebook))
    empty = [grade_id for grade_id in tests if not by_cell.get(grade_id)]
    if empty:
        raise InstructorError(f"test cells without records (their points could never be earned): {empty}")
    checks = {grade_id: load_reference(folder / "records", by_cell[grade_id]) for grade_id in tests}
    own = [f"{c.name}: {why}" for cs in checks.values() for c in cs if (why := compare(c, as_records(c)))]
    if own:
        raise InstructorError(f"the reference fails its own checks: {own}")
    return checks

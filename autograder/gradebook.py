"""Grades into nbgrader's gradebook, the grade tables, and stock nbgrader commands."""
from __future__ import annotations

import csv
import functools
import os
import subprocess
import sys
import warnings
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import AssignLatePenalties
from sqlalchemy.exc import SAWarning
from traitlets.config.loader import PyFileConfigLoader

from .course import Course
from .pipeline import SubmissionResult

# nbgrader runs `alembic` from PATH when it creates a gradebook (in this process and in its
# commands): put this environment's scripts first, whether or not it was activated.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def submission_timestamp(course: Course, result: SubmissionResult) -> datetime | None:
    path = course.submitted / result.student / result.assignment / "timestamp.txt"
    try:
        return datetime.fromisoformat(path.read_text().strip()).astimezone(timezone.utc).replace(tzinfo=None)
    except (OSError, ValueError):
        return None


@functools.lru_cache(maxsize=None)
def nbgrader_config(root: Path):
    """The course's ``nbgrader_config.py``, read once per course (it configures late penalties)."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def store(course: Course, result: SubmissionResult) -> None:
    """Write one notebook's auto scores, flag and late penalty (nbgrader's plugin) to the gradebook."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own session use, harmless
        with Gradebook(course.db_url) as gb:
            gb.update_or_create_student(result.student)
            gb.update_or_create_submission(
                result.assignment, result.student, timestamp=submission_timestamp(course, result)
            )
            notebook = gb.find_submission_notebook(result.notebook, result.assignment, result.student)
            notebook.flagged = bool(result.flags)
            for grade in notebook.grades:
                verdict = result.verdicts.get(grade.name)
                if verdict is not None:
                    grade.auto_score = verdict.points
                    # as nbgrader's SaveAutoGrades: review only what a human graded before
                    grade.needs_manual_grade = grade.manual_score is not None
            gb.db.commit()
        late = AssignLatePenalties(config=nbgrader_config(course.root))
        late.preprocess(nbformat.v4.new_notebook(), {"nbgrader": {
            "notebook": result.notebook, "assignment": result.assignment, "student": result.student, "db_url": course.db_url,
        }})


def late_penalties(course: Course, results: list[SubmissionResult]) -> dict[tuple[str, str], float]:
    """``(student, assignment) -> penalty`` as nbgrader stored it."""
    penalties: dict[tuple[str, str], float] = defaultdict(float)
    with Gradebook(course.db_url) as gb:
        for r in results:
            notebook = gb.find_submission_notebook(r.notebook, r.assignment, r.student)
            penalties[r.student, r.assignment] += notebook.late_submission_penalty or 0.0
    return penalties


STATUS_ORDER = ("graded", "flagged", "failed")


def write_table(course: Course, path: Path, results: list[SubmissionResult]) -> None:
    """One row per student and assignment: points per test cell, late penalty, status, sandbox, reasons."""
    tests = sorted({g for r in results for g in r.verdicts})
    penalties = late_penalties(course, [r for r in results if r.status != "failed"])
    rows: dict[tuple[str, str], list[SubmissionResult]] = defaultdict(list)
    for r in results:
        rows[r.student, r.assignment].append(r)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "assignment", *tests, "raw_score", "late_penalty", "score", "max_score",
                         "status", "sandbox", "seconds", "reasons", "flags"])
        for (student, assignment), parts in sorted(rows.items()):
            per_test = {g: v.points for r in parts for g, v in r.verdicts.items()}
            raw = round(sum(r.points for r in parts), 2)
            penalty = penalties.get((student, assignment), 0.0)
            writer.writerow([
                student, assignment, *(per_test.get(g, "") for g in tests), raw, penalty, round(raw - penalty, 2),
                sum(r.max_points for r in parts), max((r.status for r in parts), key=STATUS_ORDER.index),
                "/".join(sorted({r.sandbox or "none" for r in parts})), round(sum(r.seconds for r in parts), 1),
                " | ".join(x for r in parts for x in r.reasons), " | ".join(x for r in parts for x in r.flags),
            ])


def format_table(results: list[SubmissionResult]) -> str:
    rows = [("student", "notebook", "points", "status", "reasons")]
    rows += [(r.student, r.notebook, f"{r.points:g}/{r.max_points:g}", r.status,
              "; ".join(r.reasons + r.flags[:1] + ([f"(+{len(r.flags) - 1} flags)"] if len(r.flags) > 1 else []))[:90])
             for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4] for row in rows]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def nbgrader(course: Course, *args: str) -> None:
    """Run a stock nbgrader command from the course root, on the course's gradebook."""
    command = [str(Path(sys.executable).with_name("nbgrader")), *args, "--log-level=WARN",
               f"--CourseDirectory.db_url={course.db_url}"]
    subprocess.run(command, cwd=course.root, check=True)

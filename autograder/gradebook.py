"""Grades into nbgrader's gradebook, the grade table, and nbgrader's own feedback and export."""
from __future__ import annotations

import csv
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from nbgrader.api import Gradebook

from .course import Course
from .pipeline import SubmissionResult


def submission_timestamp(course: Course, result: SubmissionResult) -> datetime | None:
    path = course.submitted / result.student / result.assignment / "timestamp.txt"
    try:
        return datetime.fromisoformat(path.read_text().strip()).astimezone(timezone.utc).replace(tzinfo=None)
    except (OSError, ValueError):
        return None


def store(course: Course, results: list[SubmissionResult]) -> None:
    """Write auto scores into the gradebook (the assignment must exist: ``release`` adds it)."""
    with Gradebook(course.db_url) as gb:
        for result in results:
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
            gb.db.commit()


COLUMNS = ["student", "assignment", "notebook", "points", "max_points", "status", "sandbox", "seconds", "reasons",
           "flags"]


def write_table(path: Path, results: list[SubmissionResult]) -> None:
    """One row per student and notebook, with the points of each test cell."""
    tests = sorted({g for r in results for g in r.verdicts})
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS[:5] + tests + COLUMNS[5:])
        for r in results:
            per_test = [r.verdicts[g].points if g in r.verdicts else "" for g in tests]
            writer.writerow([r.student, r.assignment, r.notebook, r.points, r.max_points, *per_test,
                             r.status, r.sandbox or "none", r.seconds, " | ".join(r.reasons),
                             " | ".join(r.flags)])


def format_table(results: list[SubmissionResult]) -> str:
    rows = [("student", "notebook", "points", "status", "reasons")]
    rows += [(r.student, r.notebook, f"{r.points:g}/{r.max_points:g}", r.status,
              "; ".join(r.reasons + r.flags[:1] + ([f"(+{len(r.flags) - 1} flags)"] if len(r.flags) > 1 else []))[:90])
             for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4] for row in rows]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def nbgrader(course: Course, *args: str) -> None:
    """Run a stock nbgrader command from the course root (its config maps our layout)."""
    subprocess.run([str(Path(sys.executable).with_name("nbgrader")), *args, "--log-level=WARN"], cwd=course.root, check=True)

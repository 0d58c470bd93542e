"""The grade table: every student and assignment in the gradebook, as it stands now.

The gradebook is the truth for points: the autograder's scores, a score typed in
formgrader (it replaces the autograder's), hand-graded cells (graded in formgrader
only), late penalties and flags. What only the autograder knows (status ``failed``
with the reason, sandbox, seconds, audit findings) comes from this run's results or,
for submissions graded earlier, from the ledger (``grade.json``). A run that grades
one assignment therefore rewrites ``grades.csv`` with every other assignment's rows
as they were.
"""
from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from . import ledger
from .course import Course
from .pipeline import SubmissionResult

GRADED, FLAGGED, MANUAL, FAILED = "graded", "flagged", "needs manual grading", "failed"
COLUMNS = ("raw_score", "late_penalty", "score", "max_score", "status", "sandbox", "seconds", "reasons", "flags")


@dataclass
class Row:
    """One student's grade for one assignment."""

    student: str
    assignment: str
    cells: dict[str, float | None] = field(default_factory=dict)  # None: a hand-graded cell not graded yet
    raw_score: float = 0.0
    late_penalty: float = 0.0
    max_score: float = 0.0
    status: str = GRADED
    sandbox: str = ""
    seconds: float = 0.0
    reasons: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(max(0.0, self.raw_score - self.late_penalty), 2)  # as nbgrader's export

    def values(self) -> list:
        return [self.raw_score, self.late_penalty, self.score, self.max_score, self.status, self.sandbox,
                self.seconds, " | ".join(self.reasons), " | ".join(self.flags)]


def status(needs_manual: bool, flagged: bool, results: list[SubmissionResult]) -> str:
    """``failed`` (the autograder could not grade it) before hand grading, before review of flags."""
    if any(r.status == FAILED for r in results):
        return FAILED
    return MANUAL if needs_manual else FLAGGED if flagged else GRADED


def _add_results(row: Row, results: list[SubmissionResult]) -> None:
    row.sandbox = "/".join(sorted({r.sandbox or "none" for r in results}))
    row.seconds = round(sum(r.seconds for r in results), 1)
    row.reasons = [x for r in results for x in r.reasons]
    row.flags = [x for r in results for x in r.flags]


def rows(course: Course, results: list[SubmissionResult] = ()) -> list[Row]:
    """Every submission in the gradebook, sorted by student and assignment; ``results`` are this run's.

    A result of this run that is not in the gradebook (storing it failed) gets a row too.
    """
    latest = {(r.student, r.assignment, r.notebook): r for r in results}
    table: dict[tuple[str, str], Row] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(course.db_url) as gb:
            for assignment in gb.assignments:
                for submission in assignment.submissions:
                    student = submission.student.id
                    row = Row(student, assignment.name, max_score=submission.max_score)
                    found, flagged = [], False
                    for notebook in submission.notebooks:
                        flagged |= bool(notebook.flagged)
                        row.late_penalty += notebook.late_submission_penalty or 0.0
                        for grade in notebook.grades:
                            pending = grade.needs_manual_grade and grade.manual_score is None \
                                and grade.auto_score is None
                            row.cells[grade.name] = None if pending else round(grade.score, 2)
                        key = (student, assignment.name, notebook.name)
                        result = latest.get(key) or ledger.stored(course, *key)
                        found += [result] if result else []
                    row.raw_score = round(submission.score, 2)
                    row.late_penalty = round(row.late_penalty, 2)
                    row.status = status(bool(submission.needs_manual_grade), flagged, found)
                    _add_results(row, found)
                    table[student, assignment.name] = row
    for (student, assignment, _), result in latest.items():
        if (student, assignment) not in table:  # graded, but the gradebook does not have it
            row = table[student, assignment] = Row(student, assignment, max_score=result.max_points, status=FAILED)
            _add_results(row, [result])
    return [table[key] for key in sorted(table)]


def write_csv(path: Path, table: list[Row]) -> None:
    """``grades.csv``: one row per student and assignment, a column per graded cell of any assignment."""
    cells = list(dict.fromkeys(name for row in table for name in row.cells))
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "assignment", *cells, *COLUMNS])
        for row in table:
            values = [row.cells.get(name, "") for name in cells]
            writer.writerow([row.student, row.assignment, *("" if v is None else v for v in values), *row.values()])


def format_table(table: list[Row]) -> str:
    """The table ``dgm-grade`` prints: points so far out of the maximum (hand-graded points included)."""
    lines = [("student", "assignment", "points", "status", "reasons")]
    for row in table:
        extra = row.flags[:1] + ([f"(+{len(row.flags) - 1} flags)"] if len(row.flags) > 1 else [])
        lines.append((row.student, row.assignment, f"{row.score:g}/{row.max_score:g}", row.status,
                      "; ".join(row.reasons + extra)[:90]))
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line[:4], widths)) + "  " + line[4] for line in lines]
    return "\n".join([text[0].rstrip(), "-" * len(text[0].rstrip()), *(t.rstrip() for t in text[1:])])

"""``nbgrader export`` for an LMS: nbgrader's CSV columns and scores, plus each grade's ``status``.

``nbgrader_config.py`` makes it nbgrader's exporter (``c.ExportApp.plugin_class``), so
``nbgrader export --to FILE.csv`` and ``dgm-grade``'s ``grades_nbgrader.csv`` both have it.
``status`` tells an LMS import which scores are final: ``needs manual grading`` (a
hand-graded cell is not graded yet in formgrader: ``score`` is the score so far,
``max_score`` includes the hand-graded points), ``flagged`` (review the audit's
findings), ``graded``, or ``not submitted``.
"""
from __future__ import annotations

import csv

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin

from .gradetable import status

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
           "raw_score", "late_submission_penalty", "score", "max_score", "status"]
NOT_SUBMITTED = "not submitted"


class LmsExportPlugin(ExportPlugin):
    """Every student for every assignment of the gradebook (a missing submission scores 0)."""

    def export(self, gradebook: Gradebook) -> None:
        students = [str(s) for s in self.student]
        assignments = [str(a) for a in self.assignment]
        with open(self.to or "grades.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, COLUMNS)
            writer.writeheader()
            for assignment in gradebook.assignments:
                if assignments and assignment.name not in assignments:
                    continue
                for student in gradebook.students:
                    if students and student.id not in students:
                        continue
                    row = {"assignment": assignment.name, "duedate": assignment.duedate or "",
                           "student_id": student.id, "last_name": student.last_name or "",
                           "first_name": student.first_name or "", "email": student.email or "",
                           "max_score": assignment.max_score}
                    try:
                        submission = gradebook.find_submission(assignment.name, student.id)
                    except MissingEntry:
                        row.update(timestamp="", raw_score=0.0, late_submission_penalty=0.0, score=0.0,
                                   status=NOT_SUBMITTED)
                    else:
                        penalty = submission.late_submission_penalty or 0.0
                        row.update(timestamp=submission.timestamp or "", raw_score=submission.score,
                                   late_submission_penalty=penalty, score=max(0.0, submission.score - penalty),
                                   status=status(bool(submission.needs_manual_grade),
                                                 any(nb.flagged for nb in submission.notebooks), []))
                    writer.writerow(row)

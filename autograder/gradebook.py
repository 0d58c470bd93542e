"""Grades into nbgrader's gradebook, what it holds, and stock nbgrader commands."""
from __future__ import annotations

import functools
import os
import subprocess
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import AssignLatePenalties
from sqlalchemy.exc import SAWarning
from traitlets.config.loader import PyFileConfigLoader

from .course import Course
from .notebook import autograded_tests
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


def registered(course: Course, assignment: str) -> bool:
    """Whether the gradebook has ``assignment`` with each of its notebooks and their graded cells."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(course.db_url) as gb:
            try:
                for name in course.notebooks(assignment):
                    cells = {cell.name for cell in gb.find_notebook(name, assignment).grade_cells}
                    if not set(autograded_tests(course.source(assignment, name))) <= cells:
                        return False
            except MissingEntry:
                return False
    return True


def submitted_students(course: Course, assignment: str) -> set[str]:
    """Students with a submission of ``assignment`` in the gradebook."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(course.db_url) as gb:
            try:
                return {s.student.id for s in gb.find_assignment(assignment).submissions}
            except MissingEntry:
                return set()


def nbgrader(course: Course, *args: str) -> None:
    """Run a stock nbgrader command from the course root, on the course's gradebook."""
    command = [str(Path(sys.executable).with_name("nbgrader")), *args, "--log-level=WARN",
               f"--CourseDirectory.db_url={course.db_url}"]
    subprocess.run(command, cwd=course.root, check=True)

"""One grader behind every button: nbgrader's autograde step (formgrader's Autograde button,
``nbgrader autograde``) runs the sandboxed pipeline, with its verdicts, gradebook and ledger.

The proof is a submission only the sandboxed grader fails: its ``cube`` passes the
visible test (``cube(2.0) == 8.0``) and is wrong everywhere else. Stock nbgrader runs the
hidden tests' ``record(...)`` calls, which assert nothing, and gives it the point.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import cli, ledger
from autograder.course import Course
from autograder.sandbox import Limits
from tests.toy import A, make_toy_course, toy_submission, write

pytestmark = pytest.mark.slow
ONLY_AT_TWO = "def cube(x):\n    return 8.0 if isinstance(x, float) else x * 0"


def nbgrader_autograde(course: Course, *args: str, stock: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("DGM_STOCK_AUTOGRADE", None)
    if stock:
        env["DGM_STOCK_AUTOGRADE"] = "1"
    return subprocess.run([str(Path(sys.executable).with_name("nbgrader")), "autograde", A, "--force", *args],
                          cwd=course.root, env=env, capture_output=True, text=True, timeout=600)


def cube_scores(course: Course) -> dict[str, float]:
    with Gradebook(course.db_url) as gb:
        return {s.student.id: gb.find_grade("test_cube", A, A, s.student.id).score
                for s in gb.assignment_submissions(A)}


def test_nbgrader_autograde_runs_the_sandboxed_grader(tmp_path):
    course = make_toy_course(tmp_path / "ours")
    write(course, "ann", toy_submission(course))
    write(course, "ben", toy_submission(course, cube=ONLY_AT_TWO))
    # As an instructor would: dgm-grade first (its caches fill the course's autograder/ folder, which
    # must not shadow the grader package nbgrader imports from nbgrader_config.py), then nbgrader.
    cli.grade(course, A, workers=1, limits=Limits(cell_seconds=60, notebook_seconds=300), students=["ann"])
    assert (course.reference_cache).is_dir()
    done = nbgrader_autograde(course)
    assert done.returncode == 0, done.stderr[-3000:]
    assert cube_scores(course) == {"ann": 1.0, "ben": 0.0}
    for student in ("ann", "ben"):
        graded = nbformat.read(course.autograded / student / A / f"{A}.ipynb", as_version=4)
        assert "Autograder:" in str([cell.get("outputs") for cell in graded.cells]), "not the pipeline's notebook"
        assert ledger.stored(course, student, A, A) is not None
    assert "ben" in (course.work / "grades.csv").read_text()
    export = subprocess.run([str(Path(sys.executable).with_name("nbgrader")), "export", "--to", "lms.csv"],
                            cwd=course.root, capture_output=True, text=True, timeout=300)
    assert export.returncode == 0 and "status" in (course.root / "lms.csv").read_text().splitlines()[0], export.stderr

    stock = make_toy_course(tmp_path / "stock")  # the same submission under stock nbgrader: full marks
    write(stock, "ben", toy_submission(stock, cube=ONLY_AT_TWO))
    done = nbgrader_autograde(stock, stock=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert cube_scores(stock) == {"ben": 1.0}

"""The instructor's workflow on the toy course: nothing lost, nothing blocked.

Two assignments graded one after the other keep both in ``grades.csv`` and in nbgrader's
export; a hand-graded cell shows as "needs manual grading" with its points in the
maximum until it is graded (as formgrader does), then as the final score; grading an
assignment that was never released releases it first; leftovers of a crashed run
(autograded folders without a grade, job folders) neither block nor change the next run.
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import cli
from autograder.course import Course
from autograder.pipeline import SubmissionResult
from tests.toy import A, WRONG_CUBE, make_toy_course, source_notebook, toy_submission, write

pytestmark = pytest.mark.slow
B = "00_toy_written"  # the toy assignment plus a hand-graded (written) answer worth 1 point
WRITTEN = "written_answer"
OPTIONS = ["--workers", "2", "--cell-timeout", "30", "--notebook-timeout", "120"]


def add_written_assignment(course: Course) -> None:
    """``B``'s source (not released): the toy notebook and a markdown answer graded by hand."""
    nb = source_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(
        "Explain why.\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", metadata={"nbgrader": {
            "schema_version": 3, "grade": True, "solution": True, "locked": False, "points": 1,
            "grade_id": WRITTEN}}))
    (course.solutions / B).mkdir()
    nbformat.write(nb, course.solutions / B / f"{B}.ipynb")


def written_submission(course: Course):
    """A right answer to ``B``: the toy answers and a written one (cells are matched by grade_id)."""
    nb = toy_submission(course)
    nb.cells.append(nbformat.v4.new_markdown_cell("Because it is.", metadata={"nbgrader": {
        "schema_version": 3, "grade": True, "solution": True, "locked": False, "points": 1, "grade_id": WRITTEN}}))
    return nb


def submit(course: Course, assignment: str, student: str, nb) -> None:
    folder = course.submitted / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{assignment}.ipynb")


def dgm_grade(course: Course, assignment: str, capsys) -> tuple[int, str]:
    """``dgm-grade grade ASSIGNMENT``: the exit code and what it printed (stdout, then stderr)."""
    code = cli.main(["grade", assignment, "--root", str(course.root), *OPTIONS])
    printed = capsys.readouterr()
    return code, printed.out + printed.err


def table(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(path, newline="") as handle:
        return {(row.get("student") or row["student_id"], row["assignment"]): row for row in csv.DictReader(handle)}


def table_or_empty(path: Path) -> dict:
    return table(path) if path.exists() else {}


@pytest.fixture
def course(tmp_path) -> Course:
    course = make_toy_course(tmp_path)
    add_written_assignment(course)
    return course


def test_two_assignments_stay_in_every_table_and_hand_graded_points_flow(course, capsys):
    write(course, "ann", toy_submission(course))
    write(course, "ben", toy_submission(course, cube=WRONG_CUBE))
    code, out = dgm_grade(course, A, capsys)
    assert code == 0, out
    assert set(table(course.work / "grades.csv")) == {("ann", A), ("ben", A)}

    # B was never released nor registered: grade releases (and registers) it before grading anything.
    assert not (course.release / B).exists()
    for student in ("ann", "cat"):
        submit(course, B, student, written_submission(course))
    code, out = dgm_grade(course, B, capsys)
    assert code == 0, out
    assert (course.release / B / f"{B}.ipynb").is_file()
    rows = table(course.work / "grades.csv")
    assert set(rows) == {("ann", A), ("ben", A), ("ann", B), ("cat", B)}, "grading B dropped A's rows"
    assert rows["ben", A]["score"] == "2.0" and rows["ann", A]["status"] == "graded"
    for student in ("ann", "cat"):
        row = rows[student, B]
        assert (row["score"], row["max_score"], row["status"]) == ("3.0", "4.0", "needs manual grading"), row
        assert row[WRITTEN] == "", "a hand-graded cell not graded yet has no score"
    assert "3/4" in out and "needs manual grading" in out, out
    export = table(course.work / "grades_nbgrader.csv")
    assert {k: (r["score"], r["max_score"], r["status"]) for k, r in export.items()} == {
        ("ann", A): ("3.0", "3.0", "graded"), ("ben", A): ("2.0", "3.0", "graded"),
        ("cat", A): ("0.0", "3.0", "not submitted"), ("ann", B): ("3.0", "4.0", "needs manual grading"),
        ("cat", B): ("3.0", "4.0", "needs manual grading"), ("ben", B): ("0.0", "4.0", "not submitted")}

    # The instructor grades ann's answer in formgrader (what its grade API does), then grades A again.
    with Gradebook(course.db_url) as gb:
        grade = gb.find_grade(WRITTEN, B, B, "ann")
        grade.manual_score, grade.needs_manual_grade = 1.0, False
        gb.db.commit()
    code, out = dgm_grade(course, A, capsys)
    assert code == 0 and "2 unchanged since last graded" in out, out
    rows, export = table(course.work / "grades.csv"), table(course.work / "grades_nbgrader.csv")
    assert (rows["ann", B]["score"], rows["ann", B]["status"], rows["ann", B][WRITTEN]) == ("4.0", "graded", "1.0")
    assert rows["cat", B]["status"] == "needs manual grading"
    assert (export["ann", B]["score"], export["ann", B]["status"]) == ("4.0", "graded")


def test_a_crashed_run_leaves_nothing_that_blocks_or_changes_the_next(course, capsys, monkeypatch):
    for student, answers in {"ann": {}, "ben": {"cube": WRONG_CUBE}, "cat": {}}.items():
        write(course, student, toy_submission(course, **answers))

    # A run that dies after its first grade, before storing it (as when the assignment was not
    # registered): its autograded folders are left without a grade in the gradebook.
    class Crash(BaseException):
        pass

    def crash(course, result):
        raise Crash

    monkeypatch.setattr(cli, "store", crash)
    with pytest.raises(Crash):
        cli.main(["grade", A, "--root", str(course.root), *OPTIONS])
    monkeypatch.undo()
    capsys.readouterr()
    orphans = sorted(p.parent.name for p in course.autograded.glob(f"*/{A}"))
    assert orphans and not table_or_empty(course.work / "grades.csv"), orphans
    # More leftovers: a student's autograded folder whose submission is gone, a job folder with junk.
    ghost = course.autograded / "zed" / A
    ghost.mkdir(parents=True)
    nbformat.write(toy_submission(course), ghost / f"{A}.ipynb")
    junk = course.jobs / A / "ben" / A
    (junk / "records").mkdir(parents=True, exist_ok=True)
    (junk / "records" / "cube_values.npy").write_bytes(b"not a record")
    (junk / f"{A}.ipynb").write_text("{ not a notebook")

    code, out = dgm_grade(course, A, capsys)
    assert code == 0, out
    assert not ghost.exists()
    rows = table(course.work / "grades.csv")
    assert {k: (r["score"], r["status"]) for k, r in rows.items()} == {
        ("ann", A): ("3.0", "graded"), ("ben", A): ("2.0", "graded"), ("cat", A): ("3.0", "graded")}
    for student in ("ann", "ben", "cat"):
        assert (course.feedback / student / A / f"{A}.html").is_file()
    assert not (course.feedback / "zed").exists()


def test_a_grade_the_gradebook_refuses_fails_with_the_reason_and_is_graded_again(tmp_path, monkeypatch):
    def refuse(course, result):
        raise RuntimeError("No such assignment")

    monkeypatch.setattr(cli, "store", refuse)
    saved = []
    monkeypatch.setattr(cli.ledger, "save", lambda *args: saved.append(args))
    result = SubmissionResult("ann", A, A, max_points=3.0)
    cli.store_and_record(Course(tmp_path), result, "fingerprint")
    assert result.status == "failed" and "not stored in the gradebook (RuntimeError: No such assignment)" in result.reasons
    assert not saved, "a grade that is not in the gradebook must not be skipped next time"


def test_bad_input_is_refused_with_a_clear_message(course, capsys):
    assert cli.main(["grade", "01_no_such", "--root", str(course.root)]) == 2
    assert "no such assignment" in capsys.readouterr().err
    assert cli.main(["collect", "01_no_such", str(course.root), "--root", str(course.root)]) == 2
    with pytest.raises(SystemExit) as exit_:
        cli.main(["grade", A, "--root", str(course.root / "autograder")])
    assert exit_.value.code == 2 and "not a course directory" in capsys.readouterr().err

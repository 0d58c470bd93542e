"""Grading at course scale: idempotent, resumable after SIGKILL, sharded over a shared PostgreSQL gradebook."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder import cli, pipeline
from autograder.course import Course
from autograder.sandbox import Limits
from tests.toy import A, WRONG_CUBE, WRONG_SQUARE, make_toy_course, toy_submission, write

pytestmark = pytest.mark.slow
LIMITS = Limits(cell_seconds=30, notebook_seconds=120)
ANSWERS = {"ann": {}, "ben": {"cube": WRONG_CUBE}, "cat": {"square": WRONG_SQUARE}, "dan": {},
           "eve": {"square": WRONG_SQUARE, "cube": WRONG_CUBE}, "fay": {}}
EXPECTED = {"ann": 3.0, "ben": 2.0, "cat": 1.0, "dan": 3.0, "eve": 0.0, "fay": 3.0}


def submit_all(course: Course) -> None:
    for student, answers in ANSWERS.items():
        write(course, student, toy_submission(course, **answers))
        (course.submitted / student / A / "timestamp.txt").write_text("2026-11-20T10:00:00+00:00")


def cli_command(course: Course, *args: str) -> list[str]:
    command = [sys.executable, "-m", "autograder.cli", *args, "--root", str(course.root)]
    return command + (["--db-url", course.database] if course.database else [])


def scores(course: Course) -> dict[str, float]:
    with Gradebook(course.db_url) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(A)}


def ledger_files(course: Course) -> dict[str, float]:
    return {p.parts[-3]: p.stat().st_mtime for p in course.autograded.glob(f"*/{A}/{A}.grade.json")}


def test_regrading_is_idempotent_and_resubmissions_are_regraded(tmp_path):
    course = make_toy_course(tmp_path)
    submit_all(course)
    first = {r.student: r.points for r in cli.grade(course, A, workers=2, limits=LIMITS)}
    assert first == EXPECTED and scores(course) == EXPECTED
    stamps = ledger_files(course)

    again = {r.student: r.points for r in cli.grade(course, A, workers=2, limits=LIMITS)}
    assert again == first and ledger_files(course) == stamps, "unchanged submissions were graded again"

    write(course, "cat", toy_submission(course))  # cat resubmits, now right
    (course.submitted / "cat" / A / "timestamp.txt").write_text("2026-11-21T10:00:00+00:00")
    third = {r.student: r.points for r in cli.grade(course, A, workers=2, limits=LIMITS)}
    assert third == {**EXPECTED, "cat": 3.0} and scores(course)["cat"] == 3.0
    changed = {s for s, t in ledger_files(course).items() if t != stamps[s]}
    assert changed == {"cat"}

    forced = {r.student: r.points for r in cli.grade(course, A, workers=2, limits=LIMITS, force=True)}
    assert forced == third, "grading the same files twice must give the same grades"


def test_a_grader_bug_on_one_submission_fails_it_alone(tmp_path, monkeypatch):
    course = make_toy_course(tmp_path)
    submit_all(course)
    audit = pipeline.audit

    def audit_that_breaks_on_cat(graded):
        if any("x + x" in cell.source for cell in graded.cells):
            raise RuntimeError("a bug in the grader")
        return audit(graded)

    monkeypatch.setattr(pipeline, "audit", audit_that_breaks_on_cat)
    results = {r.student: r for r in cli.grade(course, A, workers=2, limits=LIMITS)}
    broken = {s for s, answers in ANSWERS.items() if "square" in answers}
    for student, result in results.items():
        if student in broken:
            assert result.status == "failed" and result.points == 0, result
            assert "internal grader error" in result.reasons[0] and "a bug in the grader" in result.reasons[0]
        else:
            assert result.status == "graded" and result.points == EXPECTED[student]

    monkeypatch.setattr(pipeline, "audit", audit)  # the bug fixed: the next run grades only what it failed
    stamps = ledger_files(course)
    again = {r.student: r.points for r in cli.grade(course, A, workers=2, limits=LIMITS)}
    assert again == EXPECTED and set(ledger_files(course)) == set(ANSWERS)
    assert {s for s, t in ledger_files(course).items() if t != stamps.get(s)} == broken


def test_batch_killed_half_way_resumes_without_loss_or_double_count(tmp_path):
    course = make_toy_course(tmp_path)
    submit_all(course)
    process = subprocess.Popen(cli_command(course, "grade", A, "--workers", "1"), start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(ledger_files(course)) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = ledger_files(course)
    assert 2 <= len(finished) < len(ANSWERS), "the kill should land half way"

    rerun = subprocess.run(cli_command(course, "grade", A, "--workers", "2"), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"{len(finished)} unchanged since last graded" in rerun.stdout
    assert scores(course) == EXPECTED
    assert all(ledger_files(course)[s] == t for s, t in finished.items()), "finished grades were redone"
    with Gradebook(course.db_url) as gb:
        assert len(gb.assignment_submissions(A)) == len(ANSWERS)


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL server from Debian's packages, on a Unix socket."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bins:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: .ci/run installs it")
        pytest.skip("PostgreSQL server not installed (apt-get install postgresql)")
    bindir = bins[-1]
    home = Path(tempfile.mkdtemp(prefix="dgm-pg-"))
    home.chmod(0o755)
    shutil.chown(home, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_postgres, bindir / "initdb", "-D", home / "data", "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run([*as_postgres, bindir / "pg_ctl", "-D", home / "data", "-l", home / "log", "-w", "start",
                    "-o", f"-k {home} -p {port} -c listen_addresses=''"], check=True, capture_output=True)
    subprocess.run([*as_postgres, bindir / "createdb", "-h", home, "-p", str(port), "gradebook"], check=True)
    yield f"postgresql://postgres@/gradebook?host={home}&port={port}"
    subprocess.run([*as_postgres, bindir / "pg_ctl", "-D", home / "data", "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


def test_two_graders_share_a_postgresql_gradebook(tmp_path, postgres):
    """Two machines (two course folders) grade disjoint shards into one PostgreSQL gradebook at once."""
    machines = [make_toy_course(tmp_path / f"machine{i}", database=postgres) for i in range(2)]
    for course in machines:
        submit_all(course)
    graders = [subprocess.Popen(cli_command(course, "grade", A, "--workers", "1", "--shard", f"{i}/2"),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for i, course in enumerate(machines)]
    outputs = [grader.communicate(timeout=600)[0] for grader in graders]
    assert [g.returncode for g in graders] == [0, 0], outputs
    graded = [{p.parts[-3] for p in course.autograded.glob(f"*/{A}/{A}.grade.json")} for course in machines]
    assert not graded[0] & graded[1] and graded[0] | graded[1] == set(ANSWERS), graded
    assert scores(machines[0]) == EXPECTED
    export = tmp_path / "export.csv"
    subprocess.run([Path(sys.executable).with_name("nbgrader"), "export", "--to", export,
                    f"--CourseDirectory.db_url={postgres}"], cwd=machines[0].root, check=True, capture_output=True)
    assert sum(1 for _ in export.open()) == len(ANSWERS) + 1

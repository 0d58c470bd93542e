"""``dgm-grade``: release, collect, grade, and the demo that does all three.

    dgm-grade release [ASSIGNMENT ...]        regenerate course/ from solutions/ (nbgrader)
    dgm-grade collect ASSIGNMENT SOURCE       a folder or zip of notebooks into autograder/submitted/
    dgm-grade grade ASSIGNMENT [--workers N]  grade, store, feedback, export; exit 1 unless all graded
    dgm-grade demo                            release, collect the bundled samples, grade them all
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from .collect import collect
from .course import Course
from .gradebook import format_table, nbgrader, store, write_table
from .pipeline import SubmissionResult, grade_batch
from .reference import InstructorError, reference_checks
from .sandbox import Limits, sandbox_mode

NOT_SANDBOXED = "WARNING: bubblewrap (bwrap) not found: submissions run WITHOUT a sandbox (resource limits only)."


def release(course: Course, assignments: list[str]) -> None:
    for assignment in assignments or course.assignments():
        nbgrader(course, "generate_assignment", assignment, "--force")


def grade(course: Course, assignment: str, workers: int, limits: Limits) -> list[SubmissionResult]:
    """Grade every collected submission of ``assignment``; returns one result per notebook."""
    if sandbox_mode() == "none":
        print(NOT_SANDBOXED, file=sys.stderr)
    reference = {nb: reference_checks(course, assignment, nb, limits) for nb in course.notebooks(assignment)}
    students = course.students(assignment)
    start = time.monotonic()
    with tqdm(total=len(students) * len(reference), desc=f"grading {assignment}", unit="nb") as bar:
        results = grade_batch(course, assignment, students, reference, limits, workers, lambda _: bar.update())
    store(course, results)
    nbgrader(course, "generate_feedback", assignment, "--force")
    write_table(course.work / f"grades_{assignment}.csv", results)
    failed = sum(r.status == "failed" for r in results)
    flagged = sum(r.status == "flagged" for r in results)
    print(f"{assignment}: {len(results) - failed} graded ({flagged} flagged for review), {failed} failed, "
          f"{time.monotonic() - start:.0f} s")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dgm-grade", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("release").add_argument("assignments", nargs="*")
    p_collect = sub.add_parser("collect")
    p_collect.add_argument("assignment")
    p_collect.add_argument("source")
    for name in ("grade", "demo"):
        p = sub.add_parser(name)
        if name == "grade":
            p.add_argument("assignment")
        p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
        p.add_argument("--cell-timeout", type=int, default=Limits.cell_seconds)
        p.add_argument("--notebook-timeout", type=int, default=Limits.notebook_seconds)
    args = parser.parse_args(argv)
    course = Course()
    # nbgrader runs `alembic` from PATH when it creates a gradebook: make this environment's tools visible.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

    if args.command == "release":
        release(course, args.assignments)
        return 0
    if args.command == "collect":
        found = collect(course, args.assignment, Path(args.source))
        print(f"collected {len(found.students)} submissions", *found.rejected, sep="\n  ")
        return 0
    limits = Limits(cell_seconds=args.cell_timeout, notebook_seconds=args.notebook_timeout)
    assignments = [args.assignment] if args.command == "grade" else course.assignments()
    results: list[SubmissionResult] = []
    try:
        for assignment in assignments:
            if args.command == "demo":
                release(course, [assignment])
                collect(course, assignment, course.samples / assignment)
            results += grade(course, assignment, args.workers, limits)
    except InstructorError as error:
        print(f"instructor error: {error}", file=sys.stderr)
        return 2
    nbgrader(course, "export", "--to", str(course.work / "grades_nbgrader.csv"))
    write_table(course.work / "grades.csv", results)
    print(format_table(results))
    print(f"grades: {course.work / 'grades.csv'}; feedback: {course.feedback}")
    return 0 if all(r.status != "failed" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

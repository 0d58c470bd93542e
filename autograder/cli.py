"""``dgm-grade``: release, collect, grade, and the demo that does all three.

    dgm-grade release [ASSIGNMENT ...]        regenerate course/ from solutions/ (nbgrader)
    dgm-grade collect ASSIGNMENT SOURCE       a folder or zip of notebooks into autograder/submitted/
    dgm-grade grade ASSIGNMENT [options]      grade, store, feedback, export; exit 1 unless all graded
    dgm-grade demo                            release, collect the bundled samples, grade them all

``grade`` is resumable: a submission already graded from the same files is not graded
again (``--force`` regrades). ``--db-url postgresql://...`` grades into a shared
gradebook; ``--shard i/N`` takes the i-th of N disjoint shares of the students, so N
machines can grade one assignment together.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from . import ledger
from .collect import collect
from .course import Course
from .gradebook import format_table, nbgrader, store, write_table
from .pipeline import SubmissionResult, grade_batch
from .reference import InstructorError, reference_checks, reference_key
from .sandbox import Limits, sandbox_mode

NOT_SANDBOXED = "WARNING: bubblewrap (bwrap) not found: submissions run WITHOUT a sandbox (resource limits only)."


def release(course: Course, assignments: list[str]) -> None:
    for assignment in assignments or course.assignments():
        nbgrader(course, "generate_assignment", assignment, "--force")


def in_shard(student: str, shard: tuple[int, int]) -> bool:
    index, count = shard
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % count == index


def grade(
    course: Course, assignment: str, workers: int, limits: Limits,
    force: bool = False, shard: tuple[int, int] = (0, 1),
) -> list[SubmissionResult]:
    """Grade the collected submissions of ``assignment`` (one result per student and notebook)."""
    if sandbox_mode() == "none":
        print(NOT_SANDBOXED, file=sys.stderr)
    start = time.monotonic()
    notebooks = course.notebooks(assignment)
    reference = {nb: reference_checks(course, assignment, nb, limits) for nb in notebooks}
    keys = {nb: reference_key(course, assignment, nb) for nb in notebooks}
    done, todo = [], []
    for student in (s for s in course.students(assignment) if in_shard(s, shard)):
        for nb in notebooks:
            key = ledger.fingerprint(course, assignment, student, keys[nb])
            stored = None if force else ledger.load(course, student, assignment, nb, key)
            (done.append(stored) if stored else todo.append((student, nb, key)))
    fingerprints = {(s, nb): key for s, nb, key in todo}

    with tqdm(total=len(todo), desc=f"grading {assignment}", unit="nb") as bar:
        def finish(result: SubmissionResult) -> None:
            store(course, result)
            if not result.internal_error:  # else the next run grades it again
                ledger.save(course, result, fingerprints[result.student, result.notebook])
            bar.update()

        graded = grade_batch(course, assignment, [(s, nb) for s, nb, _ in todo], reference, limits, workers, finish)
    if graded:
        nbgrader(course, "generate_feedback", assignment, "--force")
    results = sorted(done + graded, key=lambda r: (r.student, r.notebook))
    count = {status: sum(r.status == status for r in graded) for status in ("graded", "flagged", "failed")}
    print(f"{assignment}: {count['graded']} graded, {count['flagged']} flagged for review, {count['failed']} failed, "
          f"{len(done)} unchanged since last graded; {time.monotonic() - start:.0f} s")
    return results


def parse_shard(text: str) -> tuple[int, int]:
    index, count = (int(x) for x in text.split("/"))
    if not 0 <= index < count:
        raise argparse.ArgumentTypeError("--shard i/N needs 0 <= i < N")
    return index, count


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
            p.add_argument("--force", action="store_true", help="regrade submissions graded before")
            p.add_argument("--shard", type=parse_shard, default=(0, 1), metavar="i/N")
        p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
        p.add_argument("--cell-timeout", type=int, default=Limits.cell_seconds)
        p.add_argument("--notebook-timeout", type=int, default=Limits.notebook_seconds)
    for p in sub.choices.values():
        p.add_argument("--db-url", default=None, help="SQLAlchemy URL of the gradebook (default: SQLite)")
        p.add_argument("--root", type=Path, default=Course.root, help="the course directory (default: this checkout)")
    args = parser.parse_args(argv)
    course = Course(args.root.resolve(), database=args.db_url)

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
            results += grade(course, assignment, args.workers, limits,
                             force=getattr(args, "force", False), shard=getattr(args, "shard", (0, 1)))
    except InstructorError as error:
        print(f"instructor error: {error}", file=sys.stderr)
        return 2
    nbgrader(course, "export", "--to", str(course.work / "grades_nbgrader.csv"))
    write_table(course, course.work / "grades.csv", results)
    print(format_table(results))
    print(f"grades: {course.work / 'grades.csv'} (nbgrader's export: grades_nbgrader.csv); feedback: {course.feedback}")
    return 0 if all(r.status != "failed" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

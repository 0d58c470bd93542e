"""``dgm-grade``: release, collect, grade, and the demo that does all three.

    dgm-grade release [ASSIGNMENT ...]        regenerate course/ from solutions/ (nbgrader)
    dgm-grade collect ASSIGNMENT SOURCE       a folder or zip of notebooks, or nbgrader's exchange root,
                                              into autograder/submitted/
    dgm-grade release-feedback ASSIGNMENT EXCHANGE   the graded feedback into nbgrader's exchange
    dgm-grade grade ASSIGNMENT [options]      grade, store, feedback, export; exit 1 unless all graded
    dgm-grade demo                            release, collect the bundled samples, grade them all

``grade`` is resumable: a submission already graded from the same files is not graded
again (``--force`` regrades). ``--db-url postgresql://...`` grades into a shared
gradebook; ``--shard i/N`` takes the i-th of N disjoint shares of the students, so N
machines can grade one assignment together; ``--scheduler tcp://HOST:PORT`` grades each
submission as a task on a Dask cluster instead (``docs/cluster.md``).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Collection

from tqdm.auto import tqdm

from . import ledger
from .collect import collect
from .course import Course
from .exchange import release_feedback
from .gradebook import nbgrader, registered, store, submitted_students
from .gradetable import format_table, rows, write_csv
from .pipeline import SubmissionResult, grade_batch
from .reference import InstructorError, reference_checks, reference_key
from .sandbox import Limits, sandbox_mode

NOT_SANDBOXED = "WARNING: bubblewrap (bwrap) not found: submissions run WITHOUT a sandbox (resource limits only)."


class UsageError(Exception):
    """Bad input from the command line: the message says what to do (exit code 2)."""


class FeedbackError(Exception):
    """Every grade is stored, but nbgrader could not write the feedback (exit code 1)."""

    def __init__(self, message: str, results: list[SubmissionResult]):
        super().__init__(message)
        self.results = results


def check_known(course: Course, assignments: list[str]) -> None:
    """Raise ``UsageError`` unless every one of ``assignments`` has a source in ``solutions/``."""
    unknown = sorted(set(assignments) - set(course.assignments()))
    if unknown:
        raise UsageError(f"no such assignment in {course.solutions}: {', '.join(unknown)} "
                         f"(known: {', '.join(course.assignments()) or 'none'})")


def release(course: Course, assignments: list[str]) -> None:
    """``course/`` from ``solutions/`` and the assignments registered in the gradebook (nbgrader)."""
    check_known(course, assignments)
    for assignment in assignments or course.assignments():
        nbgrader(course, "generate_assignment", assignment, "--force")


def in_shard(student: str, shard: tuple[int, int]) -> bool:
    index, count = shard
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % count == index


def remove_orphans(course: Course, assignment: str) -> list[str]:
    """Delete autograded folders the gradebook has no submission for (left by a crashed run).

    nbgrader's feedback step fails on them, and their notebooks were never graded into the
    gradebook: the submission is graded again. Returns the students whose folder went.
    """
    known = submitted_students(course, assignment)
    orphans = sorted(p for p in course.autograded.glob(f"*/{assignment}") if p.parent.name not in known)
    for folder in orphans:
        shutil.rmtree(folder)
    return [p.parent.name for p in orphans]


def prepare(course: Course, assignment: str) -> None:
    """Before anything runs: ``assignment`` exists, is released and in the gradebook; no leftovers."""
    check_known(course, [assignment])
    released = all((course.release / assignment / f"{nb}.ipynb").is_file() for nb in course.notebooks(assignment))
    if not (released and registered(course, assignment)):
        print(f"{assignment} is not released and registered in the gradebook yet: releasing it "
              "(dgm-grade release, i.e. nbgrader generate_assignment)", file=sys.stderr)
        release(course, [assignment])
    orphans = remove_orphans(course, assignment)
    if orphans:
        print(f"{assignment}: removed the autograded folders of an interrupted run, to be graded again: "
              f"{', '.join(orphans)}", file=sys.stderr)


def store_and_record(course: Course, result: SubmissionResult, fingerprint: str | None) -> None:
    """Store one result in the gradebook, then in the ledger; a result that cannot be stored fails."""
    try:
        store(course, result)
    except Exception as error:  # the gradebook refused it: say so, and grade it again next time
        result.status = "failed"
        result.reasons.append(f"not stored in the gradebook ({type(error).__name__}: {error})")
        return
    ledger.save(course, result, None if result.internal_error else fingerprint)


def grade(
    course: Course, assignment: str, workers: int, limits: Limits,
    force: bool = False, shard: tuple[int, int] = (0, 1), students: list[str] | None = None,
    notebooks: list[str] | None = None, feedback: bool = True, scheduler: str | None = None,
    stop_at_first_loss: Collection[str] = (), figures: bool = True,
) -> list[SubmissionResult]:
    """Grade the collected submissions of ``assignment`` (one result per student and notebook).

    ``students`` and ``notebooks`` limit the batch to these; ``feedback=False`` skips
    nbgrader's feedback step; ``scheduler`` (``tcp://host:port``) grades each submission as a
    task on that Dask cluster instead of ``workers`` threads here. Each grade is stored as it
    comes. Raises ``FeedbackError`` (after everything is stored) when nbgrader's feedback step fails.
    The students in ``stop_at_first_loss`` (the grading proofs' mutants) are graded up to
    their first lost point only; ``figures=False`` draws no figure (the grading proofs: only
    the grade counts). Both are graded again by the next run.
    """
    stopping = frozenset(stop_at_first_loss)
    if scheduler and (stopping or not figures):
        raise ValueError("stop_at_first_loss and figures=False are for local batches: a cluster grades every submission "
                         "whole, with its figures")
    batch = partial(grade_batch, workers=workers, stop_at_first_loss=stopping, figures=figures)
    if scheduler:
        from .cluster import batch_on  # Dask is imported on this path only
        batch = batch_on(scheduler)  # an unreachable scheduler stops the run here, before anything is written
    prepare(course, assignment)
    if sandbox_mode() == "none":
        print(NOT_SANDBOXED, file=sys.stderr)
    start = time.monotonic()
    notebooks = [nb for nb in course.notebooks(assignment) if notebooks is None or nb in notebooks]
    reference = {nb: reference_checks(course, assignment, nb, limits) for nb in notebooks}
    keys = {nb: reference_key(course, assignment, nb) for nb in notebooks}
    wanted = course.students(assignment) if students is None else students
    done, todo = [], []
    for student in (s for s in wanted if in_shard(s, shard)):
        for nb in notebooks:
            key = ledger.fingerprint(course, assignment, student, keys[nb])
            stored = None if force else ledger.load(course, student, assignment, nb, key)
            (done.append(stored) if stored else todo.append((student, nb, key)))
    fingerprints = {(s, nb): key for s, nb, key in todo}

    with tqdm(total=len(todo), desc=f"grading {assignment}", unit="nb") as bar:
        def finish(result: SubmissionResult) -> None:
            partial_run = result.student in stopping or not figures  # never taken as up to date
            store_and_record(course, result, None if partial_run else fingerprints[result.student, result.notebook])
            bar.update()

        graded = batch(course, assignment, [(s, nb) for s, nb, _ in todo], reference, limits, on_result=finish)
    results = sorted(done + graded, key=lambda r: (r.student, r.notebook))
    count = {status: sum(r.status == status for r in graded) for status in ("graded", "flagged", "failed")}
    print(f"{assignment}: {count['graded']} graded, {count['flagged']} flagged for review, {count['failed']} failed, "
          f"{len(done)} unchanged since last graded; {time.monotonic() - start:.0f} s")
    for result in graded:
        if result.status == "failed":  # the instructor sees which and why without opening the gradebook
            print(f"  failed: {result.student}/{result.notebook}: {'; '.join(result.reasons)}", file=sys.stderr)
    if feedback and any(r.status != "failed" for r in graded):  # a failed one has no notebook to give feedback on
        remove_orphans(course, assignment)  # a result the gradebook refused: no feedback without a grade
        try:
            nbgrader(course, "generate_feedback", assignment, "--force")
        except subprocess.CalledProcessError as error:
            raise FeedbackError(f"{assignment}: every grade is stored, but nbgrader generate_feedback failed "
                                f"(exit code {error.returncode}); run it again after fixing the cause", results)
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
    p_feedback = sub.add_parser("release-feedback")
    p_feedback.add_argument("assignment")
    p_feedback.add_argument("exchange", type=Path)
    for name in ("grade", "demo"):
        p = sub.add_parser(name)
        if name == "grade":
            p.add_argument("assignment")
            p.add_argument("--force", action="store_true", help="regrade submissions graded before")
            p.add_argument("--shard", type=parse_shard, default=(0, 1), metavar="i/N")
            p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                           help="grade on this Dask scheduler's workers (docs/cluster.md); default: --workers threads here")
        p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
        p.add_argument("--cell-timeout", type=int, default=Limits.cell_seconds)
        p.add_argument("--notebook-timeout", type=int, default=Limits.notebook_seconds)
    for p in sub.choices.values():
        p.add_argument("--db-url", default=None, help="SQLAlchemy URL of the gradebook (default: SQLite)")
        p.add_argument("--root", type=Path, default=Course.root, help="the course directory (default: this checkout)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not (root / "solutions").is_dir():
        parser.error(f"{root} is not a course directory (it has no solutions/ folder); see --root")
    try:
        return run(args, Course(root, database=args.db_url))
    except (UsageError, ConnectionError) as error:  # ConnectionError: the Dask scheduler of --scheduler
        print(f"dgm-grade {args.command}: {error}", file=sys.stderr)
        return 2
    except InstructorError as error:
        print(f"instructor error: {error}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace, course: Course) -> int:
    """One parsed ``dgm-grade`` command; the exit code."""
    if args.command == "release":
        release(course, args.assignments)
        return 0
    if args.command == "collect":
        check_known(course, [args.assignment])
        found = collect(course, args.assignment, Path(args.source))
        print(f"collected {len(found.students)} submissions", *found.rejected, sep="\n  ")
        return 0
    if args.command == "release-feedback":
        check_known(course, [args.assignment])
        students = release_feedback(course, args.assignment, args.exchange)
        print(f"feedback released to {args.exchange} for {len(students)} students: {', '.join(students)}")
        return 0
    limits = Limits(cell_seconds=args.cell_timeout, notebook_seconds=args.notebook_timeout)
    assignments = [args.assignment] if args.command == "grade" else course.assignments()
    results: list[SubmissionResult] = []
    complete = True
    for assignment in assignments:
        if args.command == "demo":
            release(course, [assignment])
            collect(course, assignment, course.samples / assignment)
        try:
            results += grade(course, assignment, args.workers, limits, force=getattr(args, "force", False),
                             shard=getattr(args, "shard", (0, 1)), scheduler=getattr(args, "scheduler", None))
        except FeedbackError as error:
            print(error, file=sys.stderr)
            results += error.results
            complete = False
    exported = report(course, results, assignments)
    return 0 if complete and exported and all(r.status != "failed" for r in results) else 1


def report(course: Course, results: list[SubmissionResult], assignments: list[str]) -> bool:
    """Write ``grades.csv`` and nbgrader's export (everything in the gradebook); print this run's rows.

    False when nbgrader's export failed (``grades.csv`` is written all the same)."""
    table = rows(course, results)
    write_csv(course.work / "grades.csv", table)
    print(format_table([row for row in table if row.assignment in assignments]))
    try:
        nbgrader(course, "export", "--to", str(course.work / "grades_nbgrader.csv"))
    except subprocess.CalledProcessError as error:
        print(f"nbgrader export failed (exit code {error.returncode}); grades.csv is complete", file=sys.stderr)
        return False
    print(f"grades: {course.work / 'grades.csv'} (nbgrader's export: grades_nbgrader.csv); feedback: {course.feedback}")
    return True


if __name__ == "__main__":
    sys.exit(main())

"""Grading on a Dask cluster: each submission one task, every result stored by this process as it comes.

``dgm-grade grade ASSIGNMENT --scheduler tcp://HOST:PORT`` sends each submission to the
Dask scheduler at that address as one task. A task carries everything grading needs:
the trusted source and release notebooks, the reference's trace and records (computed
once, here, and shared by the tasks of a notebook) and the student's submitted files,
so workers need no shared disk, only the same installation of this package. A worker
grades it exactly as the local path does (``pipeline.grade_submission``: its own
sandbox, the same limits and verdict code) in a temporary course folder, and returns
the result with the feedback notebook; this process writes both, so the gradebook is
written from one place, once per submission, and an interrupted batch resumes as
without Dask.

Recovery is Dask's: the tasks of a worker that dies are rescheduled on the others; a
task whose workers died more than the scheduler's ``distributed.scheduler.allowed-failures``
times (1 in ``docs/cluster.md``: two in a row) fails with ``KilledWorker``, and its
submission is failed with that reason and graded again by the next run.
"""
from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from distributed import CancelledError, Client, KilledWorker, as_completed, get_worker

from .course import Course
from .notebook import autograded_tests
from .pipeline import INTERNAL_ERROR, SubmissionResult, failed, grade_submission
from .reference import reference_key
from .sandbox import Limits
from .verdict import Check

CONNECT_SECONDS = 5


@dataclass(frozen=True)
class NotebookSpec:
    """What the tasks of one notebook share, as the grading machine has it."""

    assignment: str
    notebook: str
    source: bytes                      # solutions/<a>/<nb>.ipynb
    released: bytes                    # course/<a>/<nb>.ipynb
    trace: bytes                       # the reference run's cells.json (the students' time limits)
    reference_key: str                 # a worker's dgm_utils and runner must give the same
    checks: dict[str, list[Check]]     # the reference's records, per test cell


@dataclass
class Graded:
    """One task's answer: the result, the feedback notebook (None when nothing ran) and who graded it."""

    result: SubmissionResult
    feedback: bytes | None
    worker: str


def grade_task(spec: NotebookSpec, student: str, files: dict[str, bytes], limits: Limits) -> Graded:
    """On a worker: grade one submission as the local path does, in a temporary course folder."""
    worker = get_worker().address
    with tempfile.TemporaryDirectory(prefix="dgm-grade-") as folder:
        course = Course(Path(folder))
        a, nb = spec.assignment, spec.notebook
        written = {course.solutions / a / f"{nb}.ipynb": spec.source, course.release / a / f"{nb}.ipynb": spec.released,
                   course.reference_cache / a / nb / "cells.json": spec.trace}
        written |= {course.submitted / student / a / name: data for name, data in files.items()}
        for path, data in written.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if reference_key(course, a, nb) != spec.reference_key:
            raise RuntimeError(f"the Dask worker {worker} has another dgm_utils or runner than the grading machine: "
                               "install the same checkout on every worker")
        result = grade_submission(course, a, student, nb, spec.checks, limits)
        feedback = course.autograded / student / a / f"{nb}.ipynb"
        return Graded(result, feedback.read_bytes() if feedback.is_file() else None, worker)


def connect(address: str) -> Client:
    """A client of the scheduler at ``address``; ``ConnectionError`` within seconds when it cannot be reached."""
    try:
        return Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, ValueError) as error:
        raise ConnectionError(f"cannot reach the Dask scheduler at {address} ({error}). Start it (dask scheduler, "
                              "docs/cluster.md) or leave --scheduler out to grade on this machine.") from None


def batch_on(address: str) -> Callable[..., list[SubmissionResult]]:
    """``pipeline.grade_batch`` for the cluster at ``address`` (without ``workers``: the cluster has them).

    Connects once now, so that an unreachable scheduler stops a run before it writes anything.
    """
    connect(address).close()
    return partial(grade_batch, address)


def notebook_spec(course: Course, assignment: str, notebook: str, checks: dict[str, list[Check]]) -> NotebookSpec:
    """The shared part of a notebook's tasks (the reference must have run: ``reference_checks``)."""
    return NotebookSpec(assignment, notebook, (course.solutions / assignment / f"{notebook}.ipynb").read_bytes(),
                        (course.release / assignment / f"{notebook}.ipynb").read_bytes(),
                        (course.reference_cache / assignment / notebook / "cells.json").read_bytes(),
                        reference_key(course, assignment, notebook), checks)


def submitted_files(course: Course, assignment: str, student: str) -> dict[str, bytes]:
    """The student's submitted files (as the fingerprint reads them: regular files, no links)."""
    folder = course.submitted / student / assignment
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.is_symlink()}


def grade_batch(
    address: str, course: Course, assignment: str, jobs: list[tuple[str, str]],
    reference: dict[str, dict[str, list[Check]]], limits: Limits, on_result=None,
) -> list[SubmissionResult]:
    """Grade every ``(student, notebook)`` job as a task on the cluster at ``address``.

    ``on_result`` runs in this thread for each result as it comes, after its feedback
    notebook is written (store it there). Workers that died while grading are reported
    on standard error with the submissions that moved and where they were graded.
    """
    results, where = [], {}
    with connect(address) as client:
        specs = {}
        for nb in sorted({nb for _, nb in jobs}):
            # built by a task, not scattered: the scheduler builds it again if every worker holding it dies
            specs[nb] = client.submit(NotebookSpec, **vars(notebook_spec(course, assignment, nb, reference[nb])), pure=False)
        futures = {client.submit(grade_task, specs[nb], s, submitted_files(course, assignment, s), limits, pure=False): (s, nb)
                   for s, nb in jobs}
        for future in as_completed(futures, loop=client.loop):
            student, notebook = futures[future]
            try:
                graded = future.result()
            except CancelledError:  # the scheduler is gone: no zero is stored for what was not graded
                raise ConnectionError(f"lost the Dask scheduler at {address}: every grade received so far is stored; "
                                      "run the command again to grade the rest") from None
            except KilledWorker as error:
                result = internal_failure(course, assignment, student, notebook, (
                    f"the Dask workers grading it died {error.allowed_failures + 1} times, last "
                    f"{error.last_worker.address}; graded again by the next run"))
            except Exception as error:  # a bug of the grader's or a worker's set-up: the batch goes on
                result = internal_failure(course, assignment, student, notebook,
                                          f"{type(error).__name__}: {error}; tell the instructor")
            else:
                result, where[student, notebook] = graded.result, graded.worker
                if graded.feedback is not None:
                    out = course.autograded / student / assignment / f"{notebook}.ipynb"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(graded.feedback)
            results.append(result)
            if on_result:
                on_result(result)
        report_lost_workers(client.get_events("all"), {f.key: job for f, job in futures.items()}, where)
    return sorted(results, key=lambda r: (r.student, r.notebook))


def internal_failure(course: Course, assignment: str, student: str, notebook: str, why: str) -> SubmissionResult:
    """Zero with the reason, as an internal error: the ledger keeps no fingerprint, the next run grades it again."""
    points = autograded_tests(course.source(assignment, notebook))
    return failed(student, assignment, notebook, points, f"{INTERNAL_ERROR} ({why})")


def report_lost_workers(events: list[tuple[float, dict]], jobs: dict[str, tuple[str, str]],
                        where: dict[tuple[str, str], str]) -> None:
    """Print each worker that died while grading this batch's submissions, and where those were graded."""
    for _, event in events:
        if event.get("action") != "remove-worker" or event.get("expected"):
            continue
        moved = [jobs[key] for key in sorted(event.get("processing-tasks", ()), key=str) if key in jobs]
        if moved:
            print(f"Dask worker {event['worker']} was lost while grading "
                  + ", ".join(f"{s}/{nb} (then {'graded on ' + where[s, nb] if (s, nb) in where else 'failed'})"
                              for s, nb in moved), file=sys.stderr)

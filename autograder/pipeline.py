"""Grade one submission, then a batch: prepare, run in the sandbox, judge, store.

Each step is a small function; the batch runs submissions in a pool of workers (each
one sandbox process) and writes grades from this process only.
"""
from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .audit import audit
from .course import Course
from .notebook import (
    SubmissionError, autograded_tests, build_graded_notebook, grade_id, read_notebook,
)
from .sandbox import Limits, run
from .verdict import CellVerdict, Check, judge


INTERNAL_ERROR = "internal grader error"


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    notebook: str
    status: str = "graded"
    reasons: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    verdicts: dict[str, CellVerdict] = field(default_factory=dict)
    max_points: float = 0.0
    sandbox: str = ""
    seconds: float = 0.0
    executing_seconds: float = 0.0
    peak_memory_mb: float | None = None

    @property
    def internal_error(self) -> bool:
        """Failed through a bug of the grader's, not the submission: grade it again next time."""
        return self.status == "failed" and bool(self.reasons) and self.reasons[0].startswith(INTERNAL_ERROR)

    @property
    def points(self) -> float:
        return round(sum(v.points for v in self.verdicts.values()), 2)


def find_submission(course: Course, assignment: str, student: str, notebook: str) -> Path:
    folder = course.submitted / student / assignment
    path = folder / f"{notebook}.ipynb"
    if path.is_file() and not path.is_symlink():
        return path
    found = sorted(p.name for p in folder.glob("*.ipynb"))
    raise SubmissionError(f"expected {notebook}.ipynb, found {found or 'no notebook'}")


def run_reasons(trace: list[dict], timed_out: bool, limits: Limits) -> list[str]:
    """What went wrong while running, as the student should read it."""
    reasons = [f"cell {t['index']}: {t['status']}" for t in trace if t.get("status") in ("timeout", "kernel died")]
    if timed_out:
        reasons.append(f"the notebook time limit ({limits.notebook_seconds} s) was reached; later cells did not run")
    return reasons


def feedback_notebook(graded: NotebookNode, cells: list[dict], verdicts: dict[str, CellVerdict]) -> NotebookNode:
    """The trusted notebook with the outputs the runner reported and each verdict appended."""
    outputs = {c["index"]: c.get("outputs") for c in cells}
    for index, cell in enumerate(graded.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        for output in outputs.get(index) or []:
            try:
                cell.outputs.append(nbformat.from_dict(output))
                nbformat.validate(cell.outputs[-1], ref="output", version=4, version_minor=5)
            except Exception:  # not a valid output: drop it, the verdict does not depend on it
                cell.outputs.pop()
        verdict = verdicts.get(grade_id(cell))
        if verdict:
            cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=verdict.summary() + "\n"))
    return graded


def failed(student: str, assignment: str, notebook: str, points: dict[str, float], reason: str) -> SubmissionResult:
    """Zero on every test cell, with the reason."""
    return SubmissionResult(student, assignment, notebook, status="failed", reasons=[reason],
                            verdicts={g: CellVerdict(g, p) for g, p in points.items()}, max_points=sum(points.values()))


def grade_submission(
    course: Course, assignment: str, student: str, notebook: str,
    reference: dict[str, list[Check]], limits: Limits,
) -> SubmissionResult:
    """Grade one student's notebook; never raises for anything the submission contains."""
    source = course.source(assignment, notebook)
    points = autograded_tests(source)
    result = SubmissionResult(student, assignment, notebook, max_points=sum(points.values()))
    job = course.jobs / assignment / student / notebook
    shutil.rmtree(job, ignore_errors=True)
    try:
        submitted = read_notebook(find_submission(course, assignment, student, notebook))
    except SubmissionError as error:
        return failed(student, assignment, notebook, points, str(error))
    graded = build_graded_notebook(submitted, source, course.released(assignment, notebook))
    result.flags = audit(graded, source)
    if result.flags:
        result.status = "flagged"
    ran = run(nbformat.writes(graded), job, course.root, limits)
    result.sandbox, result.seconds = ran.mode, round(ran.seconds, 1)
    result.executing_seconds = round(sum(float(c.get("seconds", 0)) for c in ran.cells), 1)
    result.peak_memory_mb = round(ran.peak_memory / 2**20, 1) if ran.peak_memory else None
    result.reasons = run_reasons(ran.cells, ran.timed_out, limits)
    if not ran.cells and not ran.timed_out:
        result.reasons.append(f"the notebook did not start (exit code {ran.exit_code})")
    result.verdicts = judge(reference, points, job / "records")
    out = course.autograded / student / assignment
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(feedback_notebook(graded, ran.cells, result.verdicts), out / f"{notebook}.ipynb")
    return result


def grade_batch(
    course: Course, assignment: str, jobs: list[tuple[str, str]], reference: dict[str, dict[str, list[Check]]],
    limits: Limits, workers: int, on_result=None,
) -> list[SubmissionResult]:
    """Grade every ``(student, notebook)`` job with ``workers`` sandboxes at once.

    ``on_result`` runs in this thread for each result as it comes (store it there: a
    batch killed half way then keeps every grade it finished).
    """
    results = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {
            pool.submit(grade_submission, course, assignment, s, nb, reference[nb], limits): (s, nb) for s, nb in jobs
        }
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as error:  # a bug of the grader's: this submission fails, the batch goes on
                student, notebook = futures[future]
                result = failed(student, assignment, notebook, autograded_tests(course.source(assignment, notebook)),
                                f"{INTERNAL_ERROR} ({type(error).__name__}: {error}); tell the instructor")
            results.append(result)
            if on_result:
                on_result(result)
    return sorted(results, key=lambda r: (r.student, r.notebook))

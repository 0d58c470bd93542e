"""Grade one submission, then a batch: prepare, run in the sandbox, judge, store.

Each step is a small function; the batch runs submissions in a pool of workers (each
one sandbox process) and writes grades from this process only.
"""
from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Collection

import nbformat
from nbformat import NotebookNode

from .audit import audit
from .course import Course
from .notebook import (
    SubmissionError, autograded_tests, build_graded_notebook, grade_id, is_students, read_notebook,
)
from .reference import student_limits
from .sandbox import Limits, RunResult, run
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


SAFE_MIME = ("text/plain", "image/png", "image/jpeg")  # what a returned notebook may show of the student's outputs
MATH = re.compile(r"(\$\$.+?\$\$|\$[^$\n]+?\$)", re.DOTALL)
LINK_DEFINITION = re.compile(r"^(\s{0,3}\[[^\]]*\]):", re.MULTILINE)


def run_reasons(ran: RunResult, limits: Limits, code_cells: list[int]) -> list[str]:
    """What went wrong while running, as the student should read it."""
    stops = ("timeout", "kernel died", "notebook limit", "process limit")
    reasons = [f"cell {c['index']}: {c['status']}" for c in ran.cells if c.get("status") in stops]
    if any(c.get("status") == "notebook limit" for c in ran.cells):
        reasons.append(f"the notebook's time limit ({limits.notebook_seconds:g} CPU seconds) was reached; "
                       "later cells did not run")
    if ran.timed_out:
        reasons.append(f"the notebook's wall-clock limit ({limits.wall(limits.notebook_seconds)} s) was reached; "
                       "later cells did not run")
    elif ran.overflow:
        reasons.append(f"the run sent more than {limits.result_bytes // 2**20} MB to the grader and was stopped")
    elif ran.stopped and ran.cells[-1]["index"] != code_cells[-1]:
        reasons.append(f"graded up to its first lost point only (cell {ran.cells[-1]['index']}): later cells did not run")
    elif not ran.cells or (ran.cells[-1]["index"] != code_cells[-1] and ran.cells[-1].get("status") not in stops):
        where = f"after cell {ran.cells[-1]['index']}" if ran.cells else "in the first code cell"
        reasons.append(f"the run stopped {where} (exit code {ran.exit_code}: a crash of the sandbox, "
                       "e.g. a fork bomb or a memory bomb); later cells did not run")
    return reasons


def run_flags(ran: RunResult) -> list[str]:
    """Signs of tampering with the way records travel (the values concerned earn nothing)."""
    flags = []
    if ran.unsigned_lines:
        flags.append(f"wrote {ran.unsigned_lines} line(s) into the grader's result channel (ignored)")
    if ran.overflow:
        flags.append("flooded the grader's result channel")
    stray = max((c.get("stray", 0) for c in ran.cells if isinstance(c.get("stray"), int)), default=0)
    if stray:
        flags.append(f"sent {stray} record(s) outside a hidden test (ignored)")
    for cell in ran.cells:
        if cell.get("duplicates"):
            flags.append(f"cell {cell['index']}: recorded {sorted(set(map(str, cell['duplicates'])))} more than once "
                         "in a hidden test (those checks fail)")
    return flags


def limit_notice(status: str, limits: Limits) -> str | None:
    """Plain words at the cell where a limit stopped the run."""
    if status in ("timeout", "notebook limit"):
        which = (f"the notebook's time limit ({limits.notebook_seconds:g} CPU seconds in all)" if status == "notebook limit"
                 else f"the time limit ({limits.cell_seconds:g} CPU seconds per cell)")
        return (f"Grader: this cell was stopped by {which}. Errors after this point (KeyboardInterrupt, NameError) "
                "follow from the stop. Check for an endless loop or for training far longer than the fast mode asks.")
    if status == "process limit":
        return (f"Grader: this cell started {max(8, limits.processes // 2)} processes or more (a fork bomb?): the kernel "
                "was stopped with all of them, and the cells after it did not run.")
    if status == "kernel died":
        return (f"Grader: the Python kernel died in this cell (a crash, os._exit, or more than the memory limit of "
                f"{limits.memory_bytes / 2**30:g} GB); the cells after it did not run.")
    return None


def safe_output(output: dict) -> dict:
    """An output of the student's run with only inert content: text and bitmaps, never HTML or scripts."""
    if not isinstance(output, dict):
        raise ValueError("not an output")
    if output.get("output_type") in ("display_data", "execute_result"):
        data = {k: v for k, v in (output.get("data") or {}).items() if k in SAFE_MIME}
        if not data:
            raise ValueError("nothing safe to show")
        output = {**output, "data": data, "metadata": {}}
    return output


def safe_markdown(text: str) -> str:
    """The student's markdown with raw HTML shown as text and no link of theirs left (maths kept as written).

    Outside ``$...$`` and ``$$...$$``: ``<`` and ``>`` escaped, ``](`` and link definitions
    broken; nbconvert escapes what is inside the maths itself.
    """
    parts = MATH.split(text)
    for i in range(0, len(parts), 2):  # even parts are outside the maths
        plain = parts[i].replace("<", "&lt;").replace(">", "&gt;").replace("](", "]\\(")
        parts[i] = LINK_DEFINITION.sub(r"\1\\:", plain)
    return "".join(parts)


def feedback_notebook(graded: NotebookNode, ran: RunResult, verdicts: dict[str, CellVerdict],
                      limits: Limits) -> NotebookNode:
    """What goes back to the student and to formgrader: the visible notebook, safe outputs, verdicts, limits.

    Hidden tests (``metadata.dgm``) are dropped; the student's markdown and outputs are
    made inert (no HTML, no script); a cell stopped by a limit says so in plain words.
    """
    lines = {c["index"]: c for c in ran.cells}
    for index, cell in enumerate(graded.cells):
        if cell.cell_type == "markdown" and is_students(cell):
            cell.source = safe_markdown(cell.source)
        cell.metadata.pop("dgm", None)
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        line = lines.get(index, {})
        for output in line.get("outputs") or []:
            try:
                safe = nbformat.from_dict(safe_output(output))
                nbformat.validate(safe, ref="output", version=4, version_minor=5)
            except Exception:  # not a valid or not a safe output: dropped, the verdict does not depend on it
                continue
            cell.outputs.append(safe)
        notice = limit_notice(str(line.get("status")), limits)
        verdict = verdicts.get(grade_id(cell))
        for text in (notice, verdict.summary() if verdict else None):
            if text:
                cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=text + "\n"))
    return graded


def failed(student: str, assignment: str, notebook: str, points: dict[str, float], reason: str) -> SubmissionResult:
    """Zero on every test cell, with the reason."""
    return SubmissionResult(student, assignment, notebook, status="failed", reasons=[reason],
                            verdicts={g: CellVerdict(g, p) for g, p in points.items()}, max_points=sum(points.values()))


def first_loss(reference: dict[str, list[Check]], points: dict[str, float]) -> Callable[[dict], bool]:
    """Whether a cell's line, as it comes from the run, already loses points.

    A test cell's verdict depends on its own line only (``judge``), so a run stopped there
    scores below full marks exactly as the whole run would.
    """
    def loses(line: dict) -> bool:
        grade_id = line.get("grade_id")
        return grade_id in points and bool(judge(reference, {grade_id: points[grade_id]}, [line])[grade_id].failures)
    return loses


def grade_submission(
    course: Course, assignment: str, student: str, notebook: str,
    reference: dict[str, list[Check]], limits: Limits, stop_at_first_loss: bool = False, figures: bool = True,
) -> SubmissionResult:
    """Grade one student's notebook; never raises for anything the submission contains.

    ``stop_at_first_loss`` ends the run at the first test cell that loses points (the
    grading proofs' mutants: that they lose is all there is to show); the cells after it
    score zero. ``figures=False`` draws no figure (the stored notebook shows each as its
    text): the same grade for less CPU time, where only the grade is wanted.
    """
    source = course.source(assignment, notebook)
    points = autograded_tests(source)
    limits = student_limits(course, assignment, notebook, limits)
    result = SubmissionResult(student, assignment, notebook, max_points=sum(points.values()))
    job = course.jobs / assignment / student / notebook
    shutil.rmtree(job, ignore_errors=True)
    try:
        submitted = read_notebook(find_submission(course, assignment, student, notebook))
    except SubmissionError as error:
        return failed(student, assignment, notebook, points, str(error))
    graded = build_graded_notebook(submitted, source, course.released(assignment, notebook))
    result.flags = audit(graded)
    ran = run(nbformat.writes(graded), job, limits, stop=first_loss(reference, points) if stop_at_first_loss else None,
              figures=figures)
    if not ran.started:  # the sandbox or its kernel failed before any code of the student's ran: not theirs to lose
        return failed(student, assignment, notebook, points,
                      f"{INTERNAL_ERROR}: the sandbox's kernel did not start (exit code {ran.exit_code}; "
                      f"{ran.log_tail.strip()[-300:] or 'no log'}); it is graded again on the next run")
    result.sandbox, result.seconds = ran.mode, round(ran.seconds, 1)
    result.executing_seconds = round(sum(float(c.get("seconds", 0)) for c in ran.cells), 1)
    result.peak_memory_mb = round(ran.peak_memory / 2**20, 1) if ran.peak_memory else None
    code_cells = [i for i, cell in enumerate(graded.cells) if cell.cell_type == "code"]
    result.reasons = run_reasons(ran, limits, code_cells)
    result.flags += run_flags(ran)
    if result.flags:
        result.status = "flagged"
    result.verdicts = judge(reference, points, ran.cells)
    out = course.autograded / student / assignment
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(feedback_notebook(graded, ran, result.verdicts, limits), out / f"{notebook}.ipynb")
    return result


def grade_batch(
    course: Course, assignment: str, jobs: list[tuple[str, str]], reference: dict[str, dict[str, list[Check]]],
    limits: Limits, workers: int, on_result=None, stop_at_first_loss: Collection[str] = (), figures: bool = True,
) -> list[SubmissionResult]:
    """Grade every ``(student, notebook)`` job with ``workers`` sandboxes at once.

    ``on_result`` runs in this thread for each result as it comes (store it there: a
    batch killed half way then keeps every grade it finished). The students in
    ``stop_at_first_loss`` are graded up to their first lost point only; ``figures=False``
    draws no figure (see ``grade_submission``).
    """
    results = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {
            pool.submit(grade_submission, course, assignment, s, nb, reference[nb], limits, s in stop_at_first_loss,
                        figures): (s, nb)
            for s, nb in jobs
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

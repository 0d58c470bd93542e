"""Submissions made from the reference: full marks, mutants, the untouched release; a course copy."""
from __future__ import annotations

import functools
import importlib
import shutil
from contextlib import contextmanager
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import psutil
from nbformat import NotebookNode

from autograder.course import REPO, Course
from autograder.notebook import grade_id, is_solution, strip_markers
from autograder.sandbox import Limits
from tests import alternatives
from tests.alternatives import Alternative
from tests.mutants import Mutant, apply


def mutants_of(assignment: str) -> list[Mutant]:
    """The catalogue ``tests/mutants/m{assignment}.py`` of an assignment."""
    return importlib.import_module(f"tests.mutants.m{assignment}").MUTANTS


def alternatives_of(assignment: str) -> tuple[list[Alternative], dict[str, str]]:
    """The catalogue ``tests/alternatives/a{assignment}.py``: its alternatives and its ``KNOWN_UNFAIR`` (name -> why)."""
    module = importlib.import_module(f"tests.alternatives.a{assignment}")
    return module.ALTERNATIVES, getattr(module, "KNOWN_UNFAIR", {})


def answer_sheet(course: Course, assignment: str, notebook: str) -> dict[str, str]:
    """``grade_id -> source`` of the reference's solution cells, as a student would write them."""
    return {
        grade_id(cell): strip_markers(cell.source)
        for cell in course.source(assignment, notebook).cells
        if is_solution(cell)
    }


def submission(course: Course, assignment: str, notebook: str, answers: dict[str, str]) -> NotebookNode:
    """The release notebook with ``answers`` (``grade_id -> source``) typed into its solution cells."""
    nb = course.released(assignment, notebook)
    for cell in nb.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return nb


def mutated_answers(course: Course, assignment: str, notebook: str, mutants: list[Mutant]) -> dict[str, str]:
    answers = answer_sheet(course, assignment, notebook)
    for mutant in mutants:
        answers[mutant.cell] = apply(mutant, answers[mutant.cell])
    return answers


def alternative_answers(course: Course, assignment: str, notebook: str, *pack: Alternative) -> dict[str, str]:
    """The reference's answer sheet with each alternative of ``pack`` written into its cells."""
    return functools.reduce(lambda answers, alternative: alternatives.apply(alternative, answers), pack,
                            answer_sheet(course, assignment, notebook))


def copy_course(target: Path) -> Course:
    """A private copy of the course (sources, release, samples, nbgrader config) for a test."""
    for name in ("solutions", "course", "autograder/samples"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, target / name)
    (target / "autograder").mkdir(exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", target)
    return Course(target)


SAMPLE_LIMITS = Limits(cell_seconds=10, notebook_seconds=300)
"""The samples' limits, raised for each notebook by its reference (5x its costliest cell + 10 s per cell: what the
endless loop of ``loops_forever`` burns)."""


def grade_samples(root: Path, assignment: str) -> tuple[Course, dict]:
    """A course copy under ``root`` where the bundled samples of ``assignment`` were collected and graded with
    ``SAMPLE_LIMITS``, with feedback: ``(course, student -> result)``."""
    from autograder import cli
    from autograder.collect import collect
    from autograder.gradebook import nbgrader

    course = copy_course(root)
    nbgrader(course, "generate_assignment", assignment, "--force")
    collect(course, assignment, course.samples / assignment)
    results = cli.grade(course, assignment, workers=2, limits=SAMPLE_LIMITS)
    assert {r.student for r in results} == {p.stem for p in (course.samples / assignment).glob("*.ipynb")}
    return course, {r.student: r for r in results}


def copy_graded(course: Course, target: Path) -> Course:
    """A copy of a graded course: its gradebook, grades and feedback included (the ledger's fingerprints hold no
    path, so what was graded there counts as graded here)."""
    shutil.copytree(course.root, target)
    return Course(target)


def write_submissions(course: Course, assignment: str, notebooks: dict[str, NotebookNode]) -> None:
    """Place ``student -> notebook`` directly into the submitted tree."""
    name = course.notebooks(assignment)[0]
    for student, nb in notebooks.items():
        folder = course.submitted / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{name}.ipynb")


STUCK = 1200
"""Seconds after which a wait on an event (a page element, a server answering) counts as stuck. Far beyond any
run time seen on a loaded machine: a test must not fail because the host is slow."""


def wait_for_server(process: subprocess.Popen, url: str, log: Path, name: str) -> None:
    """Return once ``url`` answers; fail with the log's tail if ``process`` exits first or stays silent ``STUCK`` s."""
    deadline = time.monotonic() + STUCK
    while True:
        assert process.poll() is None, f"{name} exited:\n{log.read_text()[-3000:]}"
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except OSError:
            assert time.monotonic() < deadline, f"{name} did not answer in {STUCK} s:\n{log.read_text()[-3000:]}"
            time.sleep(0.5)


def stop_server(process: subprocess.Popen, grace: float = 30) -> None:
    """SIGTERM (a server shuts its kernels or user servers down), then kill whatever of its tree is left."""
    try:
        tree = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    _, alive = psutil.wait_procs(tree, timeout=15)
    for child in alive:
        child.kill()
    psutil.wait_procs(alive, timeout=5)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SECONDS = 1000  # Playwright counts milliseconds


@contextmanager
def chromium():
    """Debian's Chromium driven by Playwright (its own browser download is not used), closed at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=STUCK * SECONDS)
        try:
            yield browser
        finally:
            browser.close()

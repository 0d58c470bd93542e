"""Submissions made from the reference: full marks, mutants, the untouched release; a course copy."""
from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.course import REPO, Course
from autograder.notebook import grade_id, is_solution, strip_markers
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


def alternative_answers(course: Course, assignment: str, notebook: str, alternative: Alternative) -> dict[str, str]:
    """The reference's answer sheet with ``alternative`` written into its cells."""
    return alternatives.apply(alternative, answer_sheet(course, assignment, notebook))


def copy_course(target: Path) -> Course:
    """A private copy of the course (sources, release, samples, nbgrader config) for a test."""
    for name in ("solutions", "course", "autograder/samples"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, target / name)
    (target / "autograder").mkdir(exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", target)
    return Course(target)


def write_submissions(course: Course, assignment: str, notebooks: dict[str, NotebookNode]) -> None:
    """Place ``student -> notebook`` directly into the submitted tree."""
    name = course.notebooks(assignment)[0]
    for student, nb in notebooks.items():
        folder = course.submitted / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{name}.ipynb")

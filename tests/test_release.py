"""course/ is exactly what nbgrader generates from solutions/, and leaks nothing."""
import json

import nbformat
import pytest

from autograder.course import Course
from autograder.gradebook import nbgrader
from autograder.notebook import MARKER
from tests.make_samples import samples

COURSE = Course()
NOTEBOOKS = [(a, nb) for a in COURSE.assignments() for nb in COURSE.notebooks(a)]


def as_json(path):
    return json.loads(path.read_text())


@pytest.mark.slow
def test_release_is_generated_not_edited(course_copy):
    for assignment in course_copy.assignments():
        nbgrader(course_copy, "generate_assignment", assignment, "--force")
    for assignment, notebook in NOTEBOOKS:
        path = f"{assignment}/{notebook}.ipynb"
        assert as_json(course_copy.release / path) == as_json(COURSE.release / path), f"course/{path} is stale: make release"


@pytest.mark.parametrize("assignment, notebook", NOTEBOOKS)
def test_release_leaks_no_solution_and_no_hidden_test(assignment, notebook):
    source = COURSE.source(assignment, notebook)
    released = COURSE.released(assignment, notebook)
    text = "\n".join(cell.source for cell in released.cells)
    assert not any(MARKER.match(line) for line in text.split("\n"))
    assert "record(" not in text, "hidden tests leaked into the release"
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            body = cell.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0].strip()
            assert body not in text


@pytest.mark.parametrize("assignment, notebook", NOTEBOOKS)
def test_notebooks_are_stored_without_outputs(assignment, notebook):
    for nb in (COURSE.source(assignment, notebook), COURSE.released(assignment, notebook)):
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("assignment", COURSE.assignments())
def test_bundled_samples_are_current(assignment):
    for student, nb in samples(COURSE, assignment).items():
        stored = nbformat.read(COURSE.samples / assignment / f"{student}.ipynb", as_version=4)
        assert stored == nb, f"autograder/samples/{assignment}/{student}.ipynb is stale: make samples"

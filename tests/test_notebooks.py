"""Every release notebook fails only in its stubs.

That every solutions notebook and every sample full-marks submission runs top to bottom
is nbval's job (``make test``: ``pytest --nbval-lax solutions autograder/samples/*/full_marks.ipynb``
with ``DGM_FAST=1``); a release notebook cannot pass nbval, so it is checked here.
"""
import pytest
from nbclient import NotebookClient

from autograder.course import Course
from autograder.notebook import nbgrader_meta

COURSE = Course()
NOTEBOOKS = [(a, nb) for a in COURSE.assignments() for nb in COURSE.notebooks(a)]


def execute(nb, cwd):
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return [(i, out) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.outputs if out.output_type == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("assignment, notebook", NOTEBOOKS)
def test_release_fails_only_in_graded_cells_with_not_implemented(assignment, notebook, tmp_path):
    nb = COURSE.released(assignment, notebook)
    errors = execute(nb, tmp_path)
    assert errors, "the stubs should raise NotImplementedError somewhere"
    for index, error in errors:
        meta = nbgrader_meta(nb.cells[index])
        assert meta.get("grade") or meta.get("solution"), f"cell {index} is not graded but failed: {error.evalue}"
        assert error.ename == "NotImplementedError", f"cell {index}: {error.ename}: {error.evalue}"

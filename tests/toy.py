"""A small course (one assignment, two tasks, 3 points) for the grader's own tests."""
from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import nbformat

from autograder.course import REPO, Course
from autograder.gradebook import nbgrader

v4 = nbformat.v4
A = "00_toy"

# numpy only: a sandboxed run of the toy costs about a second of CPU, where importing torch would add about 1.4 s
SETUP = "import numpy as np\nfrom dgm_utils.grading import record"
SQUARE = "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"
SQUARE_TEST = """x = np.array([[1.0, 2.0]])
np.testing.assert_equal(square(x).shape, (1, 2), err_msg="square(x) should keep the shape of x")
assert np.allclose(square(np.array([2.0])), [4.0]), "square(2) should be 4"
np.testing.assert_allclose(square(np.array([-1.0])), [1.0])
assert abs(square(-2.0) - 4.0) < 1e-9
### BEGIN HIDDEN TESTS
record("square_values", square(np.linspace(-2, 2, 5)))
record("square_of_half", square(np.array(0.5)), low=0.2, high=0.3)
### END HIDDEN TESTS"""
CUBE = "def cube(x):\n    ### BEGIN SOLUTION\n    return x ** 3\n    ### END SOLUTION"
CUBE_TEST = "assert cube(2.0) == 8.0\n### BEGIN HIDDEN TESTS\nrecord('cube_values', cube(np.arange(4.0)))\n### END HIDDEN TESTS"

RIGHT_SQUARE, WRONG_SQUARE = "def square(x):\n    return x * x", "def square(x):\n    return x + x"
RIGHT_CUBE, WRONG_CUBE = "def cube(x):\n    return x ** 3", "def cube(x):\n    return x ** 2"


def meta(**fields):
    return {"nbgrader": {"schema_version": 3, **fields}}


def source_notebook():
    return v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}, cells=[
        v4.new_markdown_cell("# A toy assignment"),
        v4.new_code_cell(SETUP, metadata=meta(grade=False, solution=False, locked=True, grade_id="setup")),
        v4.new_code_cell(SQUARE, metadata=meta(grade=False, solution=True, locked=False, grade_id="square_solution")),
        v4.new_code_cell(SQUARE_TEST, metadata=meta(grade=True, solution=False, locked=True, grade_id="test_square", points=2)),
        v4.new_code_cell(CUBE, metadata=meta(grade=False, solution=True, locked=False, grade_id="cube_solution")),
        v4.new_code_cell(CUBE_TEST, metadata=meta(grade=True, solution=False, locked=True, grade_id="test_cube", points=1)),
    ])


def make_toy_course(root: Path, database: str | None = None) -> Course:
    """The toy source, the nbgrader config and the release under ``root``, registered in the gradebook.

    With the default SQLite gradebook: a copy of the course released once per process (nbgrader's release costs
    seconds of CPU; the copy is the same files).
    """
    if database is None:
        shutil.copytree(released_toy(), root, dirs_exist_ok=True)
        return Course(root)
    return release_toy(root, database)


def release_toy(root: Path, database: str | None) -> Course:
    (root / "solutions" / A).mkdir(parents=True)
    (root / "autograder").mkdir()
    nbformat.write(source_notebook(), root / "solutions" / A / f"{A}.ipynb")
    shutil.copy(REPO / "nbgrader_config.py", root)
    course = Course(root, database)
    nbgrader(course, "generate_assignment", A, "--force")
    return course


@functools.cache
def released_toy() -> Path:
    """The toy course released into its SQLite gradebook, in a folder removed when this process ends."""
    root = Path(tempfile.mkdtemp(prefix="dgm-toy-"))
    atexit.register(shutil.rmtree, root, True)
    return release_toy(root / "course", None).root


def toy_submission(course: Course, square: str = RIGHT_SQUARE, cube: str = RIGHT_CUBE, tags: bool = False):
    """The release with these answers typed in (and every cell tagged, if ``tags``)."""
    nb = course.released(A, A)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.source = {"square_solution": square, "cube_solution": cube}.get(gid, cell.source)
        if tags:
            cell.metadata["tags"] = ["skip-execution", "raises-exception", "nbval-skip"]
    return nb


def write(course: Course, student: str, nb) -> None:
    folder = course.submitted / student / A
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{A}.ipynb")

"""Reference runs shared between course copies (``DGM_REFERENCE_CACHE``): one run per key, a changed notebook runs."""
import nbformat
import pytest

from autograder.reference import reference_checks
from autograder.sandbox import Limits
from tests.toy import A, make_toy_course

pytestmark = pytest.mark.slow
LIMITS = Limits(cell_seconds=20, notebook_seconds=150)


def checks(course) -> dict[str, list[str]]:
    return {cell: sorted(c.name for c in found) for cell, found in reference_checks(course, A, A, LIMITS).items()}


def ran(course) -> bool:
    """Whether this course's reference was run here (its job folder), not copied from the shared cache."""
    return (course.reference_cache / A / A / "job").is_dir()


def test_one_run_per_key_shared_by_course_copies(tmp_path, monkeypatch):
    monkeypatch.setenv("DGM_REFERENCE_CACHE", str(tmp_path / "shared"))
    first, second, changed = (make_toy_course(tmp_path / name) for name in ("first", "second", "changed"))
    expected = {"test_square": ["square_of_half", "square_values"], "test_cube": ["cube_values"]}
    assert checks(first) == expected and ran(first)
    assert checks(second) == expected and not ran(second)
    key = [(course.reference_cache / A / A / "key.txt").read_text() for course in (first, second)]
    assert key[0] == key[1]

    source = changed.solutions / A / f"{A}.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[-1].source = nb.cells[-1].source.replace("np.arange(4.0)", "np.arange(5.0)")
    nbformat.write(nb, source)
    assert checks(changed) == expected and ran(changed)

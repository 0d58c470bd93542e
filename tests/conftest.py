import os
import shutil
import tempfile

import pytest

# Notebooks run in their fast mode under test, as in the grader.
os.environ["DGM_FAST"] = "1"


def pytest_configure(config):
    """Markers; one reference run per notebook for the session, xdist workers included (they inherit the variable).

    Reference runs are shared by key (``autograder/reference.py``): a changed notebook, ``dgm_utils`` or runner is run
    again. A folder set beforehand is used as it is and kept.
    """
    config.addinivalue_line("markers", "heavy: among the longest tests (minutes of CPU): its module starts first")
    if "DGM_REFERENCE_CACHE" not in os.environ:
        config.reference_cache = os.environ["DGM_REFERENCE_CACHE"] = tempfile.mkdtemp(prefix="dgm-reference-")


@pytest.hookimpl(trylast=True)  # after xdist's own hook
def pytest_collection_modifyitems(config, items):
    """Longest first, so the two xdist workers end together on short tests: modules with a ``heavy`` test, then those
    with a ``slow`` one, then the rest; a module's tests stay together (its module-scoped fixtures are built once).

    ``--dist loadgroup --no-loadscope-reorder`` sends tests in this order, an ``xdist_group`` as one unit where its
    first test is.
    """
    rank = {}
    for item in items:
        own = 0 if item.get_closest_marker("heavy") else 1 if item.get_closest_marker("slow") else 2
        rank[item.path] = min(rank.get(item.path, 2), own)
    items.sort(key=lambda item: rank[item.path])
    if getattr(config.option, "loadgroup", False):  # an xdist worker under --dist loadgroup
        for item in items:
            name_groups(item)


def name_groups(item) -> None:
    """``nodeid@group`` for a test marked ``xdist_group``: how the loadgroup scheduler finds groups.

    pytest-xdist 3.8 writes it into ``item._nodeid``, which pytest 9 no longer reads (node ids are structured,
    ``item._id``): every group was split over the workers, its module fixtures built on each (pytest-xdist#1386).
    """
    groups = sorted({mark.args[0] if mark.args else mark.kwargs.get("name", "default")
                     for mark in item.iter_markers("xdist_group")})
    if groups and "@" not in item.nodeid.rpartition("]")[2] and hasattr(item, "_id"):
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


def pytest_unconfigure(config):
    if getattr(config, "reference_cache", None):
        shutil.rmtree(config.reference_cache, ignore_errors=True)


@pytest.fixture(scope="session")
def graded_samples(tmp_path_factory):
    """The first assignment's bundled samples graded in a course copy (``tests.support.grade_samples``), once per
    worker. Its tests change a copy only (``copy_graded``) and share the xdist group ``"browser"``: one grading per run.
    """
    from autograder.course import Course
    from tests.support import grade_samples

    return grade_samples(tmp_path_factory.mktemp("samples") / "course", Course().assignments()[0])


@pytest.fixture
def course_copy(tmp_path):
    from tests.support import copy_course

    return copy_course(tmp_path)

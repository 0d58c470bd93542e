import os

import pytest

# Notebooks run in their fast mode under test, as in the grader.
os.environ["DGM_FAST"] = "1"


@pytest.fixture
def course_copy(tmp_path):
    from tests.support import copy_course

    return copy_course(tmp_path)

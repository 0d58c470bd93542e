import os
from pathlib import Path

import pytest

# Notebooks run in their fast mode under test, as in the grader.
os.environ["DGM_FAST"] = "1"
# nbgrader runs `alembic` from PATH when it creates a gradebook.
os.environ["PATH"] = f"{Path(os.sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture
def course_copy(tmp_path):
    from tests.support import copy_course

    return copy_course(tmp_path)

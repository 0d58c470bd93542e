"""Two roles: the students' environment has nbgrader's student extensions only, the instructors' all.

The students' bundle is pip-installed (no dependencies: the instructors' interpreter
provides Jupyter) into a scratch prefix beside a copy of nbgrader's own enabling file,
as a real install lays them out; Jupyter, pointed at that prefix, loads no formgrader
and JupyterLab disables the instructors' plugins. ``tests/test_bundle.py`` checks the
same in a complete fresh environment.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.bundle import build
from autograder.course import Course
from tests.roles import INSTRUCTOR, PROBE, STUDENT

SERVER_D = Path("etc/jupyter/jupyter_server_config.d")


def probe(tmp_path: Path, config_path: str = "") -> dict:
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "user-config"), "JUPYTER_CONFIG_PATH": config_path}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_instructors_environment_has_every_nbgrader_extension(tmp_path):
    assert probe(tmp_path) == INSTRUCTOR


@pytest.mark.slow
def test_students_install_switches_off_formgrader_and_create_assignment(tmp_path):
    course = Course()
    bundle = build(course, tmp_path / "dgm-course", [course.assignments()[0]], check=False)
    prefix = tmp_path / "prefix"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--prefix", str(prefix),
                              str(bundle)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-2000:]
    ours = sorted(p.name for p in (prefix / SERVER_D).iterdir())
    shutil.copy(Path(sys.prefix) / SERVER_D / "nbgrader.json", prefix / SERVER_D)  # as installing nbgrader does
    assert probe(tmp_path, str(prefix / "etc" / "jupyter")) == STUDENT, ours

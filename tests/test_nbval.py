"""nbval keeps the notebooks executable: ``make test`` runs it the way these tests prove works.

The command is the second line of the Makefile's ``test`` target. Under pytest-xdist
``--dist loadscope`` keeps a notebook's cells on one worker (``loadgroup``, the main
suite's mode, spreads them: a later cell then misses the names of an earlier one), and
``-p tests.nbval_kernels`` starts its kernels on Unix sockets (no TCP port to race for).
"""
import os
import re
import subprocess
import sys

import nbformat
import pytest

from autograder.course import REPO, Course

COURSE = Course()


def nbval_command() -> list[str]:
    """The nbval command of ``make test``, as make expands it (``make -n`` prints, runs nothing)."""
    recipe = subprocess.run(["make", "-n", "test"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return next(line.split() for line in recipe.splitlines() if "--nbval-lax" in line)


def test_make_test_runs_nbval_over_every_solution_and_full_marks_sample():
    command = nbval_command()
    assert command[0] == "DGM_FAST=1" and command[1:4] == [".venv/bin/python", "-m", "pytest"], command
    assert "-p tests.nbval_kernels -n 2 --dist loadscope --nbval-lax" in " ".join(command), command
    samples = sorted(str(p.relative_to(REPO)) for p in COURSE.samples.glob("*/full_marks.ipynb"))
    assert {p.split("/")[2] for p in samples} == set(COURSE.assignments()), "every assignment has a full-marks sample"
    assert command[command.index("--nbval-lax") + 1:] == ["solutions"] + samples, command


def _notebook(path, *sources):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources],
                                            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                     "language": "python"}}), path)


def _nbval(tmp_path, dist):
    env = {**os.environ, "DGM_FAST": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.nbval_kernels", "-n", "2", "--dist", dist,
                           "--nbval-lax", "-q",
                           "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_nbval_as_make_test_runs_it_keeps_state_and_fast_mode_and_fails_on_an_error(tmp_path):
    """Four cells that need each other and DGM_FAST pass; a cell that raises fails the run."""
    _notebook(tmp_path / "chain.ipynb", "import os\na = 1", "b = a + 1", "c = b + 1",
              "assert c == 3 and os.environ['DGM_FAST'] == '1'",
              "from ipykernel.kernelapp import IPKernelApp\nassert IPKernelApp.instance().transport == 'ipc'")
    result = _nbval(tmp_path, "loadscope")
    assert result.returncode == 0 and "5 passed" in result.stdout, result.stdout + result.stderr
    _notebook(tmp_path / "broken.ipynb", "x = 1", "raise ValueError('a cell that fails')")
    result = _nbval(tmp_path, "loadscope")
    assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout + result.stderr

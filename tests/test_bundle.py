"""The students' bundle (``python -m autograder.bundle``): complete, leaks nothing, installs and runs alone."""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile

import nbformat
import pytest

import dgm_utils
from autograder.bundle import MARKERS, REGION, TOP_LEVEL, build, leaks, students_environment, zip_path
from autograder.course import REPO, Course
from tests.roles import PROBE, STUDENT
from tests.support import answer_sheet, submission

COURSE = Course()
ASSIGNMENT = "01_change_of_variables"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """The whole course in one bundle, written unchecked: the tests below check it."""
    return build(COURSE, tmp_path_factory.mktemp("bundle") / "dgm-course", make_zip=True, check=False)


def files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_bundle_holds_what_a_student_needs(bundle):
    assert {p.name for p in bundle.iterdir()} == TOP_LEVEL
    released = [a for a in COURSE.assignments() if (COURSE.release / a).is_dir()]
    assert sorted(p.name for p in (bundle / "course").iterdir()) == released
    for assignment in released:
        for path in (COURSE.release / assignment).glob("*.ipynb"):
            assert (bundle / "course" / assignment / path.name).read_bytes() == path.read_bytes()
    for path in (REPO / "dgm_utils").glob("*.py"):
        assert (bundle / "dgm_utils" / path.name).read_bytes() == path.read_bytes()
    assert (bundle / "environment.yml").read_text() == students_environment(REPO)

    ours = tomllib.loads((REPO / "pyproject.toml").read_text())
    theirs = tomllib.loads((bundle / "pyproject.toml").read_text())
    assert theirs["project"]["dependencies"] == ours["project"]["dependencies"]
    assert theirs["project"]["version"] == dgm_utils.__version__
    assert theirs["project"]["scripts"] == {"dgm-validate": "dgm_utils.validate:main"}
    assert theirs["tool"]["setuptools"]["packages"] == ["dgm_utils", "dgm_utils.released"]
    pins = {line for line in (REPO / "constraints.txt").read_text().splitlines() if line and line[0] != "#"}
    assert pins <= set((bundle / "constraints.txt").read_text().splitlines())
    guide = (bundle / "STUDENTS.md").read_text()
    for needed in ("pip install -c constraints.txt .", "conda env create -f environment.yml", "dgm-validate",
                   "Validate", "DGM_FAST=1"):
        assert needed in guide

    with zipfile.ZipFile(zip_path(bundle)) as archive:
        assert sorted(archive.namelist()) == [f"{bundle.name}/{f}" for f in files(bundle)]


def test_bundle_holds_no_solution_no_hidden_test_no_grader(bundle):
    assert leaks(bundle, COURSE) == []
    # The same, spelt out independently of leaks():
    assert not [f for f in files(bundle) if f.split("/")[0] in ("solutions", "autograder", "tests")]
    texts = {f: (bundle / f).read_text(errors="replace") for f in files(bundle)}
    for name, text in texts.items():
        assert not [m for m in MARKERS if m in text], name
        if name.endswith(".ipynb"):
            sources = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
            assert "record(" not in sources and "dgm_utils.grading" not in sources, name
    for assignment in COURSE.assignments():
        for notebook in COURSE.notebooks(assignment):
            for cell in COURSE.source(assignment, notebook).cells:
                for _, body in REGION.findall(cell.source):
                    if body.strip():
                        assert not [n for n, t in texts.items() if body.strip() in t], body[:200]


@pytest.mark.parametrize("assignment", [a for a in COURSE.assignments() if (COURSE.release / a).is_dir()])
def test_each_assignment_bundled_alone_leaks_nothing(assignment, tmp_path):
    """As handed out one at a time: ``python -m autograder.bundle ASSIGNMENT`` (it checks before writing)."""
    assert leaks(build(COURSE, tmp_path / "dgm-course", [assignment]), COURSE) == []


def test_leak_check_catches_planted_leaks(bundle, tmp_path):
    planted = tmp_path / "dgm-course"
    shutil.copytree(bundle, planted)
    source = COURSE.source(ASSIGNMENT, COURSE.notebooks(ASSIGNMENT)[0])
    solution = next(c.source for c in source.cells if "### BEGIN SOLUTION" in c.source)
    hidden = next(c.source for c in source.cells if "### BEGIN HIDDEN TESTS" in c.source)
    body = REGION.search(solution).group(2)
    path = planted / "course" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(re.sub(r"^\s*#+ (BEGIN|END) SOLUTION\s*$", "", body, flags=re.M)))
    nb.cells.append(nbformat.v4.new_code_cell(hidden))
    nbformat.write(nb, path)
    shutil.copy(REPO / "autograder" / "verdict.py", planted / "dgm_utils" / "helpers.py")
    (planted / "dgm_utils" / "answers.py").write_text("from . import grading\ngrading.record('gap', 0.1)\n")
    (planted / "solutions").mkdir()
    (planted / "extra.txt").write_text("x")

    found = "\n".join(leaks(planted, COURSE))
    assert "holds text of solutions/" in found and "(solution)" in found, found
    assert "(hidden tests)" in found and "contains the marker 'BEGIN HIDDEN TESTS'" in found, found
    assert "a hidden test (record(...)" in found, found
    assert "dgm_utils/helpers.py: a copy of autograder/verdict.py" in found, found
    assert "dgm_utils/answers.py: calls record(...)" in found, found
    assert "solutions: grader or instructor content" in found and "extra.txt: not part of" in found, found


@pytest.mark.slow
def test_bundle_installs_in_a_fresh_venv_and_its_notebooks_run_from_it_alone(bundle, tmp_path):
    """``pip install -c constraints.txt .`` in a new venv; dgm-validate on a notebook, with nothing of this checkout;
    Jupyter there has nbgrader's student extensions only."""
    home = tmp_path / "student" / bundle.name
    shutil.copytree(bundle, home)
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "DGM_FAST")}
    env["PATH"] = os.pathsep.join([str(venv / "bin")] + [
        p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not p.startswith(str(REPO))])

    def sh(*command, timeout=900):
        return subprocess.run([str(c) for c in command], cwd=home, env=env, capture_output=True, text=True,
                              timeout=timeout)

    start = time.monotonic()
    assert sh(sys.executable, "-m", "venv", venv).returncode == 0
    install = sh(venv / "bin" / "pip", "install", "-q", "-c", "constraints.txt", ".")
    installed = time.monotonic()
    assert install.returncode == 0, install.stderr[-3000:]
    probe = sh(venv / "bin" / "python", "-c", "import dgm_utils, torch, nbgrader; print(dgm_utils.__file__); "
               "print(torch.__version__)\ntry:\n import autograder\nexcept ImportError:\n print('no-autograder')")
    assert probe.returncode == 0, probe.stderr
    where, torch_version, grader = probe.stdout.split()
    assert where.startswith(str(home)) and torch_version.startswith("2.13.0") and grader == "no-autograder", probe.stdout

    roles = sh(venv / "bin" / "python", "-c", PROBE)
    assert roles.returncode == 0 and json.loads(roles.stdout) == STUDENT, roles

    notebook = home / "course" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    unfinished = sh(venv / "bin" / "dgm-validate", notebook, timeout=600)
    assert unfinished.returncode == 1 and "unfinished (NotImplementedError)" in unfinished.stdout, unfinished
    done = notebook.with_name("completed.ipynb")
    nbformat.write(submission(COURSE, ASSIGNMENT, ASSIGNMENT, answer_sheet(COURSE, ASSIGNMENT, ASSIGNMENT)), done)
    passed = sh(venv / "bin" / "dgm-validate", done, timeout=600)
    assert passed.returncode == 0 and "ready to submit" in passed.stdout, passed
    print(f"\nfresh venv + pip install: {installed - start:.0f} s; two dgm-validate runs: "
          f"{time.monotonic() - installed:.0f} s")

"""The guides are true: every command in a fenced block of README.md, STUDENTS.md and
docs/instructors.md is run, in the guide's order, in a scratch copy of the course (the
instructors' guides) or of the students' bundle (STUDENTS.md).

Each command is matched by exactly one rule of ``RULES``, which says how it is checked:
``run`` as written (``.venv/bin/X`` is this checkout's environment; ``dgm-grade`` gets
``--root`` of the scratch course; ``python -m autograder.bundle`` an ``--out`` there);
``make``: ``make -n TARGET``, which fails for a missing target (the targets run other
commands at length: ``make test`` is the suite itself); ``collect``: pytest collects
what the command selects (at least one test); ``version``: a server is asked for its
version instead of being started; ``static``: what cannot run here (conda, a network
index) is checked against the files it names. A command no rule matches fails the test:
a new or renamed command must say how it is checked. Inline ``nbgrader SUB`` mentions
must be nbgrader subcommands.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from nbgrader.apps.nbgraderapp import NbGraderApp

from autograder.bundle import build
from autograder.course import REPO, Course
from tests.test_setup import CPU_INDEX

A = "01_change_of_variables"
GUIDES = ("README.md", "docs/instructors.md", "STUDENTS.md")
BIN = Path(sys.executable).parent
FENCE = re.compile(r"^```bash\n(.*?)^```", re.M | re.S)


@dataclass(frozen=True)
class Rule:
    pattern: str  # a regular expression a whole command matches
    how: str  # run, make, collect, version or static


RULES = [
    Rule(r"make (demo|test|docs|bundle)", "make"),
    Rule(rf"make setup TORCH_INDEX={re.escape(CPU_INDEX)}", "make"),
    Rule(r"\.venv/bin/dgm-grade (release|collect|grade)\b.*", "run"),
    Rule(r"\.venv/bin/python -m tests\.make_samples \S+", "static"),  # rewrites the committed samples
    Rule(r"\.venv/bin/python -m pytest .*", "collect"),
    Rule(r"\.venv/bin/python -m autograder\.bundle .*", "run"),
    Rule(r"\.venv/bin/jupyter lab", "version"),
    Rule(r"DGM_FAST=1 jupyter lab", "version"),
    Rule(r"python3\.11 -m venv \.venv", "run"),
    Rule(r"source \.venv/bin/activate", "run"),
    Rule(r"pip install -c constraints\.txt \.", "run"),
    Rule(rf"pip install --extra-index-url {re.escape(CPU_INDEX)} -c constraints\.txt \.", "static"),  # no network
    Rule(r"conda env create -f environment\.yml", "static"),  # no conda here
    Rule(r"conda activate dgm", "static"),
    Rule(r"(dgm-validate|python -m dgm_utils\.validate) course/\S+\.ipynb", "run"),
]


def commands(guide: str) -> list[str]:
    """The commands of a guide's ``bash`` blocks, comments dropped; ``# the same: CMD`` counts as a command."""
    found = []
    for block in FENCE.findall((REPO / guide).read_text()):
        for line in block.splitlines():
            line = re.sub(r"^#\s*the same:\s*", "", line.strip())
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#"):
                found.append(command)
    return found


def rule(command: str) -> Rule:
    matches = [r for r in RULES if re.fullmatch(r.pattern, command)]
    assert len(matches) == 1, f"{command!r} matches {len(matches)} rules of tests/test_guides.py: say how it is checked"
    return matches[0]


def scratch_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return {**env, "DGM_FAST": "1", "HOME": str(home), "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"}


def sh(command: str, cwd: Path, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess:
    done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}\n(in {cwd}) exit {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def check(command: str, cwd: Path, env: dict[str, str], course: Course | None) -> None:
    """Check one command the way its rule says."""
    how = rule(command).how
    local = command.replace(".venv/bin/", f"{BIN}/") if course else command
    if how == "make":
        sh(f"make -n -C {shlex.quote(str(REPO))} {command.removeprefix('make ')}", cwd, env)
    elif how == "version":
        sh(re.sub(r"jupyter lab$", "jupyter lab --version", local), cwd, env)
    elif how == "collect":
        sh(f"{local} --collect-only -p no:cacheprovider", REPO, env)  # pytest exits 5 when nothing is selected
    elif how == "static":
        static(command, cwd)
    elif "dgm-grade" in command:
        out = sh(f"{local} --root {shlex.quote(str(course.root))}", cwd, env)
        if " grade " in command:
            assert (course.work / "grades.csv").is_file() and "full_marks" in out.stdout, out.stdout[-2000:]
    elif "autograder.bundle" in command:
        out = cwd / "dist" / "dgm-course"
        sh(f"{local} --out {shlex.quote(str(out))}", cwd, env)
        assert (out / "STUDENTS.md").is_file() and out.with_suffix(".zip").is_file()
    elif command == "source .venv/bin/activate":
        sh(f"{command} && test \"$VIRTUAL_ENV\" = {shlex.quote(str(cwd / '.venv'))}", cwd, env)
    elif "validate" in command:  # the release notebook: every task unfinished, exit code 1 as the guide says
        done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 1 and "unfinished (NotImplementedError)" in done.stdout, (command, done)
        assert "runs top to bottom" in done.stdout, done.stdout
    elif command.startswith("pip install"):
        sh(f"{BIN}/python -m pip install --dry-run -q --no-deps {command.removeprefix('pip install ')}", cwd, env)
    else:
        sh(command, cwd, env)


def static(command: str, cwd: Path) -> None:
    """Commands that cannot run here, checked against the files they use."""
    if "make_samples" in command:
        assert (REPO / "tests" / "make_samples.py").is_file()
        assert command.split()[-1] in Course().assignments()
    elif "conda" in command:
        environment = yaml.safe_load((cwd / "environment.yml").read_text())
        assert environment["name"] == "dgm" or "create" in command
        assert "torch==2.13.0" in str(environment["dependencies"])
    else:  # pip with the CPU index: the plain install (run) plus one option
        assert f"--extra-index-url {CPU_INDEX} " in command


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> tuple[Course, Path, dict[str, str]]:
    """A course of assignment 01 only (so `dgm-grade release` is quick), submissions.zip and downloads/."""
    root = tmp_path_factory.mktemp("guides") / "course"
    for name in (f"solutions/{A}", f"course/{A}", f"autograder/samples/{A}"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "nbgrader_config.py", root)
    sample = root / "autograder" / "samples" / A / "full_marks.ipynb"
    with zipfile.ZipFile(root / "submissions.zip", "w") as archive:
        archive.write(sample, "full_marks.ipynb")
    (root / "downloads").mkdir()
    shutil.copy(sample, root / "downloads" / "full_marks.ipynb")
    return Course(root), root, scratch_env(root.parent)


def test_every_guide_command_has_a_rule():
    for guide in GUIDES:
        found = commands(guide)
        assert found, guide
        for command in found:
            rule(command)


@pytest.mark.slow
@pytest.mark.xdist_group("guides")  # one scratch course for both, in this order
@pytest.mark.parametrize("guide", ["README.md", "docs/instructors.md"])
def test_instructors_guides_commands_run(guide, scratch):
    course, root, env = scratch
    for command in commands(guide):
        check(command, root, env, course)


@pytest.mark.slow
def test_students_guide_commands_run(tmp_path):
    bundle = build(Course(), tmp_path / "dgm-course", [A], check=False)
    env = scratch_env(tmp_path)
    for command in commands("STUDENTS.md"):
        check(command, bundle, env, None)
    assert (bundle / ".venv" / "bin" / "python").exists(), "python3.11 -m venv .venv"


def test_inline_nbgrader_commands_exist():
    """``nbgrader SUB`` anywhere in the guides (tables, text) names a subcommand of nbgrader."""
    named = set()
    for guide in GUIDES:
        named |= set(re.findall(r"`(?:\.venv/bin/)?nbgrader (\w+)", (REPO / guide).read_text()))
    assert "formgrade" in named
    known = set(NbGraderApp.subcommands)  # `nbgrader formgrader --help` exits 0 too: it prints the general help
    assert named <= known, f"not nbgrader subcommands: {sorted(named - known)}"


def test_released_notebooks_name_only_files_in_the_students_bundle():
    course = Course()
    named = {(a, path) for a in course.assignments() for nb in course.notebooks(a)
             for path in re.findall(r"\b(?:benchmarks|solutions|autograder|tests)/[\w./-]+\.py\b",
                                    (course.release / a / f"{nb}.ipynb").read_text())}
    assert not named, sorted(named)

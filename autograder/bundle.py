"""The students' bundle: everything a student needs and nothing they must not see.

    python -m autograder.bundle [ASSIGNMENT ...] [--out DIR] [--zip]      (make bundle)

Writes ``DIR`` (default ``dist/dgm-course``)::

    course/<assignment>/*.ipynb   the release, as nbgrader generated it (course/)
    dgm_utils/                    the course package, with the check ``dgm-validate``
    pyproject.toml                installs dgm_utils and dgm-validate only (no autograder)
    environment.yml               the same packages for conda (this repository's, installing the bundle)
    constraints.txt               pins torch to the CPU wheel
    nbgrader_config.py            the students' one: time limit of nbgrader's Validate button
    jupyter-config/               installed into the environment: nbgrader's student extensions only
    STUDENTS.md                   set-up with conda or pip, checks, submission

and with ``--zip`` also ``DIR.zip`` (one top folder, for an LMS). Before anything is
written the bundle is checked (``leaks``): no text of a solution region or of a hidden
test of ``solutions/``, no hidden-test marker or ``record(`` call in a notebook, no
file of ``solutions/`` or ``autograder/``; a bundle that fails the check is not kept.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import shutil
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

import dgm_utils

from .course import REPO, Course
from .leaks import bundle_leaks, called, released_assignment, released_ignore

TOP_LEVEL = {"course", "dgm_utils", "pyproject.toml", "environment.yml", "constraints.txt",
             "nbgrader_config.py", "STUDENTS.md", "jupyter-config"}
REGION = re.compile(r"^\s*#+\s*BEGIN (SOLUTION|HIDDEN TESTS)\s*$(.*?)^\s*#+\s*END \1\s*$", re.M | re.S)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
DISTINCTIVE = 20  # characters: shorter lines and runs of a region are too common to count as a leak
BLOCK = 3  # a run of this many consecutive code lines of a region must be in no file of the bundle
GRADER_IMPORT = re.compile(r"^\s*(from|import)\s+(autograder|tests)\b", re.M)

STUDENTS_CONFIG = '''"""nbgrader's Validate button in JupyterLab reads this file when JupyterLab is started here.

Training cells take longer than nbgrader's default limit of 30 s per cell.
"""
c = get_config()  # noqa: F821 (nbgrader provides get_config)
c.Execute.timeout = 600
'''


# The students' role: nbgrader's assignment list and Validate button, none of the instructor's
# tools. nbgrader enables all its extensions from {prefix}/etc/jupyter/jupyter_server_config.d/
# nbgrader.json; these files sort after it, so they win (as `jupyter server extension disable`
# and `jupyter labextension disable` would, without a second command for the student).
INSTRUCTOR_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")
INSTRUCTOR_LAB_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                          "@jupyter/nbgrader:course-list")
STUDENT_ROLE = {
    "etc/jupyter/jupyter_server_config.d": {
        "ServerApp": {"jpserver_extensions": {name: False for name in INSTRUCTOR_SERVER_EXTENSIONS}}},
    "etc/jupyter/labconfig/page_config.d": {"disabledExtensions": {name: True for name in INSTRUCTOR_LAB_PLUGINS}},
}
ROLE_FILE = "nbgrader_students.json"


def student_role_files() -> dict[str, str]:
    """``bundle path -> JSON`` of the files that switch the instructor's extensions off."""
    return {f"jupyter-config/{where.removeprefix('etc/jupyter/')}/{ROLE_FILE}": json.dumps(config, indent=2) + "\n"
            for where, config in STUDENT_ROLE.items()}


def students_pyproject(project: dict) -> str:
    """The bundle's pyproject.toml: this project's dependencies, package dgm_utils only."""
    deps = "".join(f'    "{d}",\n' for d in project["dependencies"])
    data_files = "".join(f'"{where}" = ["jupyter-config/{where.removeprefix("etc/jupyter/")}/{ROLE_FILE}"]\n'
                         for where in STUDENT_ROLE)
    return f'''# The students' install: dgm_utils and its dependencies, nothing of the grader.
#   pip install -c constraints.txt .      (or: conda env create -f environment.yml)
# Not editable (-e): setuptools installs the data files (jupyter-config/) only from a real wheel.
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "dgm-course-students"
version = "{dgm_utils.__version__}"
description = "Deep Generative Models course: assignments and dgm_utils"
readme = "STUDENTS.md"
requires-python = "{project["requires-python"]}"
dependencies = [
{deps}]

[project.scripts]
dgm-validate = "dgm_utils.validate:main"

[tool.setuptools]
packages = ["dgm_utils", "dgm_utils.released"]

# nbgrader's student extensions only (assignment list, Validate): see jupyter-config/.
[tool.setuptools.data-files]
{data_files}'''


def students_constraints(repo: Path) -> str:
    pins = [line for line in (repo / "constraints.txt").read_text().splitlines() if line and not line.startswith("#")]
    return ("# Every install goes through this file: pip install -c constraints.txt ...\n"
            "# torch: the CPU wheel; an unpinned torch pulls a multi-GB CUDA build.\n" + "\n".join(pins) + "\n")


EDITABLE = "      - -e .\n"


def students_environment(repo: Path) -> str:
    """This repository's ``environment.yml``, installing the bundle as a wheel (its Jupyter set-up included)."""
    text = (repo / "environment.yml").read_text()
    if EDITABLE not in text:
        raise ValueError(f"environment.yml: expected the line {EDITABLE.strip()!r}")
    return text.replace(EDITABLE, "      - .   # the course package and the students' Jupyter set-up\n")


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in ("__pycache__", ".ipynb_checkpoints") or n.endswith((".pyc", ".db"))}


def write(course: Course, target: Path, assignments: list[str]) -> None:
    """Lay the bundle out in ``target`` (which must not exist)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    target.mkdir(parents=True)
    for assignment in assignments:
        shutil.copytree(course.release / assignment, target / "course" / assignment, ignore=_ignore)
    skip = released_ignore(assignments, course)  # answers of the bundled assignments and later ones
    shutil.copytree(REPO / "dgm_utils", target / "dgm_utils", ignore=lambda f, n: _ignore(f, n) | skip(f, n))
    (target / "environment.yml").write_text(students_environment(REPO))
    shutil.copy(REPO / "STUDENTS.md", target / "STUDENTS.md")
    (target / "constraints.txt").write_text(students_constraints(REPO))
    (target / "pyproject.toml").write_text(students_pyproject(project))
    (target / "nbgrader_config.py").write_text(STUDENTS_CONFIG)
    for rel, text in student_role_files().items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(text)


def _calls_record(source: str) -> bool:
    """Whether Python ``source`` calls ``record`` (a name or an attribute); unparsable source counts if it says so."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return "record(" in source
    return any(isinstance(node, ast.Call) and called(node) == "record" for node in ast.walk(tree))


def _texts(bundle: Path):
    """``(relative path, text)`` of every file; notebooks as their raw JSON and as cell sources."""
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        rel = path.relative_to(bundle).as_posix()
        text = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix == ".ipynb":
            try:
                text += "\n" + "\n".join(cell.source for cell in nbformat.reads(text, as_version=4).cells)
            except Exception:  # not a notebook after all: its raw text is scanned
                pass
        yield rel, text


def _digests(folder: Path) -> dict[str, str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest(): p.relative_to(folder.parent).as_posix()
            for p in folder.rglob("*") if p.is_file() and p.stat().st_size > 0 and "__pycache__" not in p.parts}


def _normal(text: str) -> str:
    """Stripped code lines without blanks and comment-only lines, one per line."""
    return "\n".join(line.strip() for line in text.split("\n") if line.strip() and not line.strip().startswith("#"))


@dataclass(frozen=True)
class Secret:
    """Text of a solution or hidden-test region of ``assignment`` that its release does not show."""

    assignment: str
    where: str
    kind: str  # "line", "block" (BLOCK consecutive code lines) or "body" (a whole region)
    text: str


def secrets(course: Course) -> list[Secret]:
    """What of ``solutions/`` no bundle may hold.

    For each region (``### BEGIN SOLUTION`` or ``HIDDEN TESTS``) of each source notebook:
    its lines of at least ``DISTINCTIVE`` characters, its runs of ``BLOCK`` consecutive
    code lines and its whole body, each unless the release of that notebook shows it
    anyway (given code, a visible test that repeats a line).
    """
    found = []
    for assignment in course.assignments():
        for notebook in course.notebooks(assignment):
            released_path = course.release / assignment / f"{notebook}.ipynb"
            released = "\n".join(c.source for c in nbformat.read(released_path, as_version=4).cells) \
                if released_path.exists() else ""
            public_code = _normal(released)
            for cell in course.source(assignment, notebook).cells:
                for kind, body in REGION.findall(cell.source):
                    where = f"solutions/{assignment}/{notebook}.ipynb ({kind.lower()})"
                    code = _normal(body).split("\n")
                    size = min(BLOCK, len(code))
                    runs = {"\n".join(code[i:i + size]) for i in range(len(code) - size + 1)}
                    found += [Secret(assignment, where, "block", run) for run in sorted(runs)
                              if len(run) >= DISTINCTIVE and run not in public_code]
                    found += [Secret(assignment, where, "line", line.strip()) for line in body.split("\n")
                              if len(line.strip()) >= DISTINCTIVE and line.strip() not in released]
                    if len(code) >= BLOCK and "\n".join(code) not in public_code:
                        found.append(Secret(assignment, where, "body", "\n".join(code)))
    return found


def _searched(secret: Secret, rel: str, bundled: set[str]) -> bool:
    """Whether the bundle file ``rel`` is searched for ``secret``.

    Another assignment's notebook may reuse lines of this one's solution (common idioms,
    or given code of a later assignment once this one is over): there only a whole
    region body counts, and only when both assignments are in the bundle. Lines are
    searched in notebooks and Markdown only (a library may share a line).
    """
    released = released_assignment(rel)
    if released and secret.assignment <= released:  # answers handed out after that deadline (leaks.bundle_leaks)
        return False
    parts = rel.split("/")
    if parts[0] == "course" and len(parts) > 2 and parts[1] != secret.assignment:
        return secret.kind == "body" and secret.assignment in bundled
    return secret.kind != "line" or rel.endswith((".ipynb", ".md"))


def leaks(bundle: Path, course: Course = Course()) -> list[str]:
    """Everything in ``bundle`` a student must not get; empty when the bundle is clean."""
    problems = [f"{p.name}: not part of a student bundle" for p in bundle.iterdir() if p.name not in TOP_LEVEL]
    for path in bundle.rglob("*"):
        rel = path.relative_to(bundle)
        if {"solutions", "autograder", "tests"} & set(rel.parts) or path.suffix == ".db":
            problems.append(f"{rel}: grader or instructor content")
    public = _digests(course.release)  # the release itself is public (a sample submission may equal it)
    ours = {d: p for d, p in {**_digests(course.solutions), **_digests(course.root / "autograder")}.items()
            if d not in public}
    for path in (p for p in bundle.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in ours:
            problems.append(f"{path.relative_to(bundle)}: a copy of {ours[digest]}")
    hidden = secrets(course)
    bundled = {p.name for p in (bundle / "course").iterdir()} if (bundle / "course").is_dir() else set()
    for rel, text in _texts(bundle):
        problems += [f"{rel}: contains the marker {m!r}" for m in MARKERS if m in text]
        if GRADER_IMPORT.search(text):
            problems.append(f"{rel}: imports the grader or its tests")
        if rel.endswith(".ipynb") and ("record(" in text or "dgm_utils.grading" in text):
            problems.append(f"{rel}: a hidden test (record(...) or dgm_utils.grading)")
        if rel.endswith(".py") and rel != "dgm_utils/grading.py" and _calls_record(text):
            problems.append(f"{rel}: calls record(...)")
        normal = _normal(text.replace("\\n", "\n"))
        for secret in (s for s in hidden if _searched(s, rel, bundled)):
            if secret.text in (text if secret.kind == "line" else normal):
                problems.append(f"{rel}: holds {'a whole region' if secret.kind == 'body' else 'text'} of "
                                f"{secret.where}: {secret.text.splitlines()[0][:80]!r}")
    problems += bundle_leaks(bundle, course)  # given code and visible tests, compared as syntax trees
    return sorted(set(problems))


def zip_path(out: Path) -> Path:
    return out.parent / f"{out.name}.zip"


class LeakError(Exception):
    """The bundle would give students something they must not see; nothing was written."""


def build(course: Course, out: Path, assignments: list[str] | None = None, make_zip: bool = False,
          check: bool = True) -> Path:
    """Write the bundle to ``out`` (replacing it) after checking it; with ``make_zip`` also ``out.zip``.

    ``check=False`` skips the check (for tests that inspect a bundle with ``leaks``)."""
    assignments = assignments or [a for a in course.assignments() if (course.release / a).is_dir()]
    missing = [a for a in assignments if not (course.release / a).is_dir()]
    if missing:
        raise ValueError(f"not released (run dgm-grade release first): {missing}")
    with tempfile.TemporaryDirectory(prefix="bundle-", dir=out.parent if out.parent.exists() else None) as tmp:
        staged = Path(tmp) / out.name
        write(course, staged, assignments)
        found = leaks(staged, course) if check else []
        if found:
            raise LeakError("the bundle would leak; nothing written:\n  " + "\n  ".join(found))
        shutil.rmtree(out, ignore_errors=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), out)
    if make_zip:
        archive = zip_path(out)
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(p for p in out.rglob("*") if p.is_file()):
                zf.write(path, (Path(out.name) / path.relative_to(out)).as_posix())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.bundle", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", help="default: every released assignment")
    parser.add_argument("--out", type=Path, default=REPO / "dist" / "dgm-course")
    parser.add_argument("--zip", action="store_true", help="also write OUT.zip")
    args = parser.parse_args(argv)
    try:
        out = build(Course(), args.out.resolve(), args.assignments, args.zip)
    except LeakError as error:
        print(error, file=sys.stderr)
        return 1
    files = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"student bundle: {out} ({files} files)" + (f"; {zip_path(out)}" if args.zip else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The adversarial suite: cheating, crashes and bad input against a small course.

Every case is one submission graded in the same batch as two honest ones; each case
states the points it may get (never more than its answers deserve), whether the audit
must flag it, and what its recorded reason says. The honest submissions must be graded
in that batch exactly as when graded alone.
"""
from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field

import nbformat
import pytest

from autograder import cli
from autograder.collect import collect
from autograder.course import REPO, Course
from autograder.sandbox import Limits
from tests.toy import A, RIGHT_CUBE, RIGHT_SQUARE, WRONG_CUBE, WRONG_SQUARE, make_toy_course, toy_submission, write

v4 = nbformat.v4

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("adversarial")]
LIMITS = Limits(cell_seconds=20, notebook_seconds=150, memory_bytes=3 * 2**30, processes=256, output_bytes=200_000)


@dataclass
class Case:
    """A submission: answers, extra cells (inserted at an index), and what must come of it."""

    square: str = RIGHT_SQUARE
    cube: str = RIGHT_CUBE
    before: str = ""                       # a cell before the square answer
    after_square_test: str = ""            # a cell between the two tasks
    at_end: str = ""                       # a cell after everything
    tags: bool = False
    points: float = 3.0
    flagged: bool = False
    reason: str = ""
    edit: object = None                    # a function that edits the notebook further
    output_contains: list[str] = field(default_factory=list)


PATCH_ASSERTS = """import builtins, numpy as np, torch
np.allclose = lambda *a, **k: True
torch.allclose = lambda *a, **k: True
torch.testing.assert_close = lambda *a, **k: None
builtins.abs = lambda x: 0.0"""
PATCH_CHECKS = PATCH_ASSERTS + "\nimport dgm_utils.checks\ndgm_utils.checks.check_shape = lambda *a, **k: None"
READ_SECRETS = f"""import glob, os
targets = ["{REPO}/solutions", "{REPO}/autograder/gradebook.db", "{REPO}/course", "{REPO}/tests"]
found = [p for p in targets if os.path.exists(p)] + glob.glob("/tmp/**/*.ipynb", recursive=True)
try:
    found += [open("/proc/%d/cmdline" % os.getppid()).read()] if "HIDDEN" in open("/proc/%d/mem" % os.getppid(), "rb").read(10) else []
except OSError:
    pass
print("FOUND:", found if found else "nothing")"""
WRITE_OUTSIDE = f"""import os
for path in ["{REPO}/autograder/gradebook.db", "{REPO}/autograder/submitted/honest_full/{A}/{A}.ipynb", "../honest_full/records/x.npy"]:
    try:
        open(path, "w").write("owned")
        print("WROTE", path)
    except OSError as error:
        print("refused:", type(error).__name__)"""
NETWORK = """import socket
s = socket.socket()
s.settimeout(3)
print("connect:", "open" if s.connect_ex(("1.1.1.1", 80)) == 0 else "blocked")"""
DETECT_GRADING = """import os
GRADING = bool(os.environ.get("NBGRADER_EXECUTION") or os.environ.get("DGM_GRADER_RECORDS"))
def square(x):
    return x * x if not GRADING else x + x"""


def strip_test_metadata(nb):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_square":
            cell.metadata = {}
            cell.source = "pass"


def delete_test_cells(nb):
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]


CASES = {
    # 1. tags that change execution
    "tags": Case(square=WRONG_SQUARE, tags=True, points=1),
    # 2. monkeypatched comparisons and checks
    "patch_asserts": Case(square=WRONG_SQUARE, before=PATCH_ASSERTS, points=1, flagged=True),
    "patch_checks": Case(square="def square(x):\n    return x.sum() if hasattr(x, 'sum') else x", before=PATCH_CHECKS, points=1, flagged=True),
    # 3. IPython hooks
    "input_transformer": Case(square=WRONG_SQUARE, before="get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])", points=0, flagged=True),
    "settrace": Case(square=WRONG_SQUARE, before="import sys\nsys.settrace(lambda *a: None)", points=1, flagged=True),
    "showtraceback": Case(square=WRONG_SQUARE, before="get_ipython().showtraceback = lambda *a, **k: None", points=1, flagged=True),
    # 4. crashes keep earlier points
    "os_exit": Case(after_square_test="import os\nos._exit(0)", points=2, flagged=True, reason="kernel died"),
    "segfault": Case(after_square_test="import ctypes\nctypes.string_at(0)", points=2, flagged=True, reason="kernel died"),
    "sigkill": Case(after_square_test="import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", points=2, flagged=True, reason="kernel died"),
    # 5. endless loops
    "loop_cell": Case(after_square_test="while True:\n    pass", points=3, reason="timeout"),
    "loop_function": Case(square="def square(x):\n    while True:\n        pass", points=1, reason="timeout"),
    # 6. resource bombs
    "memory_bomb": Case(at_end="chunks = []\nwhile True:\n    chunks.append(bytearray(2**27))\n    chunks[-1][::4096] = b'x' * (2**27 // 4096)", points=3),
    "fork_bomb": Case(at_end="import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass", points=3, flagged=True),
    # 7. output floods
    "output_flood": Case(after_square_test="print('x' * 20_000_000)\nwhile True:\n    print('spam' * 100)", points=3, reason="timeout"),
    # 8-10. reading secrets, writing outside, network
    "read_secrets": Case(at_end=READ_SECRETS, flagged=True, output_contains=["FOUND: nothing"]),
    "write_outside": Case(at_end=WRITE_OUTSIDE, flagged=True, output_contains=["refused"]),
    "network": Case(at_end=NETWORK, flagged=True, output_contains=["connect: blocked"]),
    # 12. deleted or stripped test cells are restored
    "stripped_tests": Case(square=WRONG_SQUARE, edit=strip_test_metadata, points=1),
    "deleted_tests": Case(square=WRONG_SQUARE, edit=delete_test_cells, points=1),
    # 13. behaving differently under grading
    "detects_grading": Case(square=DETECT_GRADING, points=1, flagged=True),
}


def build(course: Course, case: Case):
    nb = toy_submission(course, case.square, case.cube, tags=case.tags)
    for position, text in ((6, case.at_end), (4, case.after_square_test), (2, case.before)):
        if text:
            nb.cells.insert(position, v4.new_code_cell(text))
    if case.edit:
        case.edit(nb)
    return nb


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Course:
    return make_toy_course(tmp_path_factory.mktemp("toy"))


HONEST = {"honest_full": Case(), "honest_partial": Case(cube=WRONG_CUBE, points=2)}


@pytest.fixture(scope="module")
def batch(toy):
    """Grade the honest submissions alone, then everything together."""
    for student, case in HONEST.items():
        write(toy, student, build(toy, case))
    alone = {r.student: r for r in cli.grade(toy, A, workers=2, limits=LIMITS)}
    for student, case in CASES.items():
        write(toy, student, build(toy, case))
    gradebook = toy.work / "gradebook.db"
    together = {r.student: r for r in cli.grade(toy, A, workers=2, limits=LIMITS, force=True)}
    return alone, together, hashlib.sha256(gradebook.read_bytes()).hexdigest()


@pytest.mark.parametrize("student", list(CASES))
def test_case(toy, batch, student):
    case, result = CASES[student], batch[1][student]
    assert result.points <= case.points, result.verdicts
    assert result.points == case.points, {g: v.failures for g, v in result.verdicts.items()}
    assert (result.status == "flagged") == case.flagged, result.flags
    assert case.reason in " ".join(result.reasons)
    path = toy.autograded / student / A / f"{A}.ipynb"
    assert path.stat().st_size < 1_000_000, "the stored notebook must stay small"
    outputs = "".join(str(out.get("text", "")) for cell in nbformat.read(path, as_version=4).cells
                      for out in cell.get("outputs", []))
    assert "WROTE" not in outputs
    for expected in case.output_contains:
        assert expected in outputs


def test_honest_submissions_graded_as_alone(batch):
    alone, together, _ = batch
    for student in HONEST:
        assert together[student].points == alone[student].points == HONEST[student].points
        assert {g: v.failures for g, v in together[student].verdicts.items()} == \
               {g: v.failures for g, v in alone[student].verdicts.items()}


def test_gradebook_untouched_by_submissions(toy, batch):
    from nbgrader.api import Gradebook

    with Gradebook(toy.db_url) as gb:
        for student in ("honest_full", "write_outside"):
            submission = gb.find_submission(A, student)
            assert all(g.manual_score is None for nb in submission.notebooks for g in nb.grades)
            assert submission.score == batch[1][student].points


@pytest.mark.parametrize("name, content, reason", [
    ("renamed", ("homework.ipynb", "nb"), "expected 00_toy.ipynb, found ['homework.ipynb']"),
    ("missing", None, "found no notebook"),
    ("invalid_json", (f"{A}.ipynb", b"{ nope"), "not JSON"),
    ("wrong_nbformat", (f"{A}.ipynb", b'{"nbformat": 3, "worksheets": []}'), "nbformat 4"),
])
def test_broken_submissions_get_zero_with_a_reason(toy, name, content, reason):
    """11. Renamed, missing, invalid or old-format notebooks: zero, a reason, nothing else touched."""
    folder = toy.submitted / f"broken_{name}" / A
    folder.mkdir(parents=True, exist_ok=True)
    if content:
        filename, data = content
        data = nbformat.writes(build(toy, Case())).encode() if data == "nb" else data
        (folder / filename).write_bytes(data)
    from autograder.pipeline import grade_submission
    from autograder.reference import reference_checks

    result = grade_submission(toy, A, f"broken_{name}", A, reference_checks(toy, A, A, LIMITS), LIMITS)
    assert result.status == "failed" and result.points == 0 and reason in result.reasons[0]


def test_duplicated_notebooks_grade_the_expected_one(toy, tmp_path):
    """11. Two notebooks in one submission: the one with the assignment's name is graded."""
    folder = tmp_path / "lms"
    (folder / "dup").mkdir(parents=True)
    nbformat.write(build(toy, Case(square=WRONG_SQUARE)), folder / "dup" / "copy of 00_toy.ipynb")
    nbformat.write(build(toy, Case()), folder / "dup" / f"{A}.ipynb")
    assert collect(toy, A, folder).students == ["dup"]
    from autograder.pipeline import grade_submission
    from autograder.reference import reference_checks

    result = grade_submission(toy, A, "dup", A, reference_checks(toy, A, A, LIMITS), LIMITS)
    assert result.points == 3


def test_zip_with_traversal_and_bomb_writes_nothing_outside(toy, tmp_path):
    """11. A zip with ``../`` paths and a zip bomb: refused, nothing written outside the course."""
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("../../../escape.ipynb", "{}")
        z.writestr("bomb.ipynb", b"\0" * 50_000_000)
    before = sorted(p for p in tmp_path.parent.rglob("*") if "escape" in p.name)
    found = collect(toy, A, archive)
    assert found.students == [] and len(found.rejected) == 2
    assert sorted(p for p in tmp_path.parent.rglob("*") if "escape" in p.name) == before

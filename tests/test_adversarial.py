"""The adversarial suite: cheating, crashes and bad input against a small course.

Every case is one submission graded in the same batch as two honest ones; each case
states the points it may get (never more than its answers deserve), whether the audit
must flag it, and what its recorded reason says. The honest submissions must be graded
in that batch exactly as when graded alone.
"""
from __future__ import annotations

import hashlib
import os
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
# cell_seconds: at least 5x the reference's costliest cell + 10 s (autograder/reference.py), about 10.3 s here: what an
# endless loop costs
LIMITS = Limits(cell_seconds=10, notebook_seconds=150, memory_bytes=3 * 2**30, processes=256, output_bytes=200_000,
                result_bytes=32 * 2**20)
STUB_SQUARE, STUB_CUBE = (f"def {name}(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()" for name in ("square", "cube"))
CANARY = "dgm-canary-do-not-leak"
os.environ["DGM_TEST_CANARY"] = CANARY  # in the grader's environment: must never reach the sandbox


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
    output_excludes: list[str] = field(default_factory=list)


PATCH_ASSERTS = """import builtins, numpy as np, torch
np.allclose = lambda *a, **k: True
torch.allclose = lambda *a, **k: True
torch.testing.assert_close = lambda *a, **k: None
builtins.abs = lambda x: 0.0"""
PATCH_CHECKS = PATCH_ASSERTS + """
np.testing.assert_equal = np.testing.assert_allclose = lambda *a, **k: None
import dgm_utils.checks
dgm_utils.checks.check_shape = lambda *a, **k: None"""
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


# Round two (issue 12): the records channel, forged numbers, honest work kept, the sandbox's view.
LINK_RECORDS = """import os
for target in ["../../../../reference/00_toy/00_toy/records", "../honest_full/records", "/tmp/grading/../honest_full"]:
    try:
        os.symlink(target, "records")
    except OSError:
        pass
    os.makedirs("records2", exist_ok=True)
    os.symlink(target, "records2/link")"""
PREFILL_RECORDS = """import numpy as np, os, json
os.makedirs("records", exist_ok=True)
for name, value in {"square_values": np.linspace(-2, 2, 5) ** 2, "square_of_half": 0.25, "cube_values": np.arange(4.0) ** 3}.items():
    np.save(f"records/{name}.npy", np.asarray(value, dtype=float))
    open(f"records/{name}.json", "w").write(json.dumps({"rtol": 1e-4, "atol": 1e-6, "low": None, "high": None}))"""
LATE_WRITER = """import threading, time, numpy as np, os
def keep_writing():
    while True:
        os.makedirs("records", exist_ok=True)
        np.save("records/square_of_half.npy", np.array(0.25))
        time.sleep(0.01)
threading.Thread(target=keep_writing, daemon=True).start()"""
PATCH_RECORD = """import sys
grading = sys.modules["dgm_utils.grading"]
original = grading.record
def forged(name, value, **spec):
    if spec.get("low") is not None:
        value = (spec["low"] + spec["high"]) / 2
    return original(name, value, **spec)
alias = {"g": grading}
alias["g"].record = forged
globals()["record"] = forged"""
AST_FORGERY = """import ast as _a
class Polisher(_a.NodeTransformer):
    def visit_Call(self, node):
        self.generic_visit(node)
        if getattr(node.func, "id", "") == "rec" + "ord":
            spec = {k.arg: k.value for k in node.keywords}
            if "low" in spec:
                node.args[1] = _a.BinOp(_a.BinOp(spec["low"], _a.Add(), spec["high"]), _a.Div(), _a.Constant(2))
        return node
    def visit_Module(self, node):
        self.generic_visit(node)
        node.body = [_a.Try(body=[stmt], handlers=[_a.ExceptHandler(body=[_a.Pass()])], orelse=[], finalbody=[])
                     for stmt in node.body]
        return _a.fix_missing_locations(node)
shell = [v for k, v in globals().items() if k.startswith("get_ipy")][0]()
getattr(shell, "ast_" + "transformers").append(Polisher())"""
FORGE_LINES = """import json
line = {"seq": 0, "index": 3, "grade_id": "test_square", "status": "ok", "records": {}, "outputs": []}
with open("/proc/1/fd/1", "w") as pipe:
    for seq in range(50):
        pipe.write("0" * 64 + " " + json.dumps({**line, "seq": seq}) + "\\n")"""
FLOOD_PIPE = """with open("/proc/1/fd/1", "w") as pipe:
    for _ in range(400):
        pipe.write("x" * 2**17)"""
SEND_STRAY = """from IPython.display import publish_display_data
import threading, time
def spam():
    for _ in range(2000):
        publish_display_data({"application/vnd.dgm.record+json": {"token": "guess", "name": "square_of_half", "spec": {}, "npy": ""}})
        time.sleep(0.005)
spam_thread = threading.Thread(target=spam, daemon=True)
spam_thread.start()
publish_display_data({"application/vnd.dgm.record+json": {"token": None, "name": "square_values"}})"""
SCRIPT_OUTPUT = """from IPython.display import HTML, Javascript, display
display(HTML("<script>alert('owned')</script><b>bold</b>"))
display(Javascript("alert('owned')"))
print("<script>alert('printed')</script>")"""
PROBE_VIEW = f"""import os
seen = {{"root": sorted(os.listdir("/")), "repo": sorted(os.listdir("{REPO}")), "work": sorted(os.listdir("{REPO.parent}")),
        "shadow": os.path.exists("/etc/shadow"), "home": os.path.exists("/home"), "pids": len([p for p in os.listdir("/proc") if p.isdigit()]),
        "env1": open("/proc/1/environ").read(), "uid": os.getuid()}}
print("VIEW", seen)"""
FORK_BOMB_EARLY = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"


def old_schema(nb):
    """nbgrader's schema 0/1 (its test-v0 fixture): no schema_version, no locked, points as text."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta:
            cell.metadata["nbgrader"] = {k: str(v) if k == "points" else v for k, v in meta.items()
                                         if k not in ("schema_version", "locked")}


def strip_all_metadata(nb):
    for cell in nb.cells:
        cell.metadata = {}


def duplicate_test_above_answer(nb):
    test = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "test_cube")
    nb.cells.insert(test - 1, nbformat.from_dict(nb.cells[test]))


def script_in_markdown(nb):
    nb.cells.insert(2, v4.new_markdown_cell("<script>alert('md')</script> [click](javascript:alert(1))"))


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
    "os_exit": Case(after_square_test="import os\nos._exit(0)", points=2, flagged=True, reason="kernel died",
                    output_contains=["the Python kernel died in this cell"]),
    "segfault": Case(after_square_test="import ctypes\nctypes.string_at(0)", points=2, flagged=True, reason="kernel died"),
    "sigkill": Case(after_square_test="import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", points=2, flagged=True, reason="kernel died"),
    # 5. endless loops
    "loop_cell": Case(after_square_test="while True:\n    pass", points=3, reason="timeout",
                      output_contains=["stopped by the time limit"]),
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
    "detects_grading": Case(square=DETECT_GRADING, points=3, flagged=True),  # nothing tells it is graded: it answers right
    # 14. the records channel: links, pre-filled and late-written records, patched record, transformers
    "link_records": Case(square=STUB_SQUARE, cube=STUB_CUBE, before=LINK_RECORDS, points=0, flagged=True),
    "prefill_records": Case(square=STUB_SQUARE, cube=STUB_CUBE, before=PREFILL_RECORDS, points=0, flagged=True),
    "late_writer": Case(square=STUB_SQUARE, cube=STUB_CUBE, before=LATE_WRITER, points=0, flagged=True),
    "patch_record": Case(square=WRONG_SQUARE, before=PATCH_RECORD, points=1, flagged=True),
    "ast_forgery": Case(square=STUB_SQUARE, cube=STUB_CUBE, before=AST_FORGERY, points=0, flagged=True),
    "stray_records": Case(square=STUB_SQUARE, cube=STUB_CUBE, before=SEND_STRAY, points=0, flagged=True),
    # 15. the result pipe is out of reach: forged lines and a flood written where it used to be go nowhere
    "forge_lines": Case(square=STUB_SQUARE, cube=STUB_CUBE, at_end=FORGE_LINES, points=0, flagged=True),
    "flood_pipe": Case(at_end=FLOOD_PIPE, points=3, flagged=True),  # pid 1's stdout is /dev/null now
    # 16. honest work kept whatever the metadata
    "no_metadata": Case(edit=strip_all_metadata),
    "old_schema": Case(edit=old_schema),
    "duplicated_test": Case(edit=duplicate_test_above_answer),
    # 17. feedback stays inert
    "script_output": Case(at_end=SCRIPT_OUTPUT, edit=script_in_markdown, output_excludes=["<script>alert"]),
    # 18. the sandbox's view, from inside
    "probe_view": Case(at_end=PROBE_VIEW, flagged=True, output_contains=["'shadow': False", "'home': False", "'uid': 65534",
                                                                         "'repo': ['.venv', 'dgm_utils']"],
                       output_excludes=[CANARY]),
    # 19. a fork bomb before the answers: it times out, the rest is graded
    "fork_bomb_early": Case(before=FORK_BOMB_EARLY, points=0, flagged=True, reason="process limit",
                            output_contains=["a fork bomb?"]),
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
    feedback = (toy.feedback / student / A / f"{A}.html").read_text()
    for excluded in case.output_excludes:
        assert excluded not in feedback
    mimes = {key for cell in nbformat.read(path, as_version=4).cells for out in cell.get("outputs", []) for key in out.get("data", {})}
    assert mimes <= {"text/plain", "image/png", "image/jpeg"}, mimes
    assert "<script>alert" not in feedback and 'href="javascript' not in feedback.lower()
    assert "linspace(-2, 2, 5" not in feedback, "a hidden test reached the feedback"


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


def test_zip_one_oversized_member_rejects_that_member_only(toy, tmp_path):
    """A member past the size limit is refused alone; the students after it are collected."""
    archive = tmp_path / "class.zip"
    honest = nbformat.writes(build(toy, Case()))
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("aaa_big.ipynb", b" " * 30_000_000)
        for student in ("bob", "carol"):
            z.writestr(f"{student}.ipynb", honest)
    found = collect(toy, A, archive)
    assert found.students == ["bob", "carol"] and len(found.rejected) == 1 and "too large" in found.rejected[0]

"""dgm-validate, the students' pre-submission check, and nbgrader's Validate button behind it."""
import nbformat
import pytest

from autograder.course import Course
from autograder.notebook import grade_id
from dgm_utils import validate as v
from tests.mutants import apply
from tests.support import STUCK, answer_sheet, mutants_of, submission

COURSE = Course()
ASSIGNMENT = "01_change_of_variables"
NOTEBOOK = COURSE.notebooks(ASSIGNMENT)[0]
TESTS = [grade_id(c) for c in COURSE.source(ASSIGNMENT, NOTEBOOK).cells
         if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]


def write(tmp_path, nb, name=f"{NOTEBOOK}.ipynb"):
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def completed():
    return submission(COURSE, ASSIGNMENT, NOTEBOOK, answer_sheet(COURSE, ASSIGNMENT, NOTEBOOK))


def run(capsys, *args):
    code = v.main([str(a) for a in args])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("assignment", [a for a in COURSE.assignments() if any(
    c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")
    for nb in COURSE.notebooks(a) for c in COURSE.source(a, nb).cells)])
def test_written_answers_are_unanswered_in_the_release_and_answered_in_the_reference(assignment):
    notebook = COURSE.notebooks(assignment)[0]
    release = v.written_answers(COURSE.released(assignment, notebook))
    assert release and all(w.status == v.UNANSWERED for w in release)
    done = v.written_answers(submission(COURSE, assignment, notebook, answer_sheet(COURSE, assignment, notebook)))
    assert [w.grade_id for w in done] == [w.grade_id for w in release]
    assert all(w.status == v.ANSWERED for w in done)
    report = v.Report(COURSE.release / assignment, fast=True, written=release)
    assert not report.ok and "unanswered written answer: replace YOUR ANSWER HERE" in report.format()


@pytest.mark.slow
def test_release_is_unfinished_everywhere_and_exits_1(tmp_path, capsys):
    path = write(tmp_path, COURSE.released(ASSIGNMENT, NOTEBOOK))
    before = path.read_bytes()
    code, out = run(capsys, path)
    assert code == 1, out
    for test in TESTS:
        assert f"{test}" in out
    assert out.count("unfinished (NotImplementedError)") == len(TESTS), out
    assert "The notebook runs top to bottom" in out and "not ready yet" in out
    assert path.read_bytes() == before, "the student's file must not change"


@pytest.mark.slow
def test_completed_notebook_passes_and_exits_0(tmp_path, capsys):
    code, out = run(capsys, write(tmp_path, completed()))
    assert code == 0, out
    assert out.count("passes its visible tests") == len(TESTS) and "ready to submit" in out


@pytest.mark.slow
def test_mutant_fails_with_the_first_line_of_the_visible_tests_message(tmp_path):
    mutant = next(m for m in mutants_of(ASSIGNMENT) if m.name == "coupling_inverse_sigma_not_inverted")
    answers = answer_sheet(COURSE, ASSIGNMENT, NOTEBOOK)
    answers[mutant.cell] = apply(mutant, answers[mutant.cell])
    path = write(tmp_path, submission(COURSE, ASSIGNMENT, NOTEBOOK, answers))
    report = v.validate(path)
    status = {t.grade_id: t for t in report.tasks}
    assert status["test_cov"].status == v.FAILS
    message = status["test_cov"].message
    assert message and "\n" not in message and not message.startswith("AssertionError"), message
    assert "g(f(x))" in message, message  # check_inverse names the property that fails
    assert all(t.status == v.PASSES for t in report.tasks if t.grade_id != "test_cov"), report.format()
    assert report.runs_top_to_bottom and not report.ok
    assert " ".join(message.split()) in " ".join(report.format().split())


@pytest.mark.slow
def test_errors_outside_test_cells_and_edited_locked_cells_are_reported(tmp_path, capsys):
    nb = completed()
    setup = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "setup")
    nb.cells.insert(setup + 1, nbformat.v4.new_code_cell("ratio = 1 / 0  # a cell the student added"))
    layout = next(c for c in nb.cells if grade_id(c) == "jacobian_layout")
    layout.source += "\nprint('edited')"
    code, out = run(capsys, write(tmp_path, nb))
    assert code == 1, out
    assert "does NOT run top to bottom" in out and f"cell {setup + 1}: ZeroDivisionError: division by zero" in out
    assert "Locked cells you changed" in out and "jacobian_layout" in out
    assert out.count("passes its visible tests") == len(TESTS), out


@pytest.mark.slow
def test_an_endless_loop_is_stopped_and_reported(tmp_path):
    looping = nbformat.read(COURSE.samples / ASSIGNMENT / "loops_forever.ipynb", as_version=4)
    report = v.validate(write(tmp_path, looping), cell_seconds=20)
    assert any("duality_solution" in p and "timed out" in p for p in report.problems), report.format()
    status = {t.grade_id: t.status for t in report.tasks}
    assert status["test_kl_duality"] == v.FAILS and status["test_jacobian"] == v.PASSES, report.format()


@pytest.mark.slow
def test_nbgraders_validator_agrees_on_a_completed_notebook(tmp_path):
    """What the Validate button runs (nbgrader.validator.Validator) reports success too.

    Its per-cell time limit is the stuck-wait cap here (the course's is ``c.Execute.timeout`` in nbgrader_config.py):
    the test is about agreement, and a loaded machine must not fail it."""
    from nbgrader.validator import Validator
    from traitlets.config import Config

    config = Config()
    config.Execute.timeout = STUCK
    result = Validator(config=config).validate(str(write(tmp_path, completed())))
    assert result == {}, result


def test_unreadable_or_missing_notebooks_exit_2(tmp_path, capsys):
    assert run(capsys, tmp_path / "missing.ipynb")[0] == 2
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    assert run(capsys, broken)[0] == 2


def test_describe_gives_one_line():
    assert v.describe({"ename": "AssertionError", "evalue": "first line\nsecond", "traceback": []}) == "first line"
    bare = {"ename": "AssertionError", "evalue": "", "traceback": [
        "\x1b[0;31mAssertionError\x1b[0m  Traceback", "Cell \x1b[0;32mIn[3], line 2\x1b[0m\n      1 x = 1\n"
        "\x1b[0;32m----> 2\x1b[0m \x1b[38;5;28;01massert\x1b[39;00m x \x1b[38;5;241m==\x1b[39m 2\n"]}
    assert v.describe(bare) == "AssertionError at: assert x == 2"
    assert v.describe({"ename": "NameError", "evalue": "name 'f' is not defined"}) == "NameError: name 'f' is not defined"

"""End to end: every assignment proves it can grade.

The reference gets full marks, the untouched release zero, every mutant of the
catalogue loses points and every alternative (a correct answer written differently,
``tests/alternatives/``) gets full marks, all in one batch (an alternative listed in its
catalogue's ``KNOWN_UNFAIR`` is asserted to lose points: a documented unfairness of the
hidden tests); broken submissions get zero with a reason while the rest of the batch is
graded as if alone.

The alternatives are graded in packs (``tests.alternatives.packs``): one submission holds
an alternative for each of several tasks, as a student who writes everything their own
way. A test cell's verdict depends on what ran before it, so every alternative's tasks
earn their points in the context of the pack's earlier alternatives instead of the
reference's, and their differences must add up within the tolerances; an assignment
needs as many runs as its most varied task has alternatives, not one per alternative.

A mutant's run stops at its first test cell that loses points (``stop_at_first_loss``):
a test cell's verdict depends on that cell's own records only, so the whole run would
score below full marks too; the reference, the stub and the packs of alternatives run whole.
No figure is drawn (``figures=False``: only grades count here, and drawing is a tenth to
a quarter of a run's CPU time); the reference's records come from its run with figures,
so the reference's full marks show that drawing changes no record.

The batch is graded once, without nbgrader's feedback step: the reference earning full
marks already shows that a second run of the same notebook gives the reference run's
records; that a forced regrade stores the same grades is proven on the toy course
(``test_scale.py``, ``test_load.py``) and on the first two assignments (``test_cluster.py``);
feedback is checked by the demo batch below, ``test_feedback.py`` and ``test_adversarial.py``.
"""
import json
import os
import secrets
import subprocess
import sys

import nbformat
import pytest

from autograder import cli
from autograder.course import Course
from autograder.gradebook import nbgrader
from autograder.sandbox import Limits, ResultChannel, _exchange, sign
from tests import alternatives
from tests.alternatives import Alternative, packs
from tests.support import (
    SAMPLE_LIMITS, alternative_answers, alternatives_of, answer_sheet, copy_graded, mutants_of, mutated_answers,
    submission, write_submissions,
)
from tests.toy import A, WRONG_CUBE, WRONG_SQUARE, make_toy_course, toy_submission, write

ASSIGNMENTS = Course().assignments()
LIMITS = Limits(cell_seconds=180, notebook_seconds=900)  # generous: CI shares 2 cores between test workers

pytestmark = pytest.mark.slow


def lost_checks(result) -> dict[str, list[str]]:
    """``test cell -> failed records`` of a graded submission."""
    return {cell: sorted(v.failures) for cell, v in result.verdicts.items() if v.failures}


def grade(course, assignment, notebooks, stop_at_first_loss=()):
    """Grade exactly these submissions (others already collected are left as they are)."""
    write_submissions(course, assignment, notebooks)
    results = cli.grade(course, assignment, workers=2, limits=LIMITS, force=True, students=sorted(notebooks),
                        feedback=False, stop_at_first_loss=stop_at_first_loss, figures=False)
    return {r.student: r for r in results}


@pytest.mark.heavy
@pytest.mark.parametrize("assignment", ASSIGNMENTS[::-1])  # the later assignments, the longer batches, first
def test_reference_full_stub_zero_mutants_lose(course_copy, assignment):
    nbgrader(course_copy, "generate_assignment", assignment, "--force")
    notebook = course_copy.notebooks(assignment)[0]
    mutants = mutants_of(assignment)
    assert len(mutants) >= 8
    notebooks = {
        "reference": submission(course_copy, assignment, notebook, answer_sheet(course_copy, assignment, notebook)),
        "stub": course_copy.released(assignment, notebook),
    }
    for mutant in mutants:
        answers = mutated_answers(course_copy, assignment, notebook, [mutant])
        notebooks[f"mutant-{mutant.name}"] = submission(course_copy, assignment, notebook, answers)
    catalogue, known_unfair = alternatives_of(assignment)
    assert len(catalogue) >= 4 and set(known_unfair) <= {a.name for a in catalogue}
    packed = {f"alternatives-{number}": pack for number, pack in enumerate(packs(catalogue, alone=known_unfair), 1)}
    for name, pack in packed.items():
        answers = alternative_answers(course_copy, assignment, notebook, *pack)
        notebooks[name] = submission(course_copy, assignment, notebook, answers)
    results = grade(course_copy, assignment, notebooks, stop_at_first_loss=[n for n in notebooks if n.startswith("mutant-")])
    full = results["reference"].max_points
    assert results["reference"].points == full and full > 0, results["reference"].verdicts
    assert results["stub"].points == 0
    survivors = [name for name, r in results.items() if name.startswith("mutant") and r.points >= full]
    assert not survivors, f"mutants that kept full marks: {survivors}"
    members = {name: {a.name: sorted(a.code) for a in pack} for name, pack in packed.items()}
    unfair = {name: (members[name], lost_checks(results[name])) for name in packed
              if results[name].points < full and not set(members[name]) & set(known_unfair)}
    assert not unfair, ("correct alternatives (name: the solution cells each changes) that lost points in their pack "
                        f"(the grading is unfair, or an alternative wrong): {unfair}")
    fixed = [name for name in known_unfair for pack in packed if name in members[pack] and results[pack].points >= full]
    assert not fixed, f"alternatives listed in KNOWN_UNFAIR now get full marks: take them off the list: {fixed}"
    not_graded = {name: (r.status, r.reasons) for name, r in results.items() if r.status != "graded"}
    assert not not_graded, f"submissions not graded cleanly: {not_graded}"


def test_a_pack_holds_one_alternative_per_cell_and_name_and_a_known_unfair_one_alone():
    one = Alternative("one", {"a": "def f(x):\n    return x"}, "")
    two = Alternative("two", {"a": "def f(x):\n    return 1 * x"}, "")  # the same cell as one
    helper = Alternative("helper", {"b": "import math as m\ndef g(x):\n    return x"}, "")
    clash = Alternative("clash", {"c": "m = 2\ndef h(x):\n    return x"}, "")  # defines m, as helper's import does
    unfair = Alternative("unfair", {"d": "def k(x):\n    return x"}, "")
    found = packs([one, two, helper, clash, unfair], alone={"unfair"})
    assert [[a.name for a in pack] for pack in found] == [["one", "helper"], ["two", "clash"], ["unfair"]]
    sheet = {"a": "def f(x):\n    return x + 0", "b": "def g(x):\n    return -x"}
    assert alternatives.apply(two, alternatives.apply(helper, sheet)) == {  # a pack's answers: each in its own cell
        "a": "def f(x):\n    return 1 * x", "b": "def g(x):\n    return x\n\n\nimport math as m"}


@pytest.mark.xdist_group("browser")  # the samples graded once in a run, for this test and the formgrader's
def test_demo_samples_and_broken_submissions(graded_samples, tmp_path, capsys):
    """The bundled samples graded with feedback; then, in a batch with them, submissions that cannot run: those fail
    with a reason said to the instructor, the graded ones stay as they were."""
    samples, graded = graded_samples
    assignment = samples.assignments()[0]
    notebook = samples.notebooks(assignment)[0]
    full = graded["full_marks"].max_points
    assert graded["full_marks"].points == full
    assert graded["untouched"].points == 0
    assert 0 < graded["partly_right"].points < full
    looping = graded["loops_forever"]
    assert 0 < looping.points < full and any("timeout" in reason for reason in looping.reasons)
    feedback = samples.feedback / "full_marks" / assignment / f"{notebook}.html"
    assert feedback.is_file() and "Autograder:" in feedback.read_text()

    course = copy_graded(samples, tmp_path / "course")
    broken = course.submitted / "broken_json" / assignment
    broken.mkdir(parents=True)
    (broken / f"{notebook}.ipynb").write_text("{ not a notebook")
    renamed = course.submitted / "renamed" / assignment
    renamed.mkdir(parents=True)
    nbformat.write(nbformat.read(course.samples / assignment / "full_marks.ipynb", as_version=4),
                   renamed / "my_homework.ipynb")
    results = {r.student: r for r in cli.grade(course, assignment, workers=2, limits=SAMPLE_LIMITS)}
    for student in ("broken_json", "renamed"):
        assert results[student].status == "failed" and results[student].points == 0
    assert "my_homework.ipynb" in results["renamed"].reasons[0]
    assert {s: (r.points, r.status) for s, r in results.items() if s in graded} == \
           {s: (r.points, r.status) for s, r in graded.items()}
    said = capsys.readouterr().err  # the instructor is told which submissions failed, and why
    assert f"failed: renamed/{notebook}: expected {notebook}.ipynb" in said and f"failed: broken_json/{notebook}" in said


def figure_outputs(course, student) -> set[str]:
    """The kinds of output of the last cell (a figure) of a graded toy notebook."""
    graded = nbformat.read(course.autograded / student / A / f"{A}.ipynb", as_version=4)
    return {kind for out in graded.cells[-1].outputs for kind in out.get("data", {})}


def test_a_run_stopped_at_its_first_lost_point_or_without_figures_scores_as_the_whole_run(tmp_path):
    """The proofs' shortcuts. ``stop_at_first_loss``: cells up to the first losing one as in a whole run, zero after;
    a submission that loses nothing runs whole. ``figures=False``: the same verdicts, a figure shows as its text only.
    Neither grade is kept as up to date."""
    course = make_toy_course(tmp_path)
    answers = {"wrong_square": {"square": WRONG_SQUARE}, "wrong_cube": {"cube": WRONG_CUBE}, "right": {}}
    for student, typed in answers.items():
        nb = toy_submission(course, **typed)
        nb.cells.append(nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()"))
        write(course, student, nb)
    toy_limits = Limits(cell_seconds=30, notebook_seconds=120)
    stopped = {r.student: r for r in cli.grade(course, A, workers=2, limits=toy_limits, feedback=False,
                                               stop_at_first_loss=list(answers), figures=False)}
    assert figure_outputs(course, "right") == {"text/plain"}
    whole = {r.student: r for r in cli.grade(course, A, workers=2, limits=toy_limits, feedback=False)}
    assert figure_outputs(course, "right") == {"text/plain", "image/png"}
    assert "test_square" in lost_checks(stopped["wrong_square"])
    assert stopped["wrong_square"].verdicts["test_square"] == whole["wrong_square"].verdicts["test_square"]
    assert stopped["wrong_square"].verdicts["test_cube"].points == 0 < whole["wrong_square"].verdicts["test_cube"].points
    assert any("first lost point only (cell 3)" in reason for reason in stopped["wrong_square"].reasons)
    for student in ("wrong_cube", "right"):  # lost in the last test cell, or never: the whole run's verdicts
        assert stopped[student].verdicts == whole[student].verdicts
    assert any("first lost point only (cell 5)" in reason for reason in stopped["wrong_cube"].reasons)  # no figure
    assert not stopped["right"].reasons
    assert whole["right"].points == whole["right"].max_points > whole["wrong_square"].points
    assert not any("first lost point" in reason for r in whole.values() for reason in r.reasons)  # graded again


def test_a_stopped_run_ends_at_its_stopping_cell_though_later_lines_came_in_the_same_read():
    """Fast cells' lines can reach the grader together: the run counts as ending at the line that stopped it."""
    key = secrets.token_bytes(32)
    lines = "".join(f"{sign(key, text)} {text}\n" for text in (json.dumps({"seq": k, "index": k}) for k in range(3)))
    results, result_fd = os.pipe()
    writer = subprocess.Popen([sys.executable, "-c", f"import os; os.write({result_fd}, {lines.encode()!r})"],
                              stdin=subprocess.PIPE, pass_fds=(result_fd,), start_new_session=True)
    os.close(result_fd)
    channel = ResultChannel(key)
    try:
        _, _, stopped = _exchange(writer, b"", channel, results, Limits(), stop=lambda cell: cell["index"] == 0)
    finally:
        writer.wait()
        os.close(results)
    assert stopped and [cell["index"] for cell in channel.cells] == [0]

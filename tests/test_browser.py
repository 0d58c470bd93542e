"""JupyterLab and nbgrader's formgrader in a real browser: headless Chromium driven by Playwright.

Chromium is Debian's (``make setup`` installs it where the machine allows); Playwright
drives it through ``executable_path`` (its own browser download is never used). Each
test starts its server on 127.0.0.1, a free port and a random token, from a temporary
copy of the course, with Jupyter's config, settings and runtime folders in the test's
temporary folder; every wait is bounded and every server is stopped at the end.
Screenshots go to ``test-artifacts/browser/`` (git-ignored). Without Chromium or
Playwright the tests are skipped, except under CI, where that is a failure.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.course import REPO, Course
from autograder.notebook import grade_id, is_autograded_test
from dgm_utils.validate import FAILS, UNFINISHED, validate
from tests.mutants import apply
from tests.support import (CHROMIUM, SECONDS, STUCK, answer_sheet, chromium, copy_graded, mutants_of, stop_server,
                           submission, wait_for_server)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]  # one worker: one browser, one graded course

ASSIGNMENT = "01_change_of_variables"
ARTIFACTS = REPO / "test-artifacts" / "browser"
# JupyterLab settings for a quiet, deterministic page: every cell in the DOM, no news, no extension manager.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}


def _need_browser() -> None:
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright (dev extra: make setup)")
    if not Path(CHROMIUM).exists():
        missing.append("Debian's chromium (make setup installs it as root; else apt-get install chromium)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    with chromium() as launched:
        yield launched


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    token: str
    log: Path

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}?token={self.token}"


@contextmanager
def jupyter(app: str, root: Path, work: Path):
    """``jupyter APP`` serving ``root`` on loopback; Jupyter's own folders under ``work``."""
    settings = work / "settings"
    for name, value in LAB_SETTINGS.items():
        path = settings / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    config = work / "config"
    config.mkdir(parents=True, exist_ok=True)
    (work / "exchange").mkdir(exist_ok=True)  # nbgrader's exchange, unused here: keeps formgrader from warning
    (config / "nbgrader_config.py").write_text(f"c = get_config()\nc.Exchange.root = {str(work / 'exchange')!r}\n")
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(work / "workspaces"), "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
           "DGM_FAST": "1", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(Path(sys.executable).with_name("jupyter")), app, "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}"] + (["--allow-root"] if os.geteuid() == 0 else [])
    log = work / f"{app}.log"
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        server = Server(f"http://127.0.0.1:{port}", token, log)
        wait_for_server(process, server.url("api/status"), log, f"jupyter {app}")
        yield server
    finally:
        stop_server(process)
    assert process.returncode is not None


def _screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


_CELLS_JS = "Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'))"


def _prompts(page) -> list[str]:
    """Each cell's input prompt: "[ ]:" not run, "[*]:" running or queued, "[7]:" done (markdown cells: "")."""
    return page.evaluate(f"() => {_CELLS_JS}.map(c => (c.querySelector('.jp-InputPrompt') || {{}}).innerText || '')")


def _run_through(page, cells, last: int) -> None:
    """Run cells 0..``last`` one by one as a student does (select, Shift+Enter), then wait until ``last`` is done.

    Each press follows a click on the cell's prompt (the notebook has the keyboard focus, whatever a slow page
    did in between) and waits for the selection to move to the next cell: no keystroke is sent into the void.
    """
    for index in range(last + 1):
        cells.nth(index).locator(".jp-InputPrompt").click()
        page.keyboard.press("Escape")  # command mode: Shift+Enter runs the cell and selects the next
        page.keyboard.press("Shift+Enter")
        page.wait_for_function(f"() => {_CELLS_JS}.findIndex(c => c.classList.contains('jp-mod-active')) === {index + 1}",
                               timeout=STUCK * SECONDS)
    page.wait_for_function(  # the kernel has run the last cell: its prompt shows an execution count
        f"() => /\\[\\d+\\]/.test({_CELLS_JS}[{last}].querySelector('.jp-InputPrompt').innerText)",
        timeout=STUCK * SECONDS)


# -- JupyterLab: a student's notebook ------------------------------------------------------------

def test_jupyterlab_runs_the_first_task_and_shows_its_visible_test_message(browser, tmp_path):
    """A student who transposed the linear Jacobian in task 1 runs the task's cells and reads the message."""
    course = Course()
    notebook = course.notebooks(ASSIGNMENT)[0]
    root = tmp_path / "student"
    shutil.copytree(course.release, root / "course")
    mutant = next(m for m in mutants_of(ASSIGNMENT) if m.name == "linear_jacobian_transposed")
    answer = apply(mutant, answer_sheet(course, ASSIGNMENT, notebook)[mutant.cell])
    path = root / "course" / ASSIGNMENT / f"{notebook}.ipynb"
    nb = submission(course, ASSIGNMENT, notebook, {mutant.cell: answer})
    nbformat.write(nb, path)
    first_test = next(i for i, cell in enumerate(nb.cells) if is_autograded_test(cell))

    # What dgm-validate says about this notebook is what the page must show.
    report = validate(path)
    first = report.tasks[0]
    assert first.grade_id == grade_id(nb.cells[first_test]) and first.status == FAILS, report.format()
    assert all(t.status == UNFINISHED for t in report.tasks[1:]), report.format()
    expected = first.message[:70]

    with jupyter("lab", root, tmp_path / "jupyter") as server:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(STUCK * SECONDS)
        try:
            page.goto(server.url(f"lab/tree/course/{ASSIGNMENT}/{notebook}.ipynb"), timeout=STUCK * SECONDS)
            page.wait_for_function(  # the notebook renders its cells in batches: wait for all of them
                f"() => document.querySelectorAll('.jp-Notebook .jp-Cell').length >= {len(nb.cells)}")
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=STUCK * SECONDS)
            cells = page.locator(".jp-Notebook .jp-Cell")
            assert cells.count() == len(nb.cells)
            _run_through(page, cells, first_test)
            test_output = cells.nth(first_test).locator(".jp-OutputArea")
            shown = test_output.inner_text()
            assert expected in shown, f"the test cell shows:\n{shown[-3000:]}\nprompts: {_prompts(page)}"
            assert "AssertionError" in shown
            later = cells.nth(first_test + 2).locator(".jp-OutputArea")
            assert later.count() == 0 or later.inner_text().strip() == "", "only the first task should have run"
            cells.nth(first_test).locator(".jp-OutputArea").scroll_into_view_if_needed()
            _screenshot(page, "jupyterlab_task1_visible_test.png")

            # nbgrader's Validate button (its lab extension) on the same notebook.
            page.get_by_role("button", name="Validate").first.click()
            dialog = page.locator(".jp-Dialog")
            dialog.get_by_text("Validation Results").wait_for(timeout=STUCK * SECONDS)
            text = dialog.inner_text()
            assert "failed" in text.lower(), text[:2000]
            assert "check_jacobian(J_lin" in text, text[:2000]
            _screenshot(page, "jupyterlab_validate_button.png")
            dialog.get_by_role("button", name="Ok").click()
        except Exception:
            _screenshot(page, "jupyterlab_failure.png")
            print(f"jupyter lab log:\n{server.log.read_text()[-3000:]}")
            raise
        finally:
            page.close()


# -- formgrader: the instructor's view of the autograded demo submissions -------------------------

@pytest.fixture(scope="module")
def graded(graded_samples, tmp_path_factory):
    """A copy of the course where the bundled samples of assignment 01 were collected and autograded."""
    root = tmp_path_factory.mktemp("formgrader")
    course, results = graded_samples
    assert course.assignments()[0] == ASSIGNMENT
    return copy_graded(course, root / "course"), results, root


@pytest.fixture(scope="module")
def formgrader(browser, graded):
    course, results, root = graded
    with jupyter("server", course.root, root / "jupyter") as server:
        # The token on every request: a formgrader page opened directly with ?token= sets no login
        # cookie, so its API calls would be redirected to the login page.
        page = browser.new_page(viewport={"width": 1400, "height": 900},
                                extra_http_headers={"Authorization": f"token {server.token}"})
        page.set_default_timeout(STUCK * SECONDS)
        try:
            yield server, page, course, results
        finally:
            page.close()


_ROWS_JS = "Array.from(document.querySelectorAll('table tbody tr'))" \
    ".map(r => Array.from(r.cells).map(c => c.innerText.trim()))"


def _table_rows(page, count: int) -> list[list[str]]:
    """The table's rows, once at least `count` of them are filled (formgrader first shows an empty row)."""
    page.wait_for_function(
        f"() => {_ROWS_JS}.filter(cells => cells.filter(c => c !== '').length >= 2).length >= {count}",
        timeout=STUCK * SECONDS)
    return page.evaluate(f"() => {_ROWS_JS}")


def _score(points: float, max_points: float) -> str:
    return f"{points:g} / {max_points:g}"


def _gradebook_score(course: Course, student: str) -> str:
    """Formgrader's "score / max" of a submission: the maximum includes hand-graded points."""
    with Gradebook(course.db_url) as gb:
        submission = gb.find_submission(ASSIGNMENT, student)
        return _score(submission.score, submission.max_score)


def test_formgrader_lists_the_assignments_and_the_autograded_submissions_with_scores(formgrader):
    server, page, course, results = formgrader
    page.goto(server.url("formgrader"), timeout=STUCK * SECONDS)
    rows = {row[0]: row for row in _table_rows(page, len(course.assignments()))}
    assert set(course.assignments()) <= set(rows), rows
    assert str(len(results)) in rows[ASSIGNMENT], rows[ASSIGNMENT]  # the # Submissions column
    _screenshot(page, "formgrader_assignments.png")

    page.goto(server.url(f"formgrader/manage_submissions/{ASSIGNMENT}"), timeout=STUCK * SECONDS)
    by_student = {row[1]: row for row in _table_rows(page, len(results))}  # Student Name, Student ID, Timestamp, Status, Score
    assert set(by_student) == set(results), by_student
    for student, result in results.items():
        assert _gradebook_score(course, student).startswith(f"{result.points:g} / "), student
        assert _gradebook_score(course, student) in by_student[student], (student, by_student[student])
        assert by_student[student][2] not in ("", "None"), "the collected submission's timestamp"
    assert results["full_marks"].points == results["full_marks"].max_points > results["partly_right"].points > 0
    _screenshot(page, "formgrader_submissions.png")

    # Manual grading: the notebook's submissions with their scores, then one submission as a grader reviews it.
    notebook = course.notebooks(ASSIGNMENT)[0]
    page.goto(server.url(f"formgrader/gradebook/{ASSIGNMENT}/{notebook}"), timeout=STUCK * SECONDS)
    overall = sorted(row[2] for row in _table_rows(page, len(results)))  # (reveal), Submission ID, Overall Score, ...
    assert overall == sorted(_gradebook_score(course, s) for s in results)
    _screenshot(page, "formgrader_gradebook.png")
    page.get_by_role("button", name="Show All Names").click()
    page.get_by_role("link", name="partly_right").click()
    verdict = page.get_by_text("Autograder:").first
    verdict.wait_for(timeout=STUCK * SECONDS)
    verdict.scroll_into_view_if_needed()
    assert "checks passed" in verdict.inner_text()
    _screenshot(page, "formgrader_submission_partly_right.png")


def test_formgrader_shows_autograded_submissions_as_graded(formgrader):
    """Autograded cells never wait for a human; a hand-graded cell (if the notebook has one) does."""
    server, page, course, results = formgrader
    notebook = course.notebooks(ASSIGNMENT)[0]
    expected = {}
    with Gradebook(course.db_url) as gb:
        for student in results:
            grades = gb.find_submission_notebook(notebook, ASSIGNMENT, student).grades
            assert not [g.name for g in grades if g.needs_manual_grade and g.auto_score is not None], student
            expected[student] = "needs manual grading" if any(g.needs_manual_grade for g in grades) else "graded"
    page.goto(server.url(f"formgrader/manage_submissions/{ASSIGNMENT}"), timeout=STUCK * SECONDS)
    statuses = {row[1]: row[3] for row in _table_rows(page, len(results))}
    assert statuses == expected, statuses


def test_formgrader_autograde_button_runs_the_sandboxed_grader(formgrader):
    """The lightning icon of Manage Submissions regrades one student through autograder/formgrader.py."""
    server, page, course, results = formgrader
    student, notebook = "partly_right", course.notebooks(ASSIGNMENT)[0]
    stored = course.autograded / student / ASSIGNMENT / f"{notebook}.grade.json"
    before = stored.stat().st_mtime_ns
    with Gradebook(course.db_url) as gb:  # a wrong score in the gradebook: only a regrade puts it right
        for grade in gb.find_submission_notebook(notebook, ASSIGNMENT, student).grades:
            grade.auto_score = 0.0
        gb.db.commit()
    page.goto(server.url(f"formgrader/manage_submissions/{ASSIGNMENT}"), timeout=STUCK * SECONDS)
    _table_rows(page, len(results))
    page.locator("table tbody tr", has_text=student).locator("td.autograde a").click()
    modal = page.locator(".modal-dialog")
    modal.get_by_text("autograded").first.wait_for(timeout=STUCK * SECONDS)
    text = modal.inner_text()
    _screenshot(page, "formgrader_autograde_button.png")
    assert "Successfully autograded" in text, text[-3000:]
    assert "sandboxed autograde" in text, text[-3000:]
    modal.get_by_role("button", name="OK").click()

    page.reload()
    by_student = {row[1]: row for row in _table_rows(page, len(results))}
    assert _gradebook_score(course, student).startswith(f"{results[student].points:g} / ")
    assert _gradebook_score(course, student) in by_student[student], by_student[student]
    assert stored.stat().st_mtime_ns > before, "the ledger was not rewritten: the pipeline did not grade"
    graded = nbformat.read(course.autograded / student / ASSIGNMENT / f"{notebook}.ipynb", as_version=4)
    verdicts = [o.get("text", "") for cell in graded.cells for o in cell.get("outputs", [])]
    assert any(v.startswith("Autograder:") for v in verdicts), "not the sandboxed grader's notebook"
    _screenshot(page, "formgrader_after_autograde_button.png")

"""The course hub (``deploy/jupyterhub``): students submit through nbgrader's exchange, we grade, they fetch feedback.

The end-to-end test starts JupyterHub on 127.0.0.1 (a free port) with local system accounts
it creates (three students, one instructor) and removes afterwards, so it needs root on
Linux and is skipped elsewhere; configurable-http-proxy comes from ``make proxy`` (npm).
Chromium, driven by Playwright, plays the students in JupyterLab's Assignments panel; the
instructor's steps are the ``dgm-grade`` commands (run as root, the machine's admin, on the
instructors' course copy). Screenshots go to ``test-artifacts/hub/`` (git-ignored).
The exchange-reading unit test runs anywhere.
"""
from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import nbformat
import psutil
import pytest
from nbgrader.api import Gradebook

from autograder import cli
from autograder.collect import collect
from autograder.course import REPO, Course
from autograder.sandbox import Limits
from tests import roles
from tests.support import CHROMIUM, SECONDS, STUCK, answer_sheet, chromium, stop_server, submission, wait_for_server

sys.path.insert(0, str(REPO / "deploy" / "jupyterhub"))
import trial  # noqa: E402 (deploy/jupyterhub/trial.py: the hub's own set-up)

ASSIGNMENT = trial.ASSIGNMENT
ARTIFACTS = REPO / "test-artifacts" / "hub"
ACCOUNTS = trial.Accounts(students=("dgmhub-s1", "dgmhub-s2", "dgmhub-s3"), instructors=("dgmhub-inst",))
MEM_LIMIT = "1G"
ONE_HUB = pytest.mark.xdist_group("hub")
"""The tests that use the hub run on one xdist worker: its system accounts have fixed names, and on two workers the
first module teardown deletes the accounts the other's hub is spawning servers for."""


# -- nbgrader's exchange read by `dgm-grade collect` (no hub needed) --------------------------------

def _submit(inbound: Path, student: str, when: datetime, notebook: str, body: bytes) -> Path:
    """A submission folder as nbgrader's submit leaves it (name, notebook, timestamp, secret)."""
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    folder = inbound / f"{student}+{ASSIGNMENT}+{stamp}+{secrets.token_urlsafe(9)}"
    folder.mkdir(parents=True)
    (folder / f"{notebook}.ipynb").write_bytes(body)
    (folder / "timestamp.txt").write_text(stamp)
    (folder / "submission_secret.txt").write_text(secrets.token_hex(64))
    return folder


def test_collect_reads_the_latest_inbound_submission_of_each_student_who_made_it(course_copy, tmp_path):
    notebook = course_copy.notebooks(ASSIGNMENT)[0]
    me = pwd.getpwuid(os.geteuid()).pw_name
    inbound = tmp_path / "exchange" / "dgm" / "inbound"
    first = datetime(2026, 11, 1, 10, 0, tzinfo=timezone.utc)
    _submit(inbound, me, first, notebook, b"first")
    latest = _submit(inbound, me, first + timedelta(hours=1), notebook, b"second")
    _submit(inbound, "someone-else", first, notebook, b"forged")  # made by this process's user, not by them
    (inbound / f"{me}+other_assignment+{first:%Y-%m-%d %H:%M:%S.%f} UTC+x").mkdir()
    link = inbound / f"{me}+{ASSIGNMENT}+2026-12-01 00:00:00.000000 UTC+link"
    link.symlink_to(latest)

    found = collect(course_copy, ASSIGNMENT, tmp_path / "exchange")
    assert found.students == [me]
    assert sorted(r.split(": ")[0] for r in found.rejected) == sorted([link.name, next(
        p.name for p in inbound.iterdir() if p.name.startswith("someone-else"))]), found.rejected
    submitted = course_copy.submitted / me / ASSIGNMENT
    assert (submitted / f"{notebook}.ipynb").read_bytes() == b"second"
    assert datetime.fromisoformat((submitted / "timestamp.txt").read_text()) == first + timedelta(hours=1)
    assert (submitted / "submission_secret.txt").read_text() == (latest / "submission_secret.txt").read_text()


# -- the hub, end to end -----------------------------------------------------------------------------

def _need_hub() -> None:
    missing = []
    if sys.platform != "linux" or os.geteuid() != 0:
        missing.append("root on Linux (it creates local accounts and starts servers as them)")
    if not shutil.which("useradd"):
        missing.append("useradd")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright (dev extra: make setup)")
    if not Path(CHROMIUM).exists():
        missing.append("Debian's chromium (make setup installs it as root)")
    if not trial.PROXY.exists() and not shutil.which("npm"):
        missing.append("npm, to install configurable-http-proxy (make proxy)")
    if missing:
        pytest.skip("the hub test needs " + " and ".join(missing))


def _free_port() -> int:
    """A port p with p + 1 and p + 2 free too (the hub's and the proxy's APIs)."""
    for _ in range(50):
        sockets = []
        try:
            first = socket.socket()
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            sockets.append(first)
            for offset in (1, 2):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no three consecutive free ports on 127.0.0.1")


@dataclass
class Hub:
    base: str
    work: Path
    course: Course
    folder_course: Course  # the same course, released, for grading the same notebooks from a folder
    exchange: Path
    log: Path

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"


def _kill_processes_of(users: tuple[str, ...]) -> None:
    left = [p for p in psutil.process_iter(["username"]) if p.info["username"] in users]
    for process in left:
        process.kill()
    psutil.wait_procs(left, timeout=15)


@contextmanager
def _running_hub(work: Path, course: Course, folder_course: Course, exchange: Path):
    port = _free_port()
    env = trial.hub_environment(ACCOUNTS, course.root, exchange, work / "state", trial.users_python(work / "python"),
                                port=port, mem_limit=MEM_LIMIT)
    env["DGM_SPAWN_TIMEOUT"] = str(STUCK)  # the grading proofs may share the two cores: slow is not failed
    log = work / "hub.log"
    with open(log, "w") as out:
        process = subprocess.Popen(trial.hub_command(), env=env, cwd=work, stdout=out, stderr=subprocess.STDOUT)
    hub = Hub(f"http://127.0.0.1:{port}", work, course, folder_course, exchange, log)
    try:
        wait_for_server(process, hub.url("hub/api"), log, "jupyterhub")
        yield hub
    finally:
        stop_server(process, grace=90)  # JupyterHub stops every user server and the proxy first


@pytest.fixture(scope="module")
def hub():
    _need_hub()
    if not trial.PROXY.exists():
        subprocess.run(["make", "proxy"], cwd=REPO, check=True)
    work = Path(tempfile.mkdtemp(prefix="dgm-hub-", dir="/tmp"))
    os.chmod(work, 0o755)  # the users' servers run its Python view and reach the exchange through it
    trial.create_accounts(ACCOUNTS)
    try:
        course = Course(trial.course_copy(work / "course"))
        exchange = trial.exchange(work / "exchange")
        trial.release(course.root, exchange, ASSIGNMENT)
        folder_course = Course(shutil.copytree(course.root, work / "folder_course", symlinks=True))
        with _running_hub(work, course, folder_course, exchange) as running:
            yield running
    finally:
        _kill_processes_of(ACCOUNTS.all)
        trial.remove_accounts(ACCOUNTS)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(hub):
    with chromium() as launched:
        yield launched


def _screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


def _text_of(page) -> str:
    """The page's text, or "" while it navigates."""
    from playwright.sync_api import Error as PlaywrightError
    try:
        return page.inner_text("body", timeout=5 * SECONDS)
    except PlaywrightError:
        return ""


def _log_in(browser, hub: Hub, user: str):
    """A page of ``user``'s JupyterLab, once the hub has started their server (any password: trial).

    A spawn that fails is relaunched once, as the student would press the hub's "Relaunch Server": JupyterHub gives
    up a spawn on internal time limits, some hard-coded (30 s for its proxy's API, ``jupyterhub/proxy.py``), which
    a saturated machine can exceed. A second failure fails the test with both pages' text and the hub's log.
    """
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(hub.url("hub/login"), timeout=STUCK * SECONDS)
    page.fill("#username_input", user)
    page.fill("#password_input", "trial")
    page.click("#login_submit")
    failures: list[str] = []
    deadline = time.monotonic() + STUCK
    while f"/user/{user}/lab" not in page.url:  # the spawn-pending page forwards there once the server answers
        shown = _text_of(page)
        if ("spawn-pending" in page.url and "failed" in shown.lower()) or "Internal Server Error" in shown:
            failures.append(f"{page.url}: {shown[:500]}")
            if len(failures) == 2:
                break
            page.goto(hub.url(f"hub/spawn/{user}"), timeout=STUCK * SECONDS)
        if time.monotonic() > deadline:
            failures.append(f"still {page.url} after {STUCK} s: {shown[:500]}")
            break
        page.wait_for_timeout(1000)
    if f"/user/{user}/lab" not in page.url:
        raise AssertionError(f"{user}'s server did not start:\n" + "\n".join(failures) +
                             f"\nthe hub's log ends:\n{hub.log.read_text()[-4000:]}")
    if failures:  # shown in pytest's warnings summary: a relaunch that keeps being needed is a finding
        warnings.warn(f"{user}'s first spawn failed and was relaunched: {failures[0]}", stacklevel=2)
    page.wait_for_selector("#jp-main-dock-panel", timeout=STUCK * SECONDS)
    return page


def _assignments(page):
    """nbgrader's Assignments panel (menu Nbgrader > Assignment List), its assignment list loaded."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
    panel = page.locator("#nbgrader-assignment-list")
    panel.locator("#released_assignments_list_loading").wait_for(state="hidden", timeout=STUCK * SECONDS)
    return panel


def _fetch(page):
    panel = _assignments(page)
    panel.locator("#released_assignments_list").get_by_text(ASSIGNMENT).wait_for(timeout=STUCK * SECONDS)
    panel.locator("#released_assignments_list").get_by_role("button", name="Fetch").click()
    panel.locator("#fetched_assignments_list").get_by_text(ASSIGNMENT).first.wait_for(timeout=STUCK * SECONDS)
    return panel


def _submit_in_browser(panel) -> None:
    from playwright.sync_api import expect

    submitted = panel.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT)
    before = submitted.count()
    panel.locator("#fetched_assignments_list").get_by_role("button", name="Submit").click()
    expect(submitted).to_have_count(before + 1, timeout=STUCK * SECONDS)


def _write_as(user: str, path: Path, nb) -> None:
    """Save ``nb`` over the user's notebook, owned by them (what their editor would do)."""
    nbformat.write(nb, path)
    account = pwd.getpwnam(user)
    os.chown(path, account.pw_uid, account.pw_gid)


def _fetched_notebook(user: str, notebook: str) -> Path:
    return Path(pwd.getpwnam(user).pw_dir) / ASSIGNMENT / f"{notebook}.ipynb"


def _dgm_grade(*args: str) -> str:
    done = subprocess.run([str(Path(sys.executable).with_name("dgm-grade")), *args], capture_output=True, text=True)
    assert done.returncode == 0, f"dgm-grade {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _as_user(user: str, code: str, *args: str) -> dict:
    """Run Python ``code`` as ``user`` (the system's Python, the user's environment); its JSON output."""
    done = subprocess.run(["runuser", "-u", user, "--", "/usr/bin/python3", "-c", code, *args],
                          capture_output=True, text=True, cwd="/", timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


READS = """
import json, os, sys
result = {}
for path in sys.argv[1:]:
    try:
        os.listdir(path) if os.path.isdir(path) else open(path, "rb").read(1)
        result[path] = "read"
    except PermissionError:
        result[path] = "denied"
print(json.dumps(result))
"""


def _roles_of(hub: Hub, user: str, staff: bool) -> dict:
    """What ``tests/roles.py``'s probe finds in ``user``'s server environment (as the spawner sets it)."""
    python = hub.work / "python" / "bin" / "python"
    config = REPO / "deploy" / "jupyterhub" / ("instructor" if staff else "student")
    done = subprocess.run(["runuser", "-u", user, "--", "env", f"JUPYTER_CONFIG_DIR={config}",
                           f"HOME={pwd.getpwnam(user).pw_dir}", str(python), "-c", roles.PROBE],
                          capture_output=True, text=True, cwd="/", timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _gradebook(course: Course) -> dict[str, tuple[float, float]]:
    """``student -> (score before the late penalty, late penalty)`` of the assignment."""
    with Gradebook(course.db_url) as gb:
        return {s.student.id: (s.score, s.late_submission_penalty) for s in gb.find_assignment(ASSIGNMENT).submissions}


@pytest.mark.slow
@ONE_HUB
def test_students_submit_through_the_exchange_and_fetch_their_graded_feedback(hub, browser):
    course = hub.course
    notebook = course.notebooks(ASSIGNMENT)[0]
    s1, s2, s3 = ACCOUNTS.students
    answers = answer_sheet(course, ASSIGNMENT, notebook)
    first_task = next(iter(answers))
    started = time.monotonic()

    # Student 1: fetches 01 in the Assignments panel, answers one task, validates, submits.
    page1 = _log_in(browser, hub, s1)
    panel = _fetch(page1)
    one_task = submission(course, ASSIGNMENT, notebook, {first_task: answers[first_task]})
    _write_as(s1, _fetched_notebook(s1, notebook), one_task)
    panel.locator("#fetched_assignments_list").get_by_text(ASSIGNMENT).first.click()  # shows its notebooks
    panel.locator("#fetched_assignments_list").get_by_role("button", name="Validate").click()
    dialog = page1.locator(".jp-Dialog")
    dialog.get_by_text("Validation Results").wait_for(timeout=STUCK * SECONDS)
    assert "failed" in dialog.inner_text().lower()  # the other tasks are still stubs
    _screenshot(page1, "student_validate.png")
    dialog.get_by_role("button", name="Ok").click()
    _submit_in_browser(panel)
    _screenshot(page1, "student_submitted.png")

    # Student 2 submits the untouched notebook; then the due date passes; then student 3 submits, late.
    page2 = _log_in(browser, hub, s2)
    _submit_in_browser(_fetch(page2))
    page3 = _log_in(browser, hub, s3)
    panel3 = _fetch(page3)
    _write_as(s3, _fetched_notebook(s3, notebook), submission(course, ASSIGNMENT, notebook, answers))
    due = datetime.now(timezone.utc).replace(tzinfo=None)
    with Gradebook(course.db_url) as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=due)
    _submit_in_browser(panel3)
    print(f"students' part in the browser: {time.monotonic() - started:.0f} s")

    # The instructor: collect from the exchange, grade in the sandbox, release the feedback.
    collected = _dgm_grade("collect", ASSIGNMENT, str(hub.exchange), "--root", str(course.root))
    assert "collected 3 submissions" in collected, collected
    _dgm_grade("grade", ASSIGNMENT, "--workers", "2", "--root", str(course.root))
    released = _dgm_grade("release-feedback", ASSIGNMENT, str(hub.exchange), "--root", str(course.root))
    assert all(s in released for s in ACCOUNTS.students), released
    grades = _gradebook(course)
    print("from the exchange (score, late penalty):", grades)

    # The same notebooks graded from a folder give the same points; only the late one loses them.
    folder_course = hub.folder_course
    shutil.copytree(course.reference_cache, folder_course.reference_cache)  # the same reference, not run twice
    folder = hub.work / "folder"
    folder.mkdir()
    for student in ACCOUNTS.students:
        shutil.copy(course.submitted / student / ASSIGNMENT / f"{notebook}.ipynb", folder / f"{student}.ipynb")
    collect(folder_course, ASSIGNMENT, folder)
    from_folder = {r.student: r.points for r in cli.grade(folder_course, ASSIGNMENT, workers=2, limits=Limits())}
    print("from a folder:", from_folder)
    assert {s: score for s, (score, _) in grades.items()} == pytest.approx(from_folder)
    assert grades[s1][0] > 0 and grades[s2][0] == 0 and grades[s3][0] > grades[s1][0]
    assert grades[s1][1] == grades[s2][1] == 0
    assert grades[s3][1] == grades[s3][0], "the late submission scores zero (penalty_method 'zero')"

    # Student 1 fetches the feedback in the Assignments panel and reads their points.
    page1.locator("#refresh_assignments_list").click()
    fetch_feedback = panel.locator("#submitted_assignments_list").get_by_role("button", name="Fetch Feedback")
    fetch_feedback.wait_for(timeout=STUCK * SECONDS)
    _screenshot(page1, "assignments_before_feedback.png")
    fetch_feedback.click()
    panel.locator("#submitted_assignments_list").get_by_text("view feedback").first.wait_for(timeout=STUCK * SECONDS)
    _screenshot(page1, "assignments_after_feedback.png")
    assert page1.get_by_text("Jupyter news").count() == 0, "the course's lab settings silence JupyterLab's news prompt"
    fetched = next((Path(pwd.getpwnam(s1).pw_dir) / ASSIGNMENT / "feedback").glob(f"*/{notebook}.html"))
    feedback = page1.context.new_page()
    feedback.goto(hub.url(f"user/{s1}/files/{quote(str(fetched.relative_to(pwd.getpwnam(s1).pw_dir)))}"),
                  timeout=STUCK * SECONDS)
    heading = feedback.get_by_text(f"{notebook} (Score:").first
    heading.wait_for(timeout=STUCK * SECONDS)
    shown = re.search(r"Score: ([\d.]+) / ([\d.]+)", heading.inner_text())
    assert shown and float(shown.group(1)) == pytest.approx(grades[s1][0], abs=0.01), heading.inner_text()
    _screenshot(feedback, "student_feedback.png")

    # What a student may read: not another's submission, its secret, the feedback of others, the solutions.
    inbound = hub.exchange / "dgm" / "inbound"
    theirs = next(p for p in inbound.iterdir() if p.name.startswith(f"{s1}+"))
    paths = [inbound, theirs / f"{notebook}.ipynb", theirs / "submission_secret.txt", hub.exchange / "dgm" / "feedback",
             course.solutions / ASSIGNMENT / f"{notebook}.ipynb", course.solutions, Path(pwd.getpwnam(s1).pw_dir)]
    seen = _as_user(s2, READS, *map(str, paths))
    assert set(seen.values()) == {"denied"}, seen
    own = _as_user(s1, READS, str(theirs / f"{notebook}.ipynb"))
    assert set(own.values()) == {"read"}, own

    # Roles: students have nbgrader's student extensions only; the instructor has formgrader.
    assert _roles_of(hub, s2, staff=False) == roles.STUDENT
    assert _roles_of(hub, ACCOUNTS.instructors[0], staff=True) == roles.INSTRUCTOR
    print(f"whole flow: {time.monotonic() - started:.0f} s")


HOG = "x = b'0' * (8 * 2**30)  # far past the server's memory limit"
# In the student's page (their login cookie): start a kernel through the server's API, send it HOG, return its id.
RUN_IN_NEW_KERNEL = """async ([base, code]) => {
  const xsrf = document.cookie.match(/_xsrf=([^;]+)/)[1];
  const reply = await fetch(base + 'api/kernels', {method: 'POST', headers: {'X-XSRFToken': xsrf}, body: '{}'});
  const kernel = await reply.json();
  const ws = new WebSocket(base.replace(/^http/, 'ws') + 'api/kernels/' + kernel.id + '/channels');
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  ws.send(JSON.stringify({channel: 'shell', buffers: [], metadata: {}, parent_header: {},
    header: {msg_id: 'hog', session: 'hog', username: '', msg_type: 'execute_request', version: '5.3'},
    content: {code: code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false}}));
  return kernel.id;
}"""


def _kernel_process(user: str, kernel_id: str) -> psutil.Process:
    """The kernel's process (its command line names its connection file, ``kernel-{id}.json``)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for process in psutil.process_iter(["username", "cmdline"]):
            if process.info["username"] == user and any(kernel_id in arg for arg in process.info["cmdline"] or []):
                return process
        time.sleep(0.5)
    raise AssertionError(f"no kernel process {kernel_id} of {user} in 120 s")


@pytest.mark.slow
@ONE_HUB
def test_a_runaway_kernel_dies_at_its_servers_memory_limit_and_the_hub_and_others_keep_working(hub, browser):
    s1, s2 = ACCOUNTS.students[:2]
    page1, page2 = _log_in(browser, hub, s1), _log_in(browser, hub, s2)
    cgroup = _memory_cgroup(s2)
    server = psutil.Process(int((cgroup / "cgroup.procs").read_text().split()[0]))
    kernel_id = page2.evaluate(RUN_IN_NEW_KERNEL, [hub.url(f"user/{s2}/"), HOG])
    _kernel_process(s2, kernel_id).wait(timeout=STUCK)

    limit = int((cgroup / "memory.limit_in_bytes").read_text())
    peak = int((cgroup / "memory.max_usage_in_bytes").read_text())
    oom = dict(line.split() for line in (cgroup / "memory.oom_control").read_text().splitlines())
    assert limit == 2**30 and peak <= limit
    assert int(oom.get("oom_kill", 1)) > 0, "the kernel should be killed by the cgroup's OOM killer"
    assert server.is_running(), "the student's Jupyter server itself survives: only the allocating kernel dies"
    assert urllib.request.urlopen(hub.url("hub/api"), timeout=30).status == 200
    for page, user in ((page1, s1), (page2, s2)):
        status = page.request.get(hub.url(f"user/{user}/api/status"), timeout=STUCK * SECONDS)
        assert status.ok, (user, status.status)
    print(f"{s2}'s server: peak {peak / 2**20:.0f} MiB of a {limit / 2**20:.0f} MiB limit; kernel killed")


def _memory_cgroup(user: str) -> Path:
    """The memory cgroup (v1) of ``user``'s server, as ``spawner.CourseSpawner`` made it."""
    path = Path("/sys/fs/cgroup/memory/dgm-grader") / f"hub-{user}"
    if not path.is_dir():
        pytest.skip("no cgroup v1 memory controller here: the limit is enforced (cgroup v2) but not inspected")
    return path

"""Grading on a Dask cluster (``--scheduler``): the local path's grades, recovery from lost workers, fail fast.

Each test starts its own scheduler and workers as separate processes on 127.0.0.1
(``dask scheduler``, ``dask worker``), configured as ``docs/cluster.md`` says. Kills wait
on events (a task executing on that worker), never on the clock.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from distributed import Client
from nbgrader.api import Gradebook

from autograder import cli
from autograder.sandbox import Limits
from tests.support import SAMPLE_LIMITS, copy_course, copy_graded
from tests.test_scale import EXPECTED, cli_command, postgres, scores, submit_all  # noqa: F401 (postgres: a fixture)
from tests.toy import A, make_toy_course, toy_submission, write

DASK = Path(sys.executable).with_name("dask")
CONFIG = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",  # as docs/cluster.md: fail after two lost workers
          "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}  # a worker holds only the task it runs
LIMITS = Limits(cell_seconds=10, notebook_seconds=120)
WAIT = 1200  # seconds: the bound of every wait on an event (a loaded machine is slow, never this slow)


def wait_for(what: str, condition, process: subprocess.Popen | None = None):
    """Poll ``condition()`` until it is truthy (and ``process`` still runs); its value."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and (process is None or process.poll() is None):
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"waited in vain for {what}" + (f" (exit code {process.returncode})" if process else ""))


class LoopbackCluster:
    """A Dask scheduler and named workers, each a process group of its own on 127.0.0.1."""

    def __init__(self, folder: Path):
        self.folder, self.workers = folder, {}
        file = folder / "scheduler.json"
        self.scheduler = self._start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0",
                                     "--no-dashboard", "--scheduler-file", str(file))
        self.address = wait_for("the scheduler", lambda: file.is_file() and json.loads(file.read_text())["address"])
        self.monitor = Client(self.address, timeout=30, set_as_default=False)

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        with open(self.folder / f"{name}.log", "wb") as log:
            return subprocess.Popen([str(DASK), *args], env={**os.environ, **CONFIG}, start_new_session=True,
                                    stdout=log, stderr=subprocess.STDOUT)

    def add_worker(self, name: str) -> str:
        """Start a worker (one process, one thread) and wait until the scheduler has it; its address."""
        self.workers[name] = self._start(name, "worker", self.address, "--nworkers", "1", "--nthreads", "1",
                                         "--name", name, "--no-dashboard")
        return wait_for(f"worker {name}", lambda: self.address_of(name))

    def address_of(self, name: str) -> str | None:
        found = [a for a, w in self.monitor.scheduler_info()["workers"].items() if w["name"] == name]
        return found[0] if found else None

    def executing(self, name: str) -> list[str]:
        """Keys of the grading tasks (``grade_task``, not the shared ``NotebookSpec``) the worker ``name`` runs now."""
        address = self.address_of(name)
        if address is None:
            return []
        ran = self.monitor.run(lambda dask_worker: [str(ts.key) for ts in dask_worker.state.executing],
                               workers=[address], on_error="return")
        keys = ran.get(address) if isinstance(ran.get(address), list) else []
        return [key for key in keys if key.startswith("grade_task")]

    def kill(self, name: str) -> None:
        """SIGKILL to the worker's process group (nanny and worker; its sandboxes die with it): the machine is lost."""
        os.killpg(self.workers[name].pid, signal.SIGKILL)
        self.workers[name].wait()
        wait_for(f"the scheduler to drop {name}", lambda: self.address_of(name) is None)

    def close(self) -> None:
        self.monitor.close()
        for process in [*self.workers.values(), self.scheduler]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def cluster(tmp_path):
    started = LoopbackCluster(tmp_path)
    yield started
    started.close()


def snapshot(root: Path) -> dict[str, tuple[int, float]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime) for p in root.rglob("*") if p.is_file()}


def test_the_local_path_imports_no_dask():
    code = "import sys, autograder.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert found.strip() == "[]"


def test_an_unreachable_scheduler_stops_the_run_at_once_and_nothing_is_written(tmp_path, capsys):
    course = copy_course(tmp_path)
    assignment = course.assignments()[0]
    cli.collect(course, assignment, course.samples / assignment)
    before = snapshot(tmp_path)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    code = cli.main(["grade", assignment, "--scheduler", f"tcp://127.0.0.1:{port}", "--root", str(course.root)])
    seconds = time.monotonic() - start
    err = capsys.readouterr().err
    print(f"unreachable scheduler: exit code {code} after {seconds:.1f} s: {err.strip()}")
    assert code == 2 and f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in err
    assert snapshot(tmp_path) == before and not (course.work / "gradebook.db").exists()


@pytest.mark.parametrize("shortcut", [{"stop_at_first_loss": ["ann"]}, {"figures": False}], ids=["stop", "no_figures"])
def test_the_proofs_shortcuts_are_refused_on_a_cluster_before_anything_is_written(tmp_path, shortcut):
    """A cluster grades every submission whole and with its figures: the grading proofs' shortcuts are local only."""
    course = make_toy_course(tmp_path)
    write(course, "ann", toy_submission(course))
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match="for local batches"):
        cli.grade(course, A, workers=1, limits=LIMITS, scheduler="tcp://127.0.0.1:1", **shortcut)
    assert snapshot(tmp_path) == before


def crashing(nb):
    """The notebook with a cell after its first solution cell that kills the kernel."""
    first = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    nb.cells.insert(first + 1, nbformat.v4.new_code_cell("import os\nos._exit(3)"))
    return nb


def outcome(results) -> dict:
    return {(r.student, r.notebook): (r.status, r.points, r.reasons, r.flags,
                                      {g: (v.checks, v.failures) for g, v in r.verdicts.items()}) for r in results}


@pytest.mark.slow
@pytest.mark.xdist_group("browser")  # the first assignment's samples as graded here once in a run (graded_samples)
def test_the_cluster_grades_two_assignments_exactly_as_the_local_path(tmp_path, cluster, graded_samples):
    """The samples of the first two assignments and a crash, graded here and on two workers: the same outcome.

    Here, the first assignment's samples (the endless loop included) are the batch the formgrader tests look at; the
    second's leave the endless loop out (time).
    """
    samples, graded_here = graded_samples
    course = copy_graded(samples, tmp_path / "course")
    for name in ("w1", "w2"):
        cluster.add_worker(name)
    first, second = course.assignments()[:2]
    cli.collect(course, second, course.samples / second)
    crash = course.submitted / "crashes" / first
    crash.mkdir(parents=True)
    notebook = course.notebooks(first)[0]
    nbformat.write(crashing(nbformat.read(course.samples / first / "full_marks.ipynb", as_version=4)),
                   crash / f"{notebook}.ipynb")
    students = {first: ["crashes", *graded_here], second: ["full_marks", "partly_right", "untouched"]}
    local = {first: [*graded_here.values(), *cli.grade(course, first, workers=2, limits=SAMPLE_LIMITS, students=["crashes"],
                                                       feedback=False)],
             second: cli.grade(course, second, workers=2, limits=SAMPLE_LIMITS, students=students[second], feedback=False)}
    remote = {}
    for assignment, wanted in students.items():
        graded = cli.grade(course, assignment, workers=2, limits=SAMPLE_LIMITS, students=wanted, feedback=False,
                           force=True, scheduler=cluster.address)
        print(assignment, {r.student: (r.points, r.status) for r in graded})
        assert outcome(graded) == outcome(local[assignment])
        remote |= {(r.student, assignment): r for r in graded}
    for assignment in students:
        assert remote["full_marks", assignment].points == remote["full_marks", assignment].max_points > 0
        assert remote["untouched", assignment].points == 0 < remote["partly_right", assignment].points
    assert any("timeout" in reason for reason in remote["loops_forever", first].reasons)
    assert any("kernel died" in reason for reason in remote["crashes", first].reasons)
    feedback = course.autograded / "crashes" / first / f"{notebook}.ipynb"
    assert "the Python kernel died in this cell" in feedback.read_text()


@pytest.mark.slow
def test_a_worker_killed_mid_task_loses_nothing_and_grades_each_submission_once(tmp_path, cluster, postgres):
    course = make_toy_course(tmp_path / "course", database=postgres)
    submit_all(course)
    names = {cluster.add_worker(name): name for name in ("w1", "w2")}
    with open(tmp_path / "grade.out", "w+") as out:
        grader = subprocess.Popen(cli_command(course, "grade", A, "--scheduler", cluster.address), stdout=out,
                                  stderr=subprocess.STDOUT, text=True)
        moving = wait_for("a task executing on w1", lambda: cluster.executing("w1"), grader)
        cluster.kill("w1")
        grader.wait(timeout=WAIT)
        out.seek(0)
        output = out.read()
    lost = [line for line in output.splitlines() if "was lost while grading" in line]
    print(f"killed w1 ({next(a for a, n in names.items() if n == 'w1')}) while it executed {moving}", *lost, sep="\n")
    assert grader.returncode == 0, output[-3000:]
    assert len(lost) == 1 and f"graded on {next(a for a, n in names.items() if n == 'w2')}" in lost[0], output[-3000:]
    assert f"{len(EXPECTED)} graded, 0 flagged for review, 0 failed" in output
    assert scores(course) == EXPECTED
    with Gradebook(course.db_url) as gb:
        assert len(gb.assignment_submissions(A)) == len(EXPECTED)
    assert {p.parts[-3] for p in course.autograded.glob(f"*/{A}/{A}.grade.json")} == set(EXPECTED)


@pytest.mark.slow
def test_a_submission_whose_workers_die_twice_fails_with_the_reason_and_is_graded_by_the_next_run(tmp_path, cluster):
    course = make_toy_course(tmp_path / "course")
    write(course, "ann", toy_submission(course))
    cluster.add_worker("w1")
    command = cli_command(course, "grade", A, "--scheduler", cluster.address)
    grader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for name, then in (("w1", "w2"), ("w2", None)):
        wait_for(f"ann's task executing on {name}", lambda: cluster.executing(name), grader)
        cluster.kill(name)
        if then:
            cluster.add_worker(then)
    output = grader.communicate(timeout=WAIT)[0]
    print(output[-2000:])
    assert grader.returncode == 1 and "the Dask workers grading it died 2 times" in output
    assert "was lost while grading ann/00_toy (then failed)" in output

    cluster.add_worker("w3")
    again = subprocess.run(command, capture_output=True, text=True, timeout=WAIT)
    assert again.returncode == 0 and "1 graded" in again.stdout, again.stdout + again.stderr
    assert scores(course) == {"ann": 3.0}


@pytest.mark.slow
def test_a_scheduler_lost_mid_batch_stops_the_run_and_stores_no_zero(tmp_path, cluster):
    course = make_toy_course(tmp_path / "course")
    submit_all(course)
    cluster.add_worker("w1")
    grader = subprocess.Popen(cli_command(course, "grade", A, "--scheduler", cluster.address),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_for("a task executing on w1", lambda: cluster.executing("w1"), grader)
    os.killpg(cluster.scheduler.pid, signal.SIGKILL)
    output = grader.communicate(timeout=WAIT)[0]
    assert grader.returncode == 2, output[-3000:]
    assert f"lost the Dask scheduler at {cluster.address}: every grade received so far is stored" in output
    stored = scores(course)
    assert stored == {student: EXPECTED[student] for student in stored}, "a submission not graded was stored"

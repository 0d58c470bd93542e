"""Grades do not depend on the machine's load: time limits are CPU seconds, not wall-clock seconds."""
from __future__ import annotations

import multiprocessing
import os

import pytest

from autograder import cli
from autograder.sandbox import Limits
from tests.toy import A, RIGHT_CUBE, WRONG_CUBE, make_toy_course, toy_submission, write

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("load")]
LIMITS = Limits(cell_seconds=10, notebook_seconds=120)
SUBMISSIONS = {
    "right": {},
    "partial": {"cube": WRONG_CUBE},
    "slow_but_right": {"cube": "import time\ndef cube(x):\n    time.sleep(2)\n    return x ** 3"},
    "loops": {"square": "def square(x):\n    while True:\n        pass", "cube": RIGHT_CUBE},
}


def burn() -> None:
    while True:
        pass


def grades(course) -> dict[str, tuple[float, str]]:
    results = cli.grade(course, A, workers=2, limits=LIMITS, force=True)
    return {r.student: (r.points, " ".join(r.reasons)) for r in results}


def test_the_same_grades_on_an_idle_and_on_a_saturated_machine(tmp_path, monkeypatch):
    """The saturated run grades a course copy of its own with no shared reference run: its reference runs under the
    hogs too, and must neither fail nor change a grade."""
    idle_course, loaded_course = (make_toy_course(tmp_path / name) for name in ("idle", "loaded"))
    for course in (idle_course, loaded_course):
        for student, answers in SUBMISSIONS.items():
            write(course, student, toy_submission(course, **answers))
    idle = grades(idle_course)
    monkeypatch.setenv("DGM_REFERENCE_CACHE", str(tmp_path / "no-shared-run"))
    hogs = [multiprocessing.Process(target=burn, daemon=True) for _ in range(2 * (os.cpu_count() or 1))]
    for hog in hogs:
        hog.start()
    try:
        loaded = grades(loaded_course)
    finally:
        for hog in hogs:
            hog.kill()
    assert (loaded_course.reference_cache / A / A / "job").is_dir()  # run here, under the hogs
    assert {s: p for s, (p, _) in idle.items()} == {"right": 3.0, "partial": 2.0, "slow_but_right": 3.0, "loops": 1.0}
    assert loaded == idle
    assert "timeout" in idle["loops"][1]


@pytest.mark.parametrize("v2, name, unit", [(False, "cpu.shares", 1024), (True, "cpu.weight", 100)])
def test_the_jobs_weigh_one_process_each_at_least_one_per_core(tmp_path, v2, name, unit):
    """N sandboxes at once get N processes' share of the machine (the parent's weight grows with the jobs)."""
    from autograder.sandbox import _weigh_all_jobs

    (tmp_path / name).write_text("0")
    weights = []
    for jobs in (1, 2 * (os.cpu_count() or 1) + 3):
        for k in range(jobs + 2):  # two more jobs' folders that hold no process: ended jobs count for nothing
            (tmp_path / f"job-{k}").mkdir(exist_ok=True)
            (tmp_path / f"job-{k}" / "cgroup.procs").write_text(f"{1000 + k}\n" if 0 < k < jobs else "")
        _weigh_all_jobs(tmp_path, v2)
        weights.append(int((tmp_path / name).read_text()))
    assert weights == [unit * (os.cpu_count() or 1), unit * (2 * (os.cpu_count() or 1) + 3)]


def test_a_kernel_that_never_started_costs_the_student_nothing_and_is_graded_next_run(tmp_path, monkeypatch):
    """However loaded the machine, a sandbox whose kernel did not get ready is the grader's failure, not a zero."""
    from autograder import pipeline
    from autograder.sandbox import RunResult

    course = make_toy_course(tmp_path)
    write(course, "right", toy_submission(course))
    real_run = pipeline.run
    monkeypatch.setattr(pipeline, "run", lambda *args, **kwargs: RunResult("bwrap", 1, False, 61.0, [], "RuntimeError: Kernel "
                                                                 "didn't respond in 60 seconds", started=False))
    [first] = cli.grade(course, A, workers=1, limits=LIMITS)
    assert first.status == "failed" and first.internal_error and "did not start" in first.reasons[0], first.reasons
    monkeypatch.setattr(pipeline, "run", real_run)
    [second] = cli.grade(course, A, workers=1, limits=LIMITS)
    assert (second.status, second.points) == ("graded", 3.0), second.reasons

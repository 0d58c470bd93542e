"""Grading throughput: our grader with 1 and 2 workers against stock serial ``nbgrader autograde``.

40 submissions of assignment 01 (``BENCH_COPIES=10`` copies of each of the four bundled samples (full marks,
partly right, the untouched stub, one that loops forever)), graded from scratch by each
grader on the same files, in one run, with the same per-cell time limit and fast mode.
Overhead per submission = wall time per submission minus the time spent executing its
cells (measured by our runner; for stock nbgrader, the same notebooks' execution time
as measured in our 1-worker run).
"""
from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import cli
from autograder.course import Course
from autograder.gradebook import nbgrader
from autograder.reference import reference_checks
from autograder.sandbox import Limits, sandbox_mode
from benchmarks.common import table
from tests.support import copy_course

ASSIGNMENT = "01_change_of_variables"
COPIES = int(os.environ.get("BENCH_COPIES", "10"))  # of each of the four samples
CELL_SECONDS = 30


@functools.cache
def snapshot() -> Path:
    """The course as it is when the benchmark starts: every grader of one run grades the very same files."""
    folder = Path(tempfile.mkdtemp(prefix="dgm-bench-course-"))
    atexit.register(shutil.rmtree, folder, True)
    return copy_course(folder).root


def fresh_course(root: Path) -> Course:
    shutil.copytree(snapshot(), root, dirs_exist_ok=True)
    course = Course(root)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    notebook = course.notebooks(ASSIGNMENT)[0]
    for sample in sorted((course.samples / ASSIGNMENT).glob("*.ipynb")):
        nb = nbformat.read(sample, as_version=4)
        for copy in range(COPIES):
            folder = course.submitted / f"{sample.stem}_{copy:02d}" / ASSIGNMENT
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{notebook}.ipynb")
    return course


def ours(workers: int, scheduler: str | None = None) -> dict:
    """Our grader from scratch: ``workers`` threads here, or the Dask cluster at ``scheduler``."""
    with tempfile.TemporaryDirectory() as tmp:
        course = fresh_course(Path(tmp))
        limits = Limits(cell_seconds=CELL_SECONDS)
        reference_checks(course, ASSIGNMENT, course.notebooks(ASSIGNMENT)[0], limits)  # not timed: cached once
        start = time.monotonic()
        results = cli.grade(course, ASSIGNMENT, workers=workers, limits=limits, scheduler=scheduler)
        wall = time.monotonic() - start
    executing = sum(r.executing_seconds for r in results)
    peaks = [r.peak_memory_mb for r in results if r.peak_memory_mb]
    return {"wall": wall, "n": len(results), "executing": executing, "peak": max(peaks) if peaks else None,
            "points": sorted({r.points for r in results})}


def stock() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        course = fresh_course(Path(tmp))
        env = {**os.environ, "DGM_FAST": "1", "DGM_STOCK_AUTOGRADE": "1",  # nbgrader_config.py: stock autograde
               "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        start = time.monotonic()
        subprocess.run([str(Path(sys.executable).with_name("nbgrader")), "autograde", ASSIGNMENT, "--force",
                        f"--Execute.timeout={CELL_SECONDS}", "--log-level=ERROR"], cwd=course.root, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.monotonic() - start
        n = len(list(course.autograded.glob(f"*/{ASSIGNMENT}/*.ipynb")))
    return {"wall": wall, "n": n}


def main() -> None:
    print(f"sandbox: {sandbox_mode()}; {4 * COPIES} submissions of {ASSIGNMENT}; per-cell limit {CELL_SECONDS} s", flush=True)
    runs = {"ours, 1 worker": ours(1), "ours, 2 workers": ours(2)}
    runs["stock nbgrader autograde (serial)"] = stock()
    executing = runs["ours, 1 worker"]["executing"]
    base = runs["stock nbgrader autograde (serial)"]["wall"]
    rows = []
    for name, run in runs.items():
        per = run["wall"] / run["n"]
        overhead = (run["wall"] * (2 if "2 workers" in name else 1) - executing) / run["n"]
        rows.append([name, run["n"], round(run["wall"], 1), round(60 * run["n"] / run["wall"], 2),
                     round(base / run["wall"], 2), round(per, 2), round(overhead, 2),
                     run.get("peak") or "-"])
    table("grading", ["grader", "submissions", "wall s", "submissions/min", "speed-up vs stock",
                      "s/submission", "overhead s/submission (beyond executing cells)", "peak MB per worker"], rows)

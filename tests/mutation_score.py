"""The automatic mutation score: the share of single-point mutants of the reference that lose points.

    .venv/bin/python -m tests.mutation_score [ASSIGNMENT ...] [--cap 6] [--seed 0] [--workers 2] [--list]
    make mutation-score [ASSIGNMENTS="01_change_of_variables ..."] [CAP=6]

For every solution cell of an assignment's reference, ``tests.automutants`` lists the
single-point mutations (operator, constant, sign, axis, argument swap, dropped
reduction) of the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION``; at most
``--cap`` of them per cell are drawn (a fixed seed: the same mutants every run). The
reference and all mutants are graded as one batch by the project's grader
(``autograder.cli.grade`` on a private copy of the course), and a mutant is killed when
it earns fewer points than the reference (its run stops at its first lost point:
``stop_at_first_loss``). Survivors are listed (cell, line, mutation)
for a person to judge: an equivalent program, or a mistake the hidden tests miss (then
add it to ``tests/mutants/``). ``--list`` prints the mutants without grading.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder import cli
from autograder.course import Course
from autograder.gradebook import nbgrader
from autograder.notebook import grade_id, is_solution
from autograder.sandbox import Limits
from tests.automutants import mutations
from tests.support import answer_sheet, copy_course, submission, write_submissions

SOLUTION_MARKER = re.compile(r"^\s*#+\s*(BEGIN|END) SOLUTION\s*$")


@dataclass(frozen=True)
class AutoMutant:
    cell: str  # grade_id of the solution cell
    line: int  # 1-based line in the cell as a student sees it (markers removed)
    kind: str
    description: str
    answer: str  # the mutated cell, markers removed


@dataclass
class Score:
    assignment: str
    mutants: list[AutoMutant]
    survivors: list[AutoMutant] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def killed(self) -> int:
        return len(self.mutants) - len(self.survivors)

    @property
    def share(self) -> float:
        return self.killed / len(self.mutants) if self.mutants else float("nan")


def solution_lines(source: str) -> set[int]:
    """1-based lines strictly between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` markers."""
    inside, lines = False, set()
    for number, line in enumerate(source.split("\n"), start=1):
        match = SOLUTION_MARKER.match(line)
        if match:
            inside = match.group(1) == "BEGIN"
        elif inside:
            lines.add(number)
    return lines


def without_markers(source: str) -> tuple[str, list[int]]:
    """``source`` without solution marker lines, and the new 1-based number of every old line."""
    kept, numbers = [], []
    for line in source.split("\n"):
        if not SOLUTION_MARKER.match(line):
            kept.append(line)
        numbers.append(len(kept))
    return "\n".join(kept), numbers


def cell_mutants(cell: str, source: str, cap: int, seed: int) -> list[AutoMutant]:
    """At most ``cap`` mutants of the solution region of one cell, drawn with a fixed seed."""
    found = []
    for mutation in mutations(source, solution_lines(source)):
        answer, numbers = without_markers(mutation.source)
        found.append(AutoMutant(cell, numbers[mutation.line - 1], mutation.kind, mutation.description, answer))
    random.Random(f"{seed}:{cell}").shuffle(found)
    return sorted(found[:cap], key=lambda m: (m.line, m.kind, m.description))


def assignment_mutants(course: Course, assignment: str, cap: int, seed: int) -> list[AutoMutant]:
    notebook = course.notebooks(assignment)[0]
    return [m for cell in course.source(assignment, notebook).cells if is_solution(cell) and cell.cell_type == "code"
            for m in cell_mutants(grade_id(cell), cell.source, cap, seed)]


def _grade(course: Course, assignment: str, workers: int, limits: Limits, mutants: list[str]) -> dict[str, object]:
    """``student -> SubmissionResult`` of the collected submissions; each mutant graded up to its first lost point,
    no figure drawn."""
    results = cli.grade(course, assignment, workers=workers, limits=limits, force=True, feedback=False,
                        stop_at_first_loss=mutants, figures=False)
    return {r.student: r for r in results}


def score(assignment: str, cap: int, seed: int, workers: int, limits: Limits) -> Score:
    """Grade the reference and its automatic mutants as one batch on a private copy of the course."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutation-score-") as tmp:
        course = copy_course(Path(tmp))
        nbgrader(course, "generate_assignment", assignment, "--force")
        notebook = course.notebooks(assignment)[0]
        reference = answer_sheet(course, assignment, notebook)
        mutants = assignment_mutants(course, assignment, cap, seed)
        names = {f"auto-{i:04d}": m for i, m in enumerate(mutants)}
        notebooks = {"reference": submission(course, assignment, notebook, reference)}
        for name, mutant in names.items():
            notebooks[name] = submission(course, assignment, notebook, {**reference, mutant.cell: mutant.answer})
        write_submissions(course, assignment, notebooks)
        results = _grade(course, assignment, workers, limits, list(names))
    full = results["reference"].max_points
    if results["reference"].points != full or full <= 0:
        raise RuntimeError(f"{assignment}: the reference does not get full marks: {results['reference'].verdicts}")
    survivors = [m for name, m in names.items() if results[name].points >= full]
    return Score(assignment, mutants, survivors, time.monotonic() - start)


def report(result: Score) -> str:
    lines = [f"{result.assignment}: {result.killed} of {len(result.mutants)} automatic mutants lose points "
             f"({100 * result.share:.1f} %); {len(result.survivors)} survive; {result.seconds:.0f} s"]
    if result.survivors:
        lines.append("  survivors (judge each: an equivalent program, or a mistake the hidden tests miss):")
        lines += [f"    {m.cell} line {m.line} [{m.kind}] {m.description}" for m in result.survivors]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation_score", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", help="default: all")
    parser.add_argument("--cap", type=int, default=6, help="mutants per solution cell (default 6)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cell-timeout", type=int, default=180)
    parser.add_argument("--notebook-timeout", type=int, default=900)
    parser.add_argument("--list", action="store_true", help="print the mutants, do not grade")
    parser.add_argument("--json", type=Path, help="also write the scores and survivors here")
    args = parser.parse_args(argv)
    course = Course()
    assignments = args.assignments or course.assignments()
    if args.list:
        for assignment in assignments:
            mutants = assignment_mutants(course, assignment, args.cap, args.seed)
            print(f"{assignment}: {len(mutants)} mutants")
            print("\n".join(f"  {m.cell} line {m.line} [{m.kind}] {m.description}" for m in mutants))
        return 0
    limits = Limits(cell_seconds=args.cell_timeout, notebook_seconds=args.notebook_timeout)
    scores = []
    for assignment in assignments:
        scores.append(score(assignment, args.cap, args.seed, args.workers, limits))
        print(report(scores[-1]), flush=True)
    print("\nassignment                         mutants  killed  score")
    for s in scores:
        print(f"{s.assignment:34s} {len(s.mutants):7d} {s.killed:7d} {100 * s.share:5.1f} %")
    if args.json:
        args.json.write_text(json.dumps([
            {"assignment": s.assignment, "mutants": len(s.mutants), "killed": s.killed, "seconds": round(s.seconds),
             "survivors": [{k: v for k, v in asdict(m).items() if k != "answer"} for m in s.survivors]}
            for s in scores], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

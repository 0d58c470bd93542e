"""Write the demo's sample submissions into ``autograder/samples/{assignment}/{student}.ipynb``.

For each assignment: ``full_marks`` (the reference answers), ``untouched`` (the release
as handed out), ``partly_right`` (the first two mutants of the catalogue) and
``loops_forever`` (full marks but for an endless loop in the last code solution cell).
``python -m tests.make_samples [ASSIGNMENT ...]`` regenerates them; a test checks they are current.
"""
from __future__ import annotations

import sys

import nbformat
from nbformat import NotebookNode

from autograder.course import Course
from autograder.notebook import grade_id, is_solution
from tests.support import answer_sheet, mutants_of, mutated_answers, submission

LOOP = "while True:  # a student's endless loop\n    pass\n"


def samples(course: Course, assignment: str) -> dict[str, NotebookNode]:
    notebook = course.notebooks(assignment)[0]
    answers = answer_sheet(course, assignment, notebook)
    looping = dict(answers)
    last = [grade_id(c) for c in course.source(assignment, notebook).cells if is_solution(c) and c.cell_type == "code"][-1]
    looping[last] = LOOP + answers[last]
    return {
        "full_marks": submission(course, assignment, notebook, answers),
        "untouched": course.released(assignment, notebook),
        "partly_right": submission(
            course, assignment, notebook, mutated_answers(course, assignment, notebook, mutants_of(assignment)[:2])
        ),
        "loops_forever": submission(course, assignment, notebook, looping),
    }


def main(assignments: list[str]) -> None:
    course = Course()
    for assignment in assignments or course.assignments():
        folder = course.samples / assignment
        folder.mkdir(parents=True, exist_ok=True)
        for student, nb in samples(course, assignment).items():
            nbformat.write(nb, folder / f"{student}.ipynb")
            print(folder / f"{student}.ipynb")


if __name__ == "__main__":
    main(sys.argv[1:])

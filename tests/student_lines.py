"""What students write: ``python -m tests.student_lines [ASSIGNMENT ...]``.

Counts, per assignment, the non-blank, non-comment lines of the reference between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` in code cells (the lines a student
replaces).
"""
from __future__ import annotations

import sys

from autograder.course import Course


def solution_lines(source: str) -> int:
    """Non-blank, non-comment lines inside the solution markers of one cell's source."""
    count, inside = 0, False
    for line in source.splitlines():
        text = line.strip()
        if text.startswith("### BEGIN SOLUTION"):
            inside = True
        elif text.startswith("### END SOLUTION"):
            inside = False
        elif inside and text and not text.startswith("#"):
            count += 1
    return count


def main(assignments: list[str]) -> None:
    course = Course()
    print("| assignment | student lines |\n|---|---|")
    for assignment in assignments or course.assignments():
        lines = sum(solution_lines(cell.source) for nb in course.notebooks(assignment)
                    for cell in course.source(assignment, nb).cells if cell.cell_type == "code")
        print(f"| {assignment} | {lines} |")


if __name__ == "__main__":
    main(sys.argv[1:])

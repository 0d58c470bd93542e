"""Students look before they are judged: every visible test that draws a figure draws it before its first check.

A check that fails stops the cell, so a figure drawn after it is never seen by the student who
needs it most. The rule read from the sources of ``solutions/``: in the visible part of each
graded test cell (above ``### BEGIN HIDDEN TESTS``), the first line that shows a figure
(``plt.show()`` or a call of a ``show_*`` / ``plot_*`` helper) comes before the first line that
checks (an ``assert`` statement or a ``check_*(`` call). Lines count where they are written, nested
functions included: an ``assert`` in a helper defined above the figure counts as before it, which
also catches one that runs before the figure (a training closure, say).
"""
from __future__ import annotations

import re

import nbformat
import pytest

from autograder.course import REPO

SOLUTIONS = sorted((REPO / "solutions").glob("*/*.ipynb"))
FIGURE = re.compile(r"plt\.show\(\)|\b(show|plot)_\w+\(")
CHECK = re.compile(r"^\s*(assert\b|check_\w+\()")


def first_line(lines: list[str], pattern: re.Pattern) -> int | None:
    """The index of the first line whose code (a comment left out) matches ``pattern``."""
    return next((n for n, line in enumerate(lines) if pattern.search(line.split("#")[0])), None)


def visible_test_cells(path) -> list[tuple[str, list[str]]]:
    """``(grade id, lines of the visible part)`` of each autograded test cell of a source notebook."""
    cells = []
    for cell in nbformat.read(path, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            cells.append((meta["grade_id"], cell.source.split("### BEGIN HIDDEN TESTS")[0].splitlines()))
    return cells


def test_the_rule_sees_a_check_before_a_figure_and_accepts_the_right_order():
    late = ["x = f()", "assert x > 0, 'positive'", "plt.show()"]
    first = ["x = f()", "show_samples(x)", "plt.show()", "check_shape(x, (2,), 'f')"]
    assert first_line(late, CHECK) < first_line(late, FIGURE)
    assert first_line(first, FIGURE) < first_line(first, CHECK)
    assert first_line(["# plt.show() in a comment", "x = 1  # assert x"], FIGURE) is None
    assert first_line(["y = check_shape", "print('assert')"], CHECK) is None


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_every_visible_test_draws_its_figure_before_its_first_check(path):
    late = {}
    for grade_id, lines in visible_test_cells(path):
        figure, check = first_line(lines, FIGURE), first_line(lines, CHECK)
        if figure is not None and check is not None and check < figure:
            late[grade_id] = f"line {check + 1} checks ({lines[check].strip()[:60]!r}) before the figure of line {figure + 1}"
    assert not late, f"{path.parent.name}: a check comes before the figure the student should see first: {late}"

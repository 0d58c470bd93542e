"""The ranges the grader accepts live in one table (``dgm_utils.accepted``): the hidden tests read it, the notebooks print it.

A range typed into a hidden test and again into a notebook's text drifts; here every entry of the table is
recorded by exactly one hidden test of its assignment under its own name, with its bounds from the table, the
notebook prints the table, and its introduction quotes none of the bounds.
"""
import ast
import re

import pytest

from autograder.course import Course
from autograder.notebook import split_hidden
from dgm_utils.accepted import RANGES, bounds, describe

COURSE = Course()


def hidden_parts(assignment: str) -> list[str]:
    nb = COURSE.source(assignment, COURSE.notebooks(assignment)[0])
    return [split_hidden(cell.source)[1] for cell in nb.cells if cell.cell_type == "code"]


def ranged_records(assignment: str) -> list[tuple[str, tuple]]:
    """``(record name, arguments of bounds(...))`` of every ``record(name, value, **bounds(...))`` in the hidden tests."""
    found = []
    for part in hidden_parts(assignment):
        for node in ast.walk(ast.parse(part)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record":
                for keyword in node.keywords:
                    if keyword.arg is None and getattr(keyword.value.func, "id", None) == "bounds":
                        found.append((node.args[0].value, tuple(ast.literal_eval(a) for a in keyword.value.args)))
    return found


def test_the_table_names_only_assignments_of_the_course():
    assert set(RANGES) <= set(COURSE.assignments())


@pytest.mark.parametrize("assignment", sorted(RANGES))
def test_each_range_is_read_by_one_hidden_record_of_its_name(assignment):
    records = ranged_records(assignment)
    assert sorted(name for name, _ in records) == sorted(RANGES[assignment]), "every entry used once, nothing else"
    assert all(args == (assignment, name) for name, args in records), records


@pytest.mark.parametrize("assignment", COURSE.assignments())
def test_the_notebook_prints_the_table_and_its_introduction_quotes_no_bound(assignment):
    nb = COURSE.source(assignment, COURSE.notebooks(assignment)[0])
    assert any(f'accepted.describe("{assignment}")' in cell.source for cell in nb.cells if cell.cell_type == "code")
    intro = nb.cells[0].source
    quoted = {f"{v:g}" for entry in RANGES.get(assignment, {}).values() for v in (entry.low, entry.high)}
    quoted = [text for text in quoted if "." in text]  # "0", "1", "5": too common to mean a bound
    typed = [text for text in quoted if re.search(rf"(?<![\d.]){re.escape(text)}(?!\d)", intro)]
    assert not typed, f"the introduction types bounds of dgm_utils.accepted: {typed}; say where they are printed"


def test_bounds_and_description_come_from_the_same_entries():
    for assignment, entries in RANGES.items():
        text = describe(assignment)
        for name, entry in entries.items():
            assert bounds(assignment, name) == {"low": entry.low, "high": entry.high}
            assert str(entry) in text
            assert entry.low < entry.high, name

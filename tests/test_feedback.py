"""What goes back to students: no hidden test, inert outputs, limits in plain words.

The notebook the grader returns (and from which nbgrader renders the HTML feedback) is
built by ``feedback_notebook``; these tests build it for every assignment's reference
answers without running anything, render it as nbgrader's feedback does (nbconvert's
HTML exporter), and look for every line of every hidden test.
"""
from __future__ import annotations

import html
import re

import nbformat
import pytest
from nbconvert import HTMLExporter

from autograder.course import Course
from autograder.notebook import build_graded_notebook, grade_id, split_hidden
from autograder.pipeline import feedback_notebook
from autograder.sandbox import Limits, RunResult
from autograder.verdict import CellVerdict

COURSE = Course()
NOTEBOOKS = [(a, nb) for a in COURSE.assignments() for nb in COURSE.notebooks(a)]
LIMITS = Limits(cell_seconds=42, memory_bytes=3 * 2**30)


def hidden_lines(source: nbformat.NotebookNode) -> set[str]:
    """Every line of the hidden tests that the visible notebook does not also have (and not too short to tell)."""
    visible = {line.strip() for cell in source.cells for line in split_hidden(cell.source)[0].split("\n")}
    return {line.strip() for cell in source.cells for line in split_hidden(cell.source)[1].split("\n")
            if len(line.strip()) >= 12 and line.strip() not in visible}


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def returned(assignment: str, notebook: str, statuses: dict[int, str] | None = None) -> nbformat.NotebookNode:
    source = COURSE.source(assignment, notebook)
    release = COURSE.released(assignment, notebook)
    graded = build_graded_notebook(release, source, release)
    code = [i for i, cell in enumerate(graded.cells) if cell.cell_type == "code"]
    cells = [{"index": i, "grade_id": grade_id(graded.cells[i]), "status": (statuses or {}).get(i, "ok"),
              "outputs": [], "records": {}} for i in code]
    verdicts = {c["grade_id"]: CellVerdict(c["grade_id"], 1.0) for c in cells if c["grade_id"]}
    ran = RunResult("bwrap", 0, False, 1.0, cells, "")
    return feedback_notebook(graded, ran, verdicts, LIMITS)


@pytest.mark.parametrize("assignment, notebook", NOTEBOOKS)
def test_no_hidden_test_reaches_a_returned_notebook_or_its_html(assignment, notebook):
    secret = hidden_lines(COURSE.source(assignment, notebook))
    assert secret, "every assignment has hidden tests"
    nb = returned(assignment, notebook)
    assert not any("dgm" in cell.metadata for cell in nb.cells)
    sources = "\n".join(cell.source for cell in nb.cells)
    page = text_of(HTMLExporter(template_name="classic").from_notebook_node(nb)[0])
    leaked = sorted(line for line in secret if line in sources or line in page)
    assert not leaked, leaked[:5]


def test_limits_are_explained_at_the_cell_where_they_stopped_the_run():
    assignment, notebook = NOTEBOOKS[0]
    code = [i for i, cell in enumerate(returned(assignment, notebook).cells) if cell.cell_type == "code"]
    nb = returned(assignment, notebook, {code[1]: "timeout", code[2]: "kernel died", code[3]: "notebook limit"})
    said = {i: "".join(out.get("text", "") for out in cell.get("outputs", [])) for i, cell in enumerate(nb.cells)}
    assert "stopped by the time limit (42 CPU seconds per cell)" in said[code[1]]
    assert "kernel died in this cell" in said[code[2]] and "memory limit of 3 GB" in said[code[2]]
    assert "the notebook's time limit" in said[code[3]]
    assert not any("Grader:" in said[i] for i in code[4:])

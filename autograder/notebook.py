"""Notebooks in and out of the grader: read a submission safely, build the one to run.

The notebook that runs in the sandbox is built from the *trusted* source notebook
(``solutions/``): its test cells, with the hidden tests, and its locked cells replace
whatever the student has in their place; the student contributes only the source of
solution cells and of cells they added. Tags and every other metadata field that
could change execution are dropped; cells the student deleted come back from the
source (tests) or from the release (stubs). A test cell's hidden part leaves its
source for ``metadata.dgm.hidden``, which the runner executes on its own (``runner.py``)
and which never reaches a notebook returned to the student.
"""
from __future__ import annotations

import ast
import json
import re
import threading
from collections import defaultdict
from pathlib import Path

import nbformat
from nbformat import NotebookNode

MAX_NOTEBOOK_BYTES = 20_000_000
MARKER = re.compile(r"^\s*#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*$")
HIDDEN = re.compile(r"^\s*#+\s*(BEGIN|END) HIDDEN TESTS\s*$")
# ast.parse is not thread-safe in CPython < 3.12 ("AST constructor recursion depth mismatch",
# python/cpython#106905); the batch reads submissions, and decodes records (np.load parses each
# .npy header with ast.literal_eval), from several worker threads: all of it under this lock.
PARSE_LOCK = threading.Lock()
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


class SubmissionError(Exception):
    """A submission that cannot be graded at all; the message is shown to the student."""


def nbgrader_meta(cell: NotebookNode) -> dict:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def grade_id(cell: NotebookNode) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def is_solution(cell: NotebookNode) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_students(cell: NotebookNode) -> bool:
    """A cell of the merged notebook that holds the student's text: an answer or a cell they added."""
    return is_solution(cell) or bool(cell.get("metadata", {}).get("dgm", {}).get("student"))


def is_autograded_test(cell: NotebookNode) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def strip_markers(source: str) -> str:
    """The source without the ``### BEGIN/END SOLUTION`` and ``HIDDEN TESTS`` lines."""
    return "\n".join(line for line in source.split("\n") if not MARKER.match(line))


def clean_cell(cell: NotebookNode, source: str, nbgrader: dict | None) -> NotebookNode:
    """A fresh cell of the same type: no outputs, no tags, only trusted nbgrader metadata."""
    new = {
        "code": nbformat.v4.new_code_cell,
        "markdown": nbformat.v4.new_markdown_cell,
    }.get(cell.cell_type, nbformat.v4.new_raw_cell)(source)
    if nbgrader:
        new.metadata["nbgrader"] = nbgrader
    return new


def read_notebook(path: Path) -> NotebookNode:
    """Read a student's notebook, or raise SubmissionError with a reason a student understands."""
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(f"{path.name} is {size / 1e6:.0f} MB; the limit is {MAX_NOTEBOOK_BYTES / 1e6:.0f} MB")
    try:
        text = path.read_bytes().decode()
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SubmissionError(f"{path.name} is not a valid notebook (not JSON: {error})") from None
    except RecursionError:
        raise SubmissionError(f"{path.name} is not a valid notebook (its JSON is nested too deeply)") from None
    if not isinstance(data, dict) or data.get("nbformat") != 4:
        raise SubmissionError(f"{path.name} is not an nbformat 4 notebook")
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except RecursionError:
        raise SubmissionError(f"{path.name} is not a valid notebook (nested too deeply)") from None
    except Exception as error:  # nbformat raises several types for a malformed notebook
        raise SubmissionError(f"{path.name} is not a valid notebook: {str(error)[:300]}") from None
    return nb


def split_hidden(source: str) -> tuple[str, str]:
    """``(visible part, hidden part)`` of a cell's source, markers dropped."""
    visible, hidden, inside = [], [], False
    for line in source.split("\n"):
        if marker := HIDDEN.match(line):
            inside = marker.group(1) == "BEGIN"
            continue
        (hidden if inside else visible).append(line)
    return strip_markers("\n".join(visible)).rstrip("\n"), "\n".join(hidden)


def trusted_cell(cell: NotebookNode) -> NotebookNode:
    """A source cell as it runs: markers dropped, the hidden tests moved into ``metadata.dgm.hidden``."""
    visible, hidden = split_hidden(cell.source)
    new = clean_cell(cell, visible, nbgrader_meta(cell))
    if hidden.strip():
        new.metadata["dgm"] = {"hidden": hidden}
    return new


def reference_notebook(source: NotebookNode) -> NotebookNode:
    """The instructor's notebook as it runs for the reference: markers dropped, all else trusted."""
    return nbformat.v4.new_notebook(cells=[trusted_cell(c) for c in source.cells], metadata={"kernelspec": KERNELSPEC})


def defined_names(source: str) -> set[str]:
    """Names of the functions and classes a code cell defines at top level (empty if it does not parse)."""
    try:
        with PARSE_LOCK:
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


class _Matcher:
    """Tells which trusted cell a student's cell stands for, by ``grade_id`` or, failing that, by content."""

    def __init__(self, trusted: list[NotebookNode], release: NotebookNode):
        self.trusted = trusted
        self.by_id = {grade_id(cell): i for i, cell in enumerate(trusted) if grade_id(cell)}
        stubs = {grade_id(cell): cell.source for cell in release.cells if is_solution(cell)}
        self.names = {i: defined_names(stubs.get(grade_id(cell), "")) for i, cell in enumerate(trusted)
                      if is_solution(cell) and cell.cell_type == "code"}
        self.course_sources = {cell.source.strip() for cell in release.cells if not is_solution(cell)}

    def identify(self, cell: NotebookNode, answered: set[int], after: int) -> int | None:
        """The trusted index this cell answers or restores, or None for a cell the student added."""
        index = self.by_id.get(grade_id(cell))
        if index is not None and self.trusted[index].cell_type == cell.cell_type:
            return index
        if cell.cell_type == "markdown":
            return None if self.is_course_cell(cell) else self.written_answer_after(after, answered)
        if cell.cell_type != "code":
            return None
        names = defined_names(cell.source)
        candidates = [i for i, wanted in self.names.items() if i not in answered and wanted and wanted <= names]
        later = [i for i in candidates if i > after]
        return (later or candidates or [None])[0]

    def written_answer_after(self, after: int, answered: set[int]) -> int | None:
        """The next unanswered written (markdown) task after ``after``, if only text lies between."""
        for index in range(after + 1, len(self.trusted)):
            cell = self.trusted[index]
            if is_solution(cell) and cell.cell_type == "markdown" and index not in answered:
                return index
            if cell.cell_type == "code":
                return None
        return None

    def is_course_cell(self, cell: NotebookNode) -> bool:
        """A cell of the release without its metadata (the merge restores the trusted one anyway)."""
        return cell.source.strip() in self.course_sources


def build_graded_notebook(
    student: NotebookNode, source: NotebookNode, release: NotebookNode
) -> NotebookNode:
    """Merge a submission into the trusted source: the source's order, the student's answers.

    Each of the student's cells is identified (``_Matcher``): a solution cell gives its
    source as that task's answer (the first one of each task; later copies run as the
    student's own cells), a course cell (test, locked, given) is replaced by the
    trusted version at its place, whatever copies the student made of it, and any other
    cell is the student's own: kept without metadata, right after the course cell that
    precedes it in the student's notebook. Tasks without an answer get the release's
    stub back.
    """
    trusted = reference_notebook(source).cells
    stubs = {grade_id(cell): cell.source for cell in release.cells if is_solution(cell)}
    matcher = _Matcher(trusted, release)
    answers: dict[int, str] = {}
    added: dict[int, list[NotebookNode]] = defaultdict(list)
    anchor = -1
    for cell in student.cells:
        index = matcher.identify(cell, set(answers), anchor)
        if index is not None and is_solution(trusted[index]) and index not in answers:
            answers[index] = cell.source
            anchor = index
        elif index is not None and not is_solution(trusted[index]):
            anchor = index
        elif cell.cell_type in ("code", "markdown") and not matcher.is_course_cell(cell):
            own = clean_cell(cell, cell.source, None)
            own.metadata["dgm"] = {"student": True}
            added[anchor].append(own)
    merged = list(added[-1])
    for index, cell in enumerate(trusted):
        if is_solution(cell):
            cell = clean_cell(cell, answers.get(index, stubs.get(grade_id(cell), "")), nbgrader_meta(cell))
        merged += [cell, *added[index]]
    return nbformat.v4.new_notebook(cells=merged, metadata={"kernelspec": KERNELSPEC})


def autograded_tests(source: NotebookNode) -> dict[str, float]:
    """``grade_id -> points`` of the autograded test cells of a source notebook."""
    return {
        grade_id(cell): float(nbgrader_meta(cell).get("points", 0))
        for cell in source.cells
        if is_autograded_test(cell)
    }

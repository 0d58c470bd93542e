"""Notebooks in and out of the grader: read a submission safely, build the one to run.

The notebook that runs in the sandbox is built from the *trusted* source notebook
(``solutions/``): its test cells, with the hidden tests, and its locked cells replace
whatever the student has in their place; the student contributes only the source of
solution cells and of cells they added. Tags and every other metadata field that
could change execution are dropped; cells the student deleted come back from the
source (tests) or from the release (stubs).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

MAX_NOTEBOOK_BYTES = 20_000_000
MARKER = re.compile(r"^\s*#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*$")
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


class SubmissionError(Exception):
    """A submission that cannot be graded at all; the message is shown to the student."""


def nbgrader_meta(cell: NotebookNode) -> dict:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def grade_id(cell: NotebookNode) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def is_solution(cell: NotebookNode) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


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
    if not isinstance(data, dict) or data.get("nbformat") != 4:
        raise SubmissionError(f"{path.name} is not an nbformat 4 notebook")
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises several types for a malformed notebook
        raise SubmissionError(f"{path.name} is not a valid notebook: {str(error)[:300]}") from None
    return nb


def reference_notebook(source: NotebookNode) -> NotebookNode:
    """The instructor's notebook as it runs for the reference: markers dropped, all else trusted."""
    cells = [clean_cell(cell, strip_markers(cell.source), nbgrader_meta(cell)) for cell in source.cells]
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})


def build_graded_notebook(
    student: NotebookNode, source: NotebookNode, release: NotebookNode
) -> NotebookNode:
    """Merge a submission into the trusted source, in the student's order where it is sane.

    Walks the student's cells. A cell whose ``grade_id`` is the next one of the source
    (or a later one) emits every source cell up to it, restoring the deleted ones; a
    solution cell keeps the student's source, every other known cell is replaced by the
    trusted version (test cells with their hidden tests). A cell with an unknown,
    repeated or out-of-order ``grade_id`` is kept as a plain cell without metadata.
    """
    trusted = reference_notebook(source).cells
    stubs = {grade_id(cell): cell.source for cell in release.cells if is_solution(cell)}
    position = {grade_id(cell): i for i, cell in enumerate(trusted) if grade_id(cell)}
    merged: list[NotebookNode] = []
    next_index = 0

    def emit_source_until(stop: int, answer: str | None) -> None:
        nonlocal next_index
        for index in range(next_index, stop + 1):
            cell = trusted[index]
            if is_solution(cell):
                text = answer if index == stop and answer is not None else stubs[grade_id(cell)]
                merged.append(clean_cell(cell, text, nbgrader_meta(cell)))
            else:
                merged.append(cell)
        next_index = stop + 1

    for cell in student.cells:
        index = position.get(grade_id(cell))
        if index is not None and index >= next_index:
            emit_source_until(index, cell.source if is_solution(trusted[index]) else None)
        elif grade_id(cell) is None or index is None or index < next_index:
            if cell.cell_type == "code" and not _is_untouched_source_cell(cell, trusted):
                merged.append(clean_cell(cell, cell.source, None))
    emit_source_until(len(trusted) - 1, None)
    return nbformat.v4.new_notebook(cells=merged, metadata={"kernelspec": KERNELSPEC})


def _is_untouched_source_cell(cell: NotebookNode, trusted: list[NotebookNode]) -> bool:
    """True for a release cell without ``grade_id`` that the merge restores anyway."""
    return any(cell.source == other.source and grade_id(other) is None for other in trusted)


def autograded_tests(source: NotebookNode) -> dict[str, float]:
    """``grade_id -> points`` of the autograded test cells of a source notebook."""
    return {
        grade_id(cell): float(nbgrader_meta(cell).get("points", 0))
        for cell in source.cells
        if is_autograded_test(cell)
    }

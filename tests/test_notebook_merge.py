"""The notebook that runs is built from the trusted source; the student adds only answers."""
import json

import nbformat
import pytest

from autograder.notebook import (
    SubmissionError, build_graded_notebook, grade_id, read_notebook, reference_notebook, strip_markers,
)

v4 = nbformat.v4


def meta(**fields):
    return {"nbgrader": {"schema_version": 3, **fields}}


def source_notebook():
    return v4.new_notebook(cells=[
        v4.new_markdown_cell("# Task"),
        v4.new_code_cell("import math", metadata=meta(grade=False, solution=False, locked=True, grade_id="setup")),
        v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                         metadata=meta(grade=False, solution=True, locked=False, grade_id="f_solution")),
        v4.new_code_cell("assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(3) == 6\n### END HIDDEN TESTS",
                         metadata=meta(grade=True, solution=False, locked=True, grade_id="test_f", points=1)),
    ])


def release_notebook():
    nb = source_notebook()
    nb.cells[2].source = "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    nb.cells[3].source = "assert f(1) == 2\n"
    return nb


def student(**changes):
    nb = release_notebook()
    nb.cells[2].source = "def f(x):\n    return x + x"
    return nb


def sources(nb):
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def hidden(cell):
    return cell.metadata.get("dgm", {}).get("hidden", "")


def test_markers_are_stripped_and_hidden_tests_moved_out_of_the_source():
    ref = reference_notebook(source_notebook())
    assert "### " not in "".join(sources(ref))
    assert ref.cells[3].source == "assert f(1) == 2" and hidden(ref.cells[3]) == "assert f(3) == 6"
    assert strip_markers("a\n    ### BEGIN SOLUTION\nb") == "a\nb"


def test_answers_kept_tests_restored_from_source():
    nb = student()
    nb.cells[3].source = "pass  # a student emptied the test"
    merged = build_graded_notebook(nb, source_notebook(), release_notebook())
    assert sources(merged) == ["import math", "def f(x):\n    return x + x", "assert f(1) == 2"]
    assert hidden(merged.cells[3]) == "assert f(3) == 6"


def test_tags_and_foreign_metadata_are_dropped():
    nb = student()
    for cell in nb.cells:
        cell.metadata["tags"] = ["skip-execution", "raises-exception", "nbval-skip"]
        cell.metadata["jupyter"] = {"source_hidden": True}
    nb.cells[3].metadata["nbgrader"]["grade"] = False
    merged = build_graded_notebook(nb, source_notebook(), release_notebook())
    assert all(set(cell.metadata) <= {"nbgrader", "dgm"} for cell in merged.cells)
    assert all(set(cell.metadata.get("dgm", {})) <= {"hidden", "student"} for cell in merged.cells)
    assert merged.cells[3].metadata["nbgrader"]["grade"] is True


def test_deleted_and_stripped_test_cells_come_back():
    nb = student()
    del nb.cells[3]
    assert hidden(build_graded_notebook(nb, source_notebook(), release_notebook()).cells[-1]) == "assert f(3) == 6"
    nb = student()
    nb.cells[3].metadata = {}
    nb.cells[3].source = "print('tests? what tests')"
    merged = build_graded_notebook(nb, source_notebook(), release_notebook())
    assert [grade_id(c) for c in merged.cells].count("test_f") == 1
    assert "print('tests? what tests')" in sources(merged)


def test_added_cells_kept_duplicates_demoted_missing_answers_stubbed():
    nb = student()
    nb.cells.insert(3, v4.new_code_cell("helper = 1"))
    nb.cells.append(nbformat.from_dict(json.loads(json.dumps(nb.cells[2]))))  # a duplicated answer cell
    merged = build_graded_notebook(nb, source_notebook(), release_notebook())
    assert "helper = 1" in sources(merged)
    assert [grade_id(c) for c in merged.cells].count("f_solution") == 1
    nb = student()
    del nb.cells[2]
    merged = build_graded_notebook(nb, source_notebook(), release_notebook())
    assert "raise NotImplementedError()" in merged.cells[2].source


def test_answers_without_metadata_or_with_the_old_schema_still_count():
    """An editor that drops metadata, or nbgrader's schema 0/1: the answer is matched by what it defines."""
    def old_schema(cell):  # as in nbgrader's own test-v0 fixture: no schema_version, no locked, points as text
        meta = cell.metadata.get("nbgrader", {})
        cell.metadata["nbgrader"] = {k: str(v) if k == "points" else v for k, v in meta.items()
                                     if k not in ("schema_version", "locked")}

    for edit in (lambda cell: cell.metadata.clear(), old_schema):
        nb = student()
        for cell in nb.cells:
            edit(cell)
        merged = build_graded_notebook(nb, source_notebook(), release_notebook())
        assert sources(merged) == ["import math", "def f(x):\n    return x + x", "assert f(1) == 2"]
        assert grade_id(merged.cells[2]) == "f_solution" and hidden(merged.cells[3])


def test_a_test_cell_copied_above_the_answer_costs_nothing():
    nb = student()
    nb.cells.insert(2, nbformat.from_dict(json.loads(json.dumps(nb.cells[3]))))
    merged = build_graded_notebook(nb, source_notebook(), release_notebook())
    assert sources(merged) == ["import math", "def f(x):\n    return x + x", "assert f(1) == 2"]


def test_written_answers_without_metadata_stay_answers():
    source = source_notebook()
    source.cells.append(v4.new_markdown_cell("Why?"))
    source.cells.append(v4.new_markdown_cell("### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
                                             metadata=meta(grade=True, solution=True, grade_id="why", points=1)))
    release = release_notebook()
    release.cells += [v4.new_markdown_cell("Why?"), v4.new_markdown_cell("YOUR ANSWER HERE", metadata=source.cells[-1].metadata)]
    nb = student()
    nb.cells += [v4.new_markdown_cell("Why?"), v4.new_markdown_cell("Since f is linear.")]
    merged = build_graded_notebook(nb, source, release)
    assert merged.cells[-1].source == "Since f is linear." and grade_id(merged.cells[-1]) == "why"


@pytest.mark.parametrize("content, reason", [
    (b"{not json", "not JSON"),
    (json.dumps({"nbformat": 3, "cells": []}).encode(), "nbformat 4"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": [{"cell_type": "code"}], "metadata": {}}).encode(),
     "not a valid notebook"),
    (b"\xff\xfe", "not JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_broken_notebooks_have_a_clear_reason(tmp_path, content, reason):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(content)
    with pytest.raises(SubmissionError, match=reason):
        read_notebook(path)

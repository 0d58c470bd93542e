"""Collecting submissions from folders and LMS zips, safely."""
import io
import zipfile

import nbformat

from autograder.collect import collect


def notebook_bytes():
    return nbformat.writes(nbformat.v4.new_notebook()).encode()


def test_folder_and_zip(course_copy, tmp_path):
    assignment = course_copy.assignments()[0]
    name = course_copy.notebooks(assignment)[0]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "alice.ipynb").write_bytes(notebook_bytes())
    (folder / "bad name!.ipynb").write_bytes(notebook_bytes())
    found = collect(course_copy, assignment, folder)
    assert found.students == ["alice"] and len(found.rejected) == 1
    assert (course_copy.submitted / "alice" / assignment / f"{name}.ipynb").is_file()
    assert (course_copy.submitted / "alice" / assignment / "timestamp.txt").is_file()

    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("bob.ipynb", notebook_bytes())
        z.writestr(f"carol/{name}.ipynb", notebook_bytes())
    assert collect(course_copy, assignment, archive).students == ["bob", "carol"]


def test_zip_traversal_links_and_bombs_write_nothing_outside(course_copy, tmp_path):
    assignment = course_copy.assignments()[0]
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("../../escaped.ipynb", notebook_bytes())
        z.writestr("/abs.ipynb", notebook_bytes())
        link = zipfile.ZipInfo("link.ipynb")
        link.external_attr = (0o120777 << 16)
        z.writestr(link, "/etc/passwd")
        z.writestr("bomb.ipynb", b"0" * 30_000_000)
    found = collect(course_copy, assignment, archive)
    assert found.students == []
    assert len(found.rejected) == 4, found.rejected
    assert not (tmp_path.parent / "escaped.ipynb").exists() and not (course_copy.root.parent / "escaped.ipynb").exists()

"""Collect submissions into nbgrader's ``submitted/{student}/{assignment}/`` tree.

Input: a folder or an LMS-style zip holding ``{student}.ipynb`` files (one-notebook
assignments) or ``{student}/{notebook}.ipynb``, or the root of nbgrader's exchange on a
hub (its ``inbound`` submissions, with their submission times: ``exchange.py``). Zips are
read member by member with limits: no absolute or ``..`` paths, no links, bounded sizes (zip bombs), so nothing
is ever written outside the course. Each accepted file gets a ``timestamp.txt``.
"""
from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from .course import Course
from .exchange import inbound_entries, is_exchange

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_FILE_BYTES = 20_000_000
MAX_TOTAL_BYTES = 200_000_000


@dataclass
class Collected:
    students: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def _place(course: Course, assignment: str, parts: tuple[str, ...]) -> tuple[str, str] | None:
    """``(student, notebook file name)`` for a member path, or None when it is not a submission."""
    if len(parts) == 1 and parts[0].endswith(".ipynb"):
        notebooks = course.notebooks(assignment)
        student = parts[0][: -len(".ipynb")]
        return (student, f"{notebooks[0]}.ipynb") if len(notebooks) == 1 else None
    if len(parts) == 2 and parts[1].endswith(".ipynb"):
        return parts[0], parts[1]
    return None


def _write(course: Course, assignment: str, student: str, name: str, data: bytes, when: datetime,
           extra: dict[str, bytes]) -> None:
    folder = course.submitted / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    (folder / "timestamp.txt").write_text(when.isoformat())
    for other, content in extra.items():
        (folder / other).write_bytes(content)


def collect(course: Course, assignment: str, source: Path) -> Collected:
    """Copy every submission in ``source`` (folder, zip or exchange root); report what was refused and why."""
    found = Collected()
    if zipfile.is_zipfile(source):
        entries = _zip_entries(source, found)
    elif is_exchange(course, source):
        entries = inbound_entries(course, assignment, source, found.rejected, MAX_FILE_BYTES)
    else:
        entries = _folder_entries(source)
    for parts, read, when, extra in entries:
        place = _place(course, assignment, parts)
        if place is None or not STUDENT_ID.match(place[0]) or "/" in place[1]:
            found.rejected.append(f"{'/'.join(parts)}: not a submission path ({{student}}.ipynb)")
            continue
        student, name = place
        if student not in found.students:
            shutil.rmtree(course.submitted / student / assignment, ignore_errors=True)
            found.students.append(student)
        _write(course, assignment, student, name, read(), when, extra)
    return found


def _folder_entries(source: Path):
    for path in sorted(source.rglob("*.ipynb")):
        if path.is_symlink() or ".ipynb_checkpoints" in path.parts:
            continue
        when = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        yield path.relative_to(source).parts, path.read_bytes, when, {}


def _zip_entries(source: Path, found: Collected):
    total = 0
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            path = PurePosixPath(info.filename)
            if info.is_dir():
                continue
            if path.is_absolute() or ".." in path.parts or "\\" in info.filename:
                found.rejected.append(f"{info.filename}: unsafe path in the zip, ignored")
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                found.rejected.append(f"{info.filename}: a link, ignored")
                continue
            if info.file_size > MAX_FILE_BYTES or total + info.file_size > MAX_TOTAL_BYTES:
                found.rejected.append(f"{info.filename}: too large once unpacked ({info.file_size} bytes), ignored")
                continue
            total += info.file_size  # only what is accepted counts: one bad member never rejects the others
            when = datetime(*info.date_time, tzinfo=timezone.utc)
            yield path.parts, lambda info=info: _read_capped(archive, info), when, {}


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Read a member, trusting no header: stop past the size limit."""
    with archive.open(info) as member:
        data = member.read(MAX_FILE_BYTES + 1)
    return data[:MAX_FILE_BYTES]

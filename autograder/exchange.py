"""nbgrader's exchange on a shared hub: submissions in, feedback out.

``inbound_entries`` reads ``{root}/{course_id}/inbound/``, where nbgrader's ``submit``
leaves one folder per submission, ``{student}+{assignment}+{timestamp}[+{random}]``
holding the notebooks, ``timestamp.txt`` and ``submission_secret.txt``. The latest
submission of each student is taken (nbgrader's rule) and checked as nbgrader's
``collect`` does and more: the folder must belong to the student's system account (no
one submits in another's name), and links are never followed (a student's link to the
instructor's ``solutions/`` would otherwise be read with the instructor's rights).
Its timestamp is the submission time nbgrader's late penalty compares with the due date.

``release_feedback`` hands the HTML feedback of ``autograder/feedback/`` to nbgrader's
``release_feedback``, which files it in the exchange's ``feedback/`` under a name only
the submitting student can compute (from the submission's secret), so each student
fetches their own from the Assignments tab.
"""
from __future__ import annotations

import pwd
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from nbgrader.utils import parse_utc

from .course import Course
from .gradebook import nbgrader, nbgrader_config

SECRET = "submission_secret.txt"


def course_id(course: Course) -> str:
    """nbgrader's course id (``CourseDirectory.course_id`` of the course's ``nbgrader_config.py``)."""
    return nbgrader_config(course.root).CourseDirectory.course_id


def is_exchange(course: Course, source: Path) -> bool:
    """Whether ``source`` is an exchange root holding this course's inbound submissions."""
    return (source / course_id(course) / "inbound").is_dir()


def _owner(path: Path) -> str | None:
    try:
        return pwd.getpwuid(path.lstat().st_uid).pw_name
    except KeyError:
        return None


def latest_submissions(course: Course, assignment: str, root: Path, rejected: list[str]
                       ) -> dict[str, tuple[datetime, Path]]:
    """``student -> (timestamp, folder)`` of each student's latest submission of ``assignment``.

    Folders that are links, not owned by the student they name or without a readable
    timestamp go to ``rejected`` with the reason.
    """
    latest: dict[str, tuple[datetime, Path]] = {}
    for folder in sorted((root / course_id(course) / "inbound").iterdir()):
        parts = folder.name.rsplit("+", 3)
        if len(parts) < 3 or parts[1] != assignment:
            continue
        student = parts[0]
        if folder.is_symlink() or not folder.is_dir():
            rejected.append(f"{folder.name}: not a folder, ignored")
            continue
        if _owner(folder) != student:
            rejected.append(f"{folder.name}: made by {_owner(folder)}, not by {student}: ignored")
            continue
        try:
            when = parse_utc((folder / "timestamp.txt").read_text().strip()).replace(tzinfo=timezone.utc)
        except (OSError, ValueError) as error:
            rejected.append(f"{folder.name}: no readable timestamp.txt ({error}), ignored")
            continue
        if student not in latest or when > latest[student][0]:
            latest[student] = (when, folder)
    return latest


def inbound_entries(course: Course, assignment: str, root: Path, rejected: list[str], max_bytes: int
                    ) -> Iterator[tuple[tuple[str, ...], Callable[[], bytes], datetime, dict[str, bytes]]]:
    """Each notebook of each latest submission: ``((student, file name), read, timestamp, extra files)``.

    The extra file is the submission's secret, which nbgrader's feedback release needs.
    Files larger than ``max_bytes`` are refused.
    """
    for student, (when, folder) in sorted(latest_submissions(course, assignment, root, rejected).items()):
        secret = folder / SECRET
        extra = {SECRET: secret.read_bytes()} if secret.is_file() and not secret.is_symlink() else {}
        for path in sorted(folder.glob("*.ipynb")):
            if path.is_symlink() or not path.is_file():
                rejected.append(f"{folder.name}/{path.name}: a link, ignored")
                continue
            if path.stat().st_size > max_bytes:
                rejected.append(f"{folder.name}/{path.name}: too large ({path.stat().st_size} bytes), ignored")
                continue
            yield (student, path.name), path.read_bytes, when, extra


def release_feedback(course: Course, assignment: str, root: Path) -> list[str]:
    """Release the feedback of ``assignment`` to the exchange (nbgrader ``release_feedback``).

    nbgrader reads each feedback folder's ``timestamp.txt`` and ``submission_secret.txt``;
    they are copied there from the submission. Returns the students whose feedback went out.
    """
    students = []
    for folder in sorted(course.feedback.glob(f"*/{assignment}")):
        submitted = course.submitted / folder.parent.name / assignment
        if not (submitted / SECRET).is_file():
            continue  # not collected from an exchange: its student has nowhere to fetch it
        for name in ("timestamp.txt", SECRET):
            shutil.copy(submitted / name, folder / name)
        students.append(folder.parent.name)
    if students:
        nbgrader(course, "release_feedback", assignment, f"--Exchange.root={root}",
                 f"--CourseDirectory.course_id={course_id(course)}")
    return students

"""One grader behind every button: nbgrader's autograde step runs the sandboxed pipeline.

formgrader's *Autograde* button (the lightning icon in *Manage Submissions*) calls
``NbGraderAPI.autograde``, which runs nbgrader's ``Autograde`` converter: it registers
the submission, copies it to ``autograded/`` and runs two lists of preprocessors, both
configurable. ``nbgrader_config.py`` empties the first (sanitizing) and replaces the
second (executing in the student's kernel, saving auto grades) by ``SandboxedAutograde``,
which grades the notebook exactly as ``dgm-grade grade`` does: merged into the trusted
source, run in the sandbox, judged against the reference, audited, stored in the
gradebook and the ledger, ``grades.csv`` rewritten. ``nbgrader autograde`` from the
command line takes the same route. The notebook nbgrader then writes to ``autograded/``
is the one the pipeline wrote.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool, Integer, Unicode

from .course import Course
from .sandbox import Limits


class SandboxedAutograde(Preprocessor):
    """nbgrader's autograde preprocessors, replaced by ``autograder.cli.grade`` for one notebook."""

    enabled = Bool(True)  # nbgrader registers its preprocessors without enabling them: they are on by default
    course_root = Unicode(help="the course directory (nbgrader's CourseDirectory.root)").tag(config=True)
    cell_timeout = Integer(Limits.cell_seconds, help="per-cell time limit, seconds").tag(config=True)
    notebook_timeout = Integer(Limits.notebook_seconds, help="per-notebook time limit, seconds").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        from . import cli  # imports the whole grader: only when a notebook is graded

        meta = resources["nbgrader"]
        course = Course(Path(self.course_root).resolve(), database=meta["db_url"])
        assignment, student, notebook = meta["assignment"], meta["student"], meta["notebook"]
        limits = Limits(cell_seconds=self.cell_timeout, notebook_seconds=self.notebook_timeout)
        self.log.info("sandboxed autograde of %s/%s/%s", student, assignment, notebook)
        results = cli.grade(course, assignment, workers=1, limits=limits, force=True, students=[student],
                            notebooks=[notebook], feedback=False)
        cli.report(course, results, [assignment])
        for result in results:
            self.log.info("%s/%s: %s of %s points, %s %s", student, notebook, result.points, result.max_points,
                          result.status, "; ".join(result.reasons))
        return nbformat.read(course.autograded / student / assignment / f"{notebook}.ipynb", as_version=4), resources

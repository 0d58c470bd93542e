"""nbgrader's course directory mapped onto this repository's layout.

Stock commands run from the repository root work as instructors expect, e.g.
``nbgrader generate_assignment 01_change_of_variables --force`` or ``nbgrader export``.
Everything under ``autograder/`` that nbgrader writes is git-ignored.
"""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent

c = get_config()  # noqa: F821 (nbgrader provides get_config)
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = "dgm"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
c.CourseDirectory.submitted_directory = "autograder/submitted"
c.CourseDirectory.autograded_directory = "autograder/autograded"
c.CourseDirectory.feedback_directory = "autograder/feedback"
c.CourseDirectory.solution_directory = "autograder/solution"
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'autograder' / 'gradebook.db'}"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.Execute.timeout = 120
c.ZipCollectApp.archive_directory = "autograder/downloaded/{assignment_id}/archive"
c.ZipCollectApp.extracted_directory = "autograder/downloaded/{assignment_id}/extracted"


def grader_module(name: str):
    """``autograder.<name>`` of the installed grader package.

    nbgrader puts the course folder on ``sys.path``, and its work folder ``autograder/``
    (with ``reference/``, ``jobs/``, ...) would shadow the package as a namespace package.
    """
    import importlib
    import sys

    course = {"", ".", os.getcwd(), str(ROOT)}
    if getattr(sys.modules.get("autograder"), "__file__", "") is None:  # already shadowed: import again
        for module in [m for m in sys.modules if m == "autograder" or m.startswith("autograder.")]:
            del sys.modules[module]
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if p not in course]
    try:
        return importlib.import_module(f"autograder.{name}")
    finally:
        sys.path[:] = saved


# `nbgrader export`: nbgrader's columns plus `status` (e.g. "needs manual grading"); autograder/export.py.
c.ExportApp.plugin_class = grader_module("export").LmsExportPlugin
# formgrader's Autograde button and `nbgrader autograde` run the sandboxed grader (autograder/formgrader.py),
# never the student's code in nbgrader's own kernel. The benchmark's stock baseline sets DGM_STOCK_AUTOGRADE=1.
if not os.environ.get("DGM_STOCK_AUTOGRADE"):
    c.Autograde.sanitize_preprocessors = []
    c.Autograde.autograde_preprocessors = [grader_module("formgrader").SandboxedAutograde]
    c.SandboxedAutograde.course_root = str(ROOT)

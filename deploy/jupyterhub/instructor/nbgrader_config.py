"""nbgrader in an instructor's or grader's server on the course hub (their JUPYTER_CONFIG_DIR).

The server starts in the course directory, whose own ``nbgrader_config.py`` maps the course;
this file adds the hub's exchange. Formgrader and the other instructor extensions stay enabled.
"""
import os

c = get_config()  # noqa: F821 (nbgrader provides get_config)
c.Exchange.root = os.environ["NBGRADER_EXCHANGE"]
c.CourseDirectory.course_id = os.environ.get("NBGRADER_COURSE_ID", "dgm")

"""nbgrader in a student's server on the course hub (this folder is the student's JUPYTER_CONFIG_DIR).

The exchange and the course come from the hub (``jupyterhub_config.py`` sets ``NBGRADER_EXCHANGE``).
A submission is readable by its student and the instructors' group only: stock nbgrader makes it
readable by everyone who can guess its path.
"""
import os
from stat import S_IRGRP, S_IRUSR, S_IRWXG, S_IRWXU, S_IWUSR

from nbgrader.exchange.default.submit import ExchangeSubmit


class PrivateSubmit(ExchangeSubmit):
    """nbgrader's submit, with the submission closed to other students (owner and group only)."""

    def set_perms(self, dest: str, fileperms: int, dirperms: int) -> None:
        super().set_perms(dest, fileperms=S_IRUSR | S_IWUSR | S_IRGRP, dirperms=S_IRWXU | S_IRWXG)

    def copy_files(self) -> None:
        super().copy_files()
        os.chmod(os.path.join(self.inbound_path, self.assignment_filename), S_IRWXU | S_IRWXG)


c = get_config()  # noqa: F821 (nbgrader provides get_config)
c.Exchange.root = os.environ["NBGRADER_EXCHANGE"]
c.CourseDirectory.course_id = os.environ.get("NBGRADER_COURSE_ID", "dgm")
c.ExchangeFactory.submit = PrivateSubmit
c.Execute.timeout = 600

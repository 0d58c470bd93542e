"""The course's spawner: a local process per user, in its role's Jupyter config, in its own cgroup.

``CourseSpawner`` is JupyterHub's ``LocalProcessSpawner`` (the server runs as the user's
system account) plus two things:

- the role: members of the hub's ``instructors`` or ``graders`` group start in the course
  directory with nbgrader's instructor tools (formgrader); everyone else in their home
  folder with the student's extensions only (``student/``, the Assignments tab and Validate);
- the limits: ``mem_limit`` and ``cpu_limit`` (JupyterHub's own Spawner options, which
  LocalProcessSpawner only passes on as environment variables) are enforced on the whole
  server (its kernels, terminals and their children) by a memory, pids and cpu cgroup, the
  one the grader's sandbox uses (``autograder.sandbox.JobCgroup``, cgroup v1 or v2). The
  server enters it between fork and exec, before it drops root for the user's account.
  Where cgroups cannot be created (not root, read-only cgroup file system) the server starts
  without limits and the hub logs a warning.
"""
from __future__ import annotations

import os
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Integer, Unicode

from autograder.sandbox import JobCgroup, Limits

HERE = Path(__file__).resolve().parent
STAFF_GROUPS = frozenset({"instructors", "graders"})


class CourseSpawner(LocalProcessSpawner):
    """LocalProcessSpawner with the course's roles and a cgroup per user server."""

    course_root = Unicode(help="The instructors' course directory (solutions/, autograder/, nbgrader_config.py).").tag(
        config=True)
    exchange_root = Unicode(help="nbgrader's exchange root, shared by every user.").tag(config=True)
    course_id = Unicode("dgm", help="nbgrader's course id in the exchange.").tag(config=True)
    max_processes = Integer(1024, help="The most tasks (processes and threads) one user server may run.").tag(
        config=True)

    cgroup: JobCgroup | None = None

    def is_staff(self) -> bool:
        """Whether the user is in the hub's ``instructors`` or ``graders`` group."""
        return any(group.name in STAFF_GROUPS for group in self.user.groups)

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        env["JUPYTER_CONFIG_DIR"] = str(HERE / ("instructor" if self.is_staff() else "student"))
        # JupyterLab keeps these under the config folder by default, which users cannot write: their home.
        env["JUPYTERLAB_SETTINGS_DIR"] = f"{env['HOME']}/.jupyter/lab/user-settings"
        env["JUPYTERLAB_WORKSPACES_DIR"] = f"{env['HOME']}/.jupyter/lab/workspaces"
        env["NBGRADER_EXCHANGE"] = self.exchange_root
        env["NBGRADER_COURSE_ID"] = self.course_id
        return env

    def get_args(self) -> list[str]:
        args = super().get_args()
        args.append(f"--LabApp.app_settings_dir={HERE / 'lab-settings'}")  # no news prompt, no update checks
        if self.is_staff():
            args.append(f"--ServerApp.root_dir={self.course_root}")
        return args

    def limits(self) -> Limits:
        """The cgroup's limits: ``mem_limit`` bytes, ``cpu_limit`` cores, ``max_processes`` tasks."""
        return Limits(memory_bytes=self.mem_limit or Limits.memory_bytes, cpus=self.cpu_limit or Limits.cpus,
                      processes=self.max_processes)

    def make_preexec_fn(self, name: str):
        drop_privileges = super().make_preexec_fn(name)
        cgroup = self.cgroup

        def preexec() -> None:
            if cgroup is not None:
                cgroup.enter()
            drop_privileges()

        return preexec

    async def start(self):
        self.cgroup = JobCgroup(f"hub-{self.user.name}", self.limits()) if os.geteuid() == 0 else None
        if not (self.cgroup and self.cgroup.paths):
            self.log.warning("%s's server starts WITHOUT memory and CPU limits: no cgroup could be created "
                             "(the hub must run as root on Linux)", self.user.name)
        return await super().start()

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        if self.cgroup is not None:
            self.cgroup.close()  # kills what the server left behind (a kernel in its own session)
            self.cgroup = None

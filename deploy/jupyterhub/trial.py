"""A trial of the course hub on this machine: ``make hub`` (as root, Linux).

Creates local accounts (three students, an instructor, a grader; any password logs in:
JupyterHub's dummy authenticator), a copy of the course for the instructors (group
``dgm-staff`` only: no student reads ``solutions/``), nbgrader's exchange with assignment
01 released into it, then runs JupyterHub on http://127.0.0.1:8000 until Ctrl-C.
The test ``tests/test_hub.py`` builds its hub with the same functions.
"""
from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
STAFF_GROUP = "dgm-staff"
PROXY = HERE / ".work" / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"  # make proxy
ASSIGNMENT = "01_change_of_variables"


@dataclass(frozen=True)
class Accounts:
    """The hub's users by group; the same names are local system accounts."""

    students: tuple[str, ...]
    instructors: tuple[str, ...]
    graders: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.students + self.instructors + self.graders

    @property
    def staff(self) -> tuple[str, ...]:
        return self.instructors + self.graders


def create_accounts(accounts: Accounts) -> None:
    """Local system users (private home folders) and the staff's Unix group; existing ones are kept."""
    try:
        grp.getgrnam(STAFF_GROUP)
    except KeyError:
        subprocess.run(["groupadd", STAFF_GROUP], check=True)
    for name in accounts.all:
        try:
            pwd.getpwnam(name)
        except KeyError:
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        os.chmod(pwd.getpwnam(name).pw_dir, 0o700)
        if name in accounts.staff:
            subprocess.run(["usermod", "--append", "--groups", STAFF_GROUP, name], check=True)


def remove_accounts(accounts: Accounts) -> None:
    """Delete the accounts, their home folders and the staff group."""
    for name in accounts.all:
        subprocess.run(["userdel", "--remove", name], check=False, capture_output=True)
    subprocess.run(["groupdel", STAFF_GROUP], check=False, capture_output=True)


def course_copy(target: Path) -> Path:
    """The instructors' course directory: sources, release and nbgrader config (late work scores zero),
    for the staff group only."""
    for name in ("solutions", "course"):
        shutil.copytree(REPO / name, target / name, dirs_exist_ok=True)
    (target / "autograder").mkdir(exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", target)
    with open(target / "nbgrader_config.py", "a") as config:
        config.write("\n# The hub trial's late policy: a submission after the due date scores zero"
                     " (nbgrader's plugin).\n"
                     "c.LateSubmissionPlugin.penalty_method = 'zero'\n")
    staff = grp.getgrnam(STAFF_GROUP).gr_gid
    for path in [target, *target.rglob("*")]:
        os.chown(path, 0, staff, follow_symlinks=False)
        os.chmod(path, 0o2770 if path.is_dir() else 0o660)
    return target


def exchange(root: Path) -> Path:
    """nbgrader's exchange root: writable by everyone, as nbgrader's docs set it up (sticky: no one
    removes what another made). nbgrader creates the course's ``inbound`` (no listing by students)
    and ``feedback`` (no listing) itself."""
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o1777)
    return root


def release(course_root: Path, exchange_root: Path, assignment: str) -> None:
    """``dgm-grade release`` (nbgrader generate_assignment), then nbgrader's release to the exchange."""
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "dgm-grade"), "release", assignment, "--root", str(course_root)], check=True)
    subprocess.run([str(bin_dir / "nbgrader"), "release_assignment", assignment, "--force", "--log-level=WARN",
                    f"--Exchange.root={exchange_root}"], cwd=course_root, check=True)


def users_python(target: Path) -> Path:
    """An interpreter of this environment that every user may run: a venv of the system's Python (same
    version) that reads this environment's packages and has its Jupyter data and config (the lab
    extensions, nbgrader's server extensions) at the same, lowest, priority.

    This environment's own interpreter may live where users cannot reach it (pyenv under ``/root``).
    """
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base = shutil.which(version, path="/usr/local/bin:/usr/bin")
    if base is None:
        raise RuntimeError(f"no system {version} to give the users' servers: install the course environment "
                           "where every user can run it and set DGM_USER_PYTHON (docs/jupyterhub.md)")
    subprocess.run([base, "-m", "venv", "--without-pip", "--clear", str(target)], check=True)
    packages = next(Path(p) for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix))
    (target / "lib" / version / "site-packages" / "dgm_course.pth").write_text(
        f"import site; site.addsitedir({str(packages)!r})\n")
    for shared in ("share/jupyter", "etc/jupyter"):
        (target / shared).parent.mkdir(parents=True, exist_ok=True)
        (target / shared).symlink_to(Path(sys.prefix) / shared)
    return target / "bin" / "python"


def hub_environment(accounts: Accounts, course_root: Path, exchange_root: Path, state: Path, user_python: Path,
                    port: int = 8000, mem_limit: str = "2G") -> dict[str, str]:
    """The environment ``jupyterhub_config.py`` reads."""
    return {**os.environ, "DGM_HUB_IP": "127.0.0.1", "DGM_HUB_PORT": str(port), "DGM_HUB_STATE": str(state),
            "DGM_USER_PYTHON": str(user_python),
            "DGM_COURSE_ROOT": str(course_root), "DGM_EXCHANGE": str(exchange_root),
            "DGM_STUDENTS": ",".join(accounts.students), "DGM_INSTRUCTORS": ",".join(accounts.instructors),
            "DGM_GRADERS": ",".join(accounts.graders), "DGM_MEM_LIMIT": mem_limit, "DGM_FAST": "1"}


def hub_command() -> list[str]:
    """JupyterHub with the course's configuration."""
    return [str(Path(sys.executable).with_name("jupyterhub")), "-f", str(HERE / "jupyterhub_config.py")]


def main() -> int:
    if os.geteuid() != 0:
        print("make hub creates local accounts and starts servers as them: run it as root", file=sys.stderr)
        return 2
    accounts = Accounts(students=("student1", "student2", "student3"), instructors=("instructor",), graders=("grader",))
    work = HERE / ".work"
    create_accounts(accounts)
    course_root = course_copy(work / "course")
    exchange_root = exchange(work / "exchange")
    release(course_root, exchange_root, ASSIGNMENT)
    print(f"http://127.0.0.1:8000  users: {', '.join(accounts.all)} (any password); the instructors' course: "
          f"{course_root}; the exchange: {exchange_root}", flush=True)
    env = hub_environment(accounts, course_root, exchange_root, work / "state", users_python(work / "python"))
    os.chdir(work)
    os.execve(hub_command()[0], hub_command(), env)


if __name__ == "__main__":
    sys.exit(main())

"""JupyterHub for the course: ``jupyterhub -f deploy/jupyterhub/jupyterhub_config.py``.

Every setting a deployment changes comes from an environment variable (``trial.py`` sets
them for ``make hub``; docs/jupyterhub.md says what a real deployment sets instead):

=====================  ===============================================  ======================
variable               what                                             trial default
=====================  ===============================================  ======================
DGM_HUB_IP, _PORT      where the hub's proxy listens (the hub's API     127.0.0.1, 8000
                       and the proxy's on loopback, PORT + 1 and + 2)
DGM_HUB_STATE          the hub's database, cookie secret, logs          deploy/jupyterhub/.work/state
DGM_COURSE_ROOT        the instructors' course directory                (required)
DGM_EXCHANGE           nbgrader's exchange root                         (required)
DGM_STUDENTS           user names, comma separated, per hub group       (required)
DGM_INSTRUCTORS, DGM_GRADERS
DGM_MEM_LIMIT          memory of one user server, all its processes     2G
DGM_CPU_LIMIT          CPU cores of one user server                     1
DGM_SPAWN_TIMEOUT      seconds a user server may take to start          120
DGM_AUTHENTICATOR      JupyterHub authenticator class                   dummy (trial only)
DGM_USER_PYTHON        the Python user servers run (the course's        a view of it (trial.py)
                       environment, executable by every user)
=====================  ===============================================  ======================
"""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # spawner.py, trial.py
from trial import PROXY  # noqa: E402 (make proxy installs it there)

c = get_config()  # noqa: F821 (JupyterHub provides get_config)
env = os.environ
state = Path(env.get("DGM_HUB_STATE", HERE / ".work" / "state"))
state.mkdir(parents=True, exist_ok=True)


def users(variable: str) -> list[str]:
    """The user names listed in an environment variable."""
    return [name for name in env.get(variable, "").split(",") if name]


c.JupyterHub.ip = env.get("DGM_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(env.get("DGM_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = c.JupyterHub.port + 1  # the hub's own API, and below the proxy's, on loopback only
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{c.JupyterHub.port + 2}"
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.ConfigurableHTTPProxy.command = [str(PROXY)]

# Who is who: hub groups (the spawner gives `instructors` and `graders` the course and formgrader).
staff = users("DGM_INSTRUCTORS") + users("DGM_GRADERS")
c.JupyterHub.load_groups = {
    "students": {"users": users("DGM_STUDENTS")},
    "instructors": {"users": users("DGM_INSTRUCTORS")},
    "graders": {"users": users("DGM_GRADERS")},
}
c.Authenticator.allowed_users = set(users("DGM_STUDENTS") + staff)
c.Authenticator.admin_users = set(users("DGM_INSTRUCTORS"))
c.JupyterHub.authenticator_class = env.get("DGM_AUTHENTICATOR", "dummy")

# The single-user environment is the course's: this Python environment's Jupyter, nbgrader and dgm_utils
# (DGM_USER_PYTHON: an interpreter of it every user may run).
user_python = env.get("DGM_USER_PYTHON", sys.executable)
c.JupyterHub.spawner_class = "spawner.CourseSpawner"
c.Spawner.cmd = [user_python, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    "PATH": f"{Path(user_python).parent}:{Path(sys.executable).parent}:/usr/bin:/bin",
    **({"DGM_FAST": env["DGM_FAST"]} if "DGM_FAST" in env else {}),
}
c.Spawner.http_timeout = c.Spawner.start_timeout = int(env.get("DGM_SPAWN_TIMEOUT", "120"))
c.Spawner.mem_limit = env.get("DGM_MEM_LIMIT", "2G")
c.Spawner.cpu_limit = float(env.get("DGM_CPU_LIMIT", "1"))
c.CourseSpawner.course_root = env["DGM_COURSE_ROOT"]
c.CourseSpawner.exchange_root = env["DGM_EXCHANGE"]

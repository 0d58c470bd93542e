"""Which of nbgrader's Jupyter extensions an environment turns on: the students' and the instructors' roles.

``PROBE`` is Python code run by an environment's own interpreter: it prints, as JSON, the
nbgrader server extensions Jupyter Server would load (``find_server_extensions``, the
merge of every ``jupyter_server_config.d``) and the nbgrader lab plugins JupyterLab's page
config disables (every ``labconfig/page_config.d``).
"""
from __future__ import annotations

PROBE = """
import json
from jupyter_server.serverapp import ServerApp
from jupyterlab_server.config import get_static_page_config
app = ServerApp()
app.find_server_extensions()
server = sorted(k for k, on in app.jpserver_extensions.items() if on and k.startswith("nbgrader."))
disabled = get_static_page_config(level="all").get("disabledExtensions", {})
lab = sorted(k for k, off in disabled.items() if off and k.startswith("@jupyter/nbgrader"))
print(json.dumps({"server_extensions": server, "disabled_lab_plugins": lab}))
"""

STUDENT = {
    "server_extensions": ["nbgrader.server_extensions.assignment_list", "nbgrader.server_extensions.validate_assignment"],
    "disabled_lab_plugins": ["@jupyter/nbgrader:course-list", "@jupyter/nbgrader:create-assignment",
                             "@jupyter/nbgrader:formgrader"],
}
INSTRUCTOR = {
    "server_extensions": ["nbgrader.server_extensions.assignment_list", "nbgrader.server_extensions.course_list",
                          "nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.validate_assignment"],
    "disabled_lab_plugins": [],
}

"""The install files agree: pyproject.toml, environment.yml, constraints.txt."""
import re
import tomllib

import yaml

from autograder.course import REPO


def name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert sorted(r for r in pip if not r.startswith("-e")) == sorted(project["dependencies"])
    assert "-e ." in pip
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    assert project["requires-python"] == ">=" + python.split("=")[1]


def test_torch_pinned_to_the_cpu_wheel_everywhere():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "torch==2.13.0" in project["dependencies"]
    assert "torch==2.13.0" in (REPO / "constraints.txt").read_text().split()
    assert "-c constraints.txt" in (REPO / "Makefile").read_text()


def test_benchmark_peers_stay_out_of_the_students_environment():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    peers = {"zuko", "nflows", "normflows"}
    assert not peers & {name(r) for r in project["dependencies"]}
    assert peers == {name(r) for r in project["optional-dependencies"]["benchmark"]}

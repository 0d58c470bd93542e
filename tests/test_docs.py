"""The documentation is current and names only what exists."""
import re

import dgm_utils
from autograder import apidoc
from autograder.cli import main as _  # noqa: F401 (the CLI must import)
from autograder.course import REPO

GUIDE = REPO / "docs" / "instructors.md"


def test_api_reference_is_generated_from_the_current_docstrings():
    assert (REPO / "docs" / "api.md").read_text() == apidoc.render(), \
        "docs/api.md is not current: run `python -m autograder.apidoc` (make docs)"


def test_changelog_has_the_current_version():
    changelog = (REPO / "CHANGELOG.md").read_text()
    assert f"## [{dgm_utils.__version__}]" in changelog
    assert dgm_utils.__version__ in apidoc.render().split("\n")[0]


def test_instructors_guide_names_only_commands_targets_and_files_that_exist():
    guide = GUIDE.read_text()
    makefile = (REPO / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.M))
    for target in re.findall(r"`make ((?:[a-z]+ ?)+)`", guide):
        assert set(target.split()) <= targets, f"make {target}"
    cli = (REPO / "autograder" / "cli.py").read_text()
    for command in set(re.findall(r"dgm-grade (\w+)", guide)):
        assert f'"{command}"' in cli, f"dgm-grade {command}"
    for module in set(re.findall(r"python -m ([\w.]+)", guide)):
        if module not in ("pytest",):
            path = REPO / module.replace(".", "/")
            assert path.with_suffix(".py").is_file() or (path / "__main__.py").is_file(), module
    for path in set(re.findall(r"`((?:autograder|dgm_utils|tests|docs|solutions)/[\w./]+\.(?:py|md))`", guide)):
        assert (REPO / path).is_file(), path
    for option in set(re.findall(r"`(--[\w-]+)", guide)):
        assert option in cli or option in ("--duedate", "--to", "--force", "--zip"), option

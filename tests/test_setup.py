"""Set-up for real students and instructors: the CPU build of torch, one install command."""
import re
import subprocess

import pytest

from autograder.course import REPO

CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def pip_line(*make_args: str) -> str:
    """The pip command ``make setup`` would run (``make -n``: printed, nothing is run)."""
    out = subprocess.run(["make", "-n", "-B", "-C", str(REPO), ".venv/.installed", *make_args],
                         capture_output=True, text=True, check=True).stdout
    return next(line for line in out.splitlines() if "pip install" in line)


def test_torch_index_goes_to_pip_only_when_given():
    given = pip_line(f"TORCH_INDEX={CPU_INDEX}")
    assert f"--extra-index-url {CPU_INDEX}" in given and "-c constraints.txt" in given, given
    plain = pip_line()
    assert "index" not in plain and "-c constraints.txt" in plain, plain


@pytest.mark.parametrize("guide", ["README.md", "STUDENTS.md"])
def test_guides_say_how_to_get_the_cpu_build_everywhere(guide):
    text = (REPO / guide).read_text()
    assert CPU_INDEX in text and f"PIP_EXTRA_INDEX_URL={CPU_INDEX} conda env create -f environment.yml" in text
    for system in ("Linux", "macOS", "Windows", "conda"):
        assert system in text, system
    if guide == "README.md":
        assert f"make setup TORCH_INDEX={CPU_INDEX}" in text
    else:
        assert re.search(rf"pip install --extra-index-url {re.escape(CPU_INDEX)} -c constraints.txt \.$", text, re.M)

"""matplotlib's font list, built once and shown read-only to every sandbox (``autograder/fonts.py``)."""
from __future__ import annotations

import hashlib
import json

import nbformat
import pytest

from autograder import fonts, sandbox
from autograder.sandbox import Limits

PLOT = """import logging
logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
import matplotlib.pyplot as plt
plt.plot([0, 1])
plt.title("fonts")
plt.show()"""
OVERWRITE = """import glob
for path in glob.glob("/tmp/.matplotlib/fontlist-*.json"):
    try:
        open(path, "w").write("{}")
        print("WROTE", path)
    except OSError as error:
        print("refused:", type(error).__name__)"""


def outputs(cell: dict) -> str:
    return "".join(str(out.get("text", "")) for out in cell.get("outputs", []))


@pytest.mark.skipif(sandbox.sandbox_mode() != "bwrap", reason="the font list is shown to bubblewrap's sandboxes")
def test_sandboxes_plot_with_the_shared_font_list_and_cannot_change_it(tmp_path):
    shared = fonts.font_list(tuple(sorted(sandbox._environment().items())), sandbox._visible)
    assert shared, "no usable font list was built"
    before = hashlib.sha256(open(shared, "rb").read()).hexdigest()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PLOT), nbformat.v4.new_code_cell(OVERWRITE)])
    result = sandbox.run(nbformat.writes(nb), tmp_path / "job", Limits(cell_seconds=60, notebook_seconds=120))
    plotted, overwrite = result.cells
    assert plotted["status"] == overwrite["status"] == "ok", result.log_tail
    said = outputs(plotted)
    assert "Using fontManager instance from /tmp/.matplotlib/fontlist-" in said, said[-2000:]
    assert "generated new fontManager" not in said and "Rebuilding cache" not in said, said[-2000:]
    assert {kind for out in plotted["outputs"] for kind in out.get("data", {})} >= {"image/png"}
    assert "refused:" in outputs(overwrite) and "WROTE" not in outputs(overwrite), outputs(overwrite)
    assert hashlib.sha256(open(shared, "rb").read()).hexdigest() == before


def test_a_font_list_naming_a_font_the_sandbox_does_not_see_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "CACHE", tmp_path / "cache")
    environment = tuple(sorted(sandbox._environment().items()))
    built = fonts.font_list.__wrapped__(environment, sandbox._visible)
    assert built and built.is_relative_to(tmp_path / "cache"), built
    listed = json.loads(built.read_text())
    assert listed["ttflist"], "matplotlib found no font"
    assert fonts._usable(built, sandbox._visible)

    hidden = tmp_path / "home" / "Hidden.ttf"  # a font of the grader's home: not in the sandbox
    hidden.parent.mkdir()
    hidden.write_bytes(b"")
    listed["ttflist"].append({**listed["ttflist"][0], "fname": str(hidden)})
    built.write_text(json.dumps(listed))
    assert not fonts._usable(built, sandbox._visible)
    assert fonts.font_list.__wrapped__(environment, sandbox._visible) is None

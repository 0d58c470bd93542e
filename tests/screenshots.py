"""Screenshots of a notebook's figures as JupyterLab draws them (for reviews and closing notes).

    python -m tests.screenshots NOTEBOOK.ipynb OUT_DIR "text of a cell" ["text of another cell" ...]

Runs NOTEBOOK top to bottom in fast mode (``DGM_FAST=1``) in a scratch folder, opens the
result in JupyterLab on loopback with Debian's Chromium (as ``tests/test_browser.py``
does), and for every cell whose source contains one of the texts takes one screenshot
per figure of its output, scrolled into view: ``OUT_DIR/<notebook>_cell<i>_figure<j>.png``.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tests.support import chromium
from tests.test_browser import jupyter


def screenshots(source: Path, out: Path, needles: list[str]) -> list[Path]:
    """Execute ``source`` in fast mode, then photograph the figures of the cells that contain ``needles``."""
    os.environ["DGM_FAST"] = "1"
    taken = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "root"
        root.mkdir()
        nb = nbformat.read(source, as_version=4)
        NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(root)}}).execute()
        nbformat.write(nb, root / source.name)
        out.mkdir(parents=True, exist_ok=True)
        with jupyter("lab", root, Path(scratch) / "jupyter") as server, chromium() as browser:
            page = browser.new_page(viewport={"width": 1300, "height": 1100})
            page.set_default_timeout(600_000)  # a stuck page, not a slow one
            page.goto(server.url(f"lab/tree/{source.name}"))
            page.wait_for_function(f"() => document.querySelectorAll('.jp-Notebook .jp-Cell').length >= {len(nb.cells)}")
            cells = page.locator(".jp-Notebook .jp-Cell")
            for needle in needles:
                index = next(i for i, cell in enumerate(nb.cells) if needle in cell.source)
                images = cells.nth(index).locator(".jp-OutputArea img")
                images.first.wait_for()
                for j in range(images.count()):
                    images.nth(j).scroll_into_view_if_needed()
                    taken.append(out / f"{source.stem}_cell{index}_figure{j + 1}.png")
                    page.screenshot(path=str(taken[-1]))
    return taken


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    print(*screenshots(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]), sep="\n")

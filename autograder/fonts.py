"""matplotlib's font list, built once per machine and shown read-only to every sandbox.

A sandbox starts with an empty ``/tmp``, so without it every graded notebook that plots
would scan the system's fonts again (``fc-list`` and a pass over every font file: about
0.1 s of CPU per run). The list is built here as a sandbox would build it (the sandbox's
environment, an empty home), kept under ``~/.cache/dgm-grader/`` by matplotlib's version
and the system's fonts (``fc-list``), and used only if every font it names is a file the
sandbox sees; otherwise each run builds its own, as before.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Callable

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "dgm-grader"  # relative: no home


def _system_fonts() -> str:
    try:
        return subprocess.run(["fc-list", "--format=%{file}\n"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def _build(folder: Path, environment: dict[str, str]) -> None:
    """Import matplotlib's font manager in the sandbox's environment; move the list it writes into ``folder``."""
    with tempfile.TemporaryDirectory(prefix="dgm-fonts-") as home:
        config = Path(home) / "matplotlib"
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], check=True, capture_output=True,
                       timeout=600, env={**environment, "HOME": home, "MPLCONFIGDIR": str(config)})
        [built] = config.glob("fontlist-v*.json")
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{built.name}.{os.getpid()}"
        shutil.copyfile(built, partial)
        os.replace(partial, folder / built.name)  # whole or absent, even with several graders building at once


def _usable(font_list: Path, visible: Callable[[Path], bool]) -> bool:
    """Every font of the list is a file the sandbox sees (names without a folder are matplotlib's own fonts)."""
    fonts = json.loads(font_list.read_text())
    names = [Path(font["fname"]) for font in fonts["ttflist"] + fonts["afmlist"]]
    return all(visible(name) and name.is_file() for name in names if name.is_absolute())


@functools.cache
def font_list(environment: tuple[tuple[str, str], ...], visible: Callable[[Path], bool]) -> Path | None:
    """The font list for sandboxes with this environment, or None (each run then builds its own)."""
    if not CACHE.is_absolute():
        return None
    key = hashlib.sha256(_system_fonts().encode()).hexdigest()[:16]
    folder = CACHE / f"matplotlib-{version('matplotlib')}-{key}"
    try:
        if not any(folder.glob("fontlist-v*.json")):
            _build(folder, dict(environment))
        [found] = folder.glob("fontlist-v*.json")
        return found if _usable(found, visible) else None
    except (OSError, ValueError, KeyError, subprocess.SubprocessError):
        return None

"""Measure the reference notebooks and write ``dgm_utils.measured.TABLE`` (the numbers notebooks quote).

    python -m tests.measure 01_change_of_variables 03_realnvp_glow [--fast-only | --full-only]

Runs each assignment's reference notebook top to bottom, in fast mode (``DGM_FAST=1``) and
in full mode, on this machine as it is (the load average at the start is printed), and
stores the wall time of the whole run and every value the notebook passes to
``dgm_utils.measured.note``.
"""
from __future__ import annotations

import fcntl
import json
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

from nbclient import NotebookClient

from autograder.course import Course
from autograder.notebook import reference_notebook
from dgm_utils import measured


def _measure(assignment: str, fast: bool) -> dict:
    """Run the reference notebook of ``assignment`` once; its wall time and noted values."""
    course = Course()
    nb = reference_notebook(course.source(assignment, course.notebooks(assignment)[0]))
    with tempfile.TemporaryDirectory() as folder:
        values_file = Path(folder) / "values.jsonl"
        saved = {k: os.environ.get(k) for k in ("DGM_FAST", measured.MEASURE_ENV)}
        os.environ.update({"DGM_FAST": "1" if fast else "0", measured.MEASURE_ENV: str(values_file)})
        try:
            start = time.perf_counter()
            NotebookClient(nb, timeout=1200, kernel_name="python3",
                           resources={"metadata": {"path": folder}}).execute()
            seconds = time.perf_counter() - start
        finally:
            for key, old in saved.items():
                if old is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = old
        values = {}
        if values_file.exists():
            for line in values_file.read_text().splitlines():
                record = json.loads(line)
                values[record["name"]] = record["value"]
    return {"seconds": round(seconds, 1), "values": values}


def main(argv: list[str]) -> None:
    """Measure the given assignments (``--fast-only`` / ``--full-only`` for one mode) and rewrite TABLE."""
    modes = [m for m, flag in (("fast", "--full-only"), ("full", "--fast-only")) if flag not in argv]
    assignments = [a for a in argv if not a.startswith("--")]
    new_entries = {}
    for assignment in assignments:
        entry = dict(measured.TABLE.get(assignment, {}))
        for mode in modes:
            load = os.getloadavg()[0]
            print(f"{assignment}, {mode} mode (load average {load:.1f}) ...", flush=True)
            entry[mode] = _measure(assignment, fast=mode == "fast")
            entry[mode]["load_average"] = [round(load, 1), round(os.getloadavg()[0], 1)]  # 1-minute, at start and end
            print(f"  {entry[mode]['seconds']} s, {entry[mode]['values']}", flush=True)
        entry["machine"] = (f"{os.cpu_count()}-core {platform.machine()} CPU shared with other jobs, "
                            f"{time.strftime('%Y-%m-%d', time.gmtime())}")
        new_entries[assignment] = entry
    _write(new_entries)


def _write(new_entries: dict[str, dict]) -> None:
    """Merge ``new_entries`` into the table as the file holds it now, and replace the file whole.

    Another measurement may run at the same time: the read-merge-write holds an exclusive lock
    on the package's folder. Notebooks being graded import the file at any moment: they see the
    old file or the new one, never half of it (a new file renamed over the old).
    """
    path = Path(measured.__file__)
    pattern = re.compile(r"(# BEGIN TABLE[^\n]*\nTABLE: dict\[str, dict\] = )(.*?)(\n# END TABLE)", re.S)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        text = path.read_text()
        table = {**json.loads(pattern.search(text).group(2)), **new_entries}
        body = json.dumps(table, indent=4, sort_keys=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as new:
            new.write(pattern.sub(lambda m: m.group(1) + body + m.group(3), text))
        os.chmod(new.name, path.stat().st_mode)
        os.replace(new.name, path)
    finally:
        os.close(folder)  # releases the lock


if __name__ == "__main__":
    main(sys.argv[1:])

"""The numbers the notebooks quote, as measured: run times and reference results, both modes.

One table, ``TABLE``, and nothing in it is typed by hand: ``python -m tests.measure
ASSIGNMENT ...`` (instructors' repository) runs each reference notebook (``solutions/``) top to bottom in fast and in
full mode, times the whole run and collects every value the notebook reports with
``note``, then rewrites the table below. Notebooks print these numbers (``quoted``; ``note``
prints a value of the current run next to the reference runs) instead of writing them in
their text, so text and measurement cannot drift apart.
"""
from __future__ import annotations

import json
import os

MEASURE_ENV = "DGM_MEASURE_FILE"
"""While the table is measured, ``note`` also appends its values (JSON lines) to this file."""

# BEGIN TABLE (written by python -m tests.measure)
TABLE: dict[str, dict] = {}
# END TABLE


def reference(assignment: str, name: str, mode: str) -> float | None:
    """The value ``name`` reported by the reference run of ``assignment`` in ``mode`` ("fast" / "full")."""
    return TABLE.get(assignment, {}).get(mode, {}).get("values", {}).get(name)


def quoted(assignment: str) -> str:
    """Run times of the reference notebook in both modes, as measured, with the machine and date."""
    entry = TABLE.get(assignment)
    if not entry:
        return f"{assignment}: no measured run times yet (python -m tests.measure {assignment})"
    parts = []
    for mode in ("fast", "full"):
        if mode in entry:
            run = entry[mode]
            parts.append(f"{mode} mode {run['seconds']:.0f} s")
    machine = entry.get("machine", "")
    return f"measured run time of the whole notebook: {', '.join(parts)} ({machine})"


def note(assignment: str, name: str, value: float, description: str = "", fmt: str = ".3f") -> float:
    """Print a result of this run next to the reference runs' values in both modes; returns ``value``.

    While the table is being measured (``DGM_MEASURE_FILE`` set) the value is collected too.
    """
    value = float(value)
    refs = [f"{mode} {reference(assignment, name, mode):{fmt}}" for mode in ("fast", "full")
            if reference(assignment, name, mode) is not None]
    suffix = f"   (reference solution: {', '.join(refs)})" if refs else ""
    print(f"{description or name}: {value:{fmt}}{suffix}")
    path = os.environ.get(MEASURE_ENV)
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"name": name, "value": value}) + "\n")
    return value


def notebook(assignment: str):
    """``note`` bound to one assignment: ``note = measured.notebook("03_realnvp_glow")``, then ``note(name, value, ...)``."""

    def bound(name: str, value: float, description: str = "", fmt: str = ".3f") -> float:
        return note(assignment, name, value, description, fmt)

    bound.__doc__ = note.__doc__
    return bound

"""Mutants: plausible student mistakes, applied to the reference solution cells.

Each ``tests/mutants/m<assignment>.py`` defines ``MUTANTS: list[Mutant]``. A mutant
replaces one exact piece of a solution cell's source (``old``, which must occur exactly
once) by ``new``. The grading tests check that every mutant loses points: the hidden
tests must see the mistake in the numbers, not just in the code.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    cell: str  # grade_id of the solution cell
    old: str
    new: str
    why: str  # the mistake, as a student would make it


def apply(mutant: Mutant, source: str) -> str:
    """``source`` with ``mutant.old`` replaced by ``mutant.new``; ``old`` must occur exactly once."""
    count = source.count(mutant.old)
    if count != 1:
        raise ValueError(
            f"mutant {mutant.name!r}: {mutant.old!r} occurs {count} times in cell {mutant.cell!r}, expected once"
        )
    return source.replace(mutant.old, mutant.new)

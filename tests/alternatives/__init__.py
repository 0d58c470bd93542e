"""Alternatives: correct answers written differently from the reference, the counterpart of mutants.

Each ``tests/alternatives/a<assignment>.py`` defines ``ALTERNATIVES: list[Alternative]`` and
``KNOWN_UNFAIR: dict[str, str]`` (alternative name -> why the grader wrongly takes points
from it). An alternative replaces definitions in one or more solution cells of the
reference: ``code`` maps a cell's grade_id to source holding top-level functions and
classes. A function replaces the reference's function of the same name; a class is
merged into the reference's class of the same name (its methods replace the same-named
methods, the other methods and the class body stay); any other statement, and any
definition the reference cell lacks, is appended to the cell. Unchanged definitions
are thus never copied, and an alternative survives edits to the rest of the cell.

The grading proof checks that every alternative gets full marks (those in
``KNOWN_UNFAIR`` are asserted to lose points instead, so the list documents each
unfairness until the hidden tests are fixed). It grades them in packs (:func:`packs`):
one submission holds one alternative for each of several tasks, as a student who
writes everything their own way, so a pack with full marks shows that each of its
alternatives earns its tasks' points and that their differences (order, precision,
architecture) add up within the tolerances; a known-unfair alternative is packed alone.
"""
from __future__ import annotations

import ast
import textwrap
from collections.abc import Collection
from dataclasses import dataclass

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class Alternative:
    name: str
    code: dict[str, str]  # grade_id of a solution cell -> definitions replacing the reference's
    why: str  # what is done differently, and why it is still correct


def _span(lines: list[str], node: ast.stmt) -> tuple[int, int]:
    """0-based [start, end) line range of ``node`` including its decorators."""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
    return start, node.end_lineno


def _definitions(body: list[ast.stmt]) -> dict[str, Definition]:
    return {n.name: n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _merge_class(lines: list[str], target: ast.ClassDef, new_lines: list[str], new: ast.ClassDef) -> list[str]:
    """``lines`` with the methods of class ``new`` (source ``new_lines``) put into class ``target``."""
    methods = _definitions(target.body)
    indent = _indent_of(lines[target.body[0].lineno - 1])
    replacements, appended = [], []
    for node in new.body:
        start, end = _span(new_lines, node)
        text = textwrap.indent(textwrap.dedent("\n".join(new_lines[start:end])), indent).split("\n")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in methods:
            replacements.append((_span(lines, methods[node.name]), text))
        else:
            appended += [""] + text
    _, class_end = _span(lines, target)
    replacements.append(((class_end, class_end), appended))
    for (start, end), text in sorted(replacements, key=lambda r: r[0], reverse=True):
        lines = lines[:start] + text + lines[end:]
    return lines


def merge(source: str, code: str) -> str:
    """``source`` (a solution cell) with the definitions of ``code`` replacing or extending its own."""
    new_lines = textwrap.dedent(code).strip("\n").split("\n")
    new_tree = ast.parse("\n".join(new_lines))
    lines = source.split("\n")
    for node in new_tree.body:
        tree = ast.parse("\n".join(lines))
        existing = _definitions(tree.body).get(getattr(node, "name", None))
        start, end = _span(new_lines, node)
        text = new_lines[start:end]
        if existing is None:
            lines = lines + ["", ""] + text
        elif isinstance(node, ast.ClassDef) and isinstance(existing, ast.ClassDef):
            lines = _merge_class(lines, existing, new_lines, node)
        else:
            old_start, old_end = _span(lines, existing)
            lines = lines[:old_start] + text + lines[old_end:]
    result = "\n".join(lines)
    ast.parse(result)
    return result


def apply(alternative: Alternative, answers: dict[str, str]) -> dict[str, str]:
    """The answer sheet ``answers`` (grade_id -> source) with ``alternative`` written into its cells."""
    missing = sorted(set(alternative.code) - set(answers))
    if missing:
        raise ValueError(f"alternative {alternative.name!r}: no solution cell {missing}")
    return {**answers, **{cell: merge(answers[cell], code) for cell, code in alternative.code.items()}}


def defined_names(alternative: Alternative) -> set[str]:
    """The top-level names an alternative's code defines (functions, classes, assignments, imports)."""
    names = set()
    for code in alternative.code.values():
        for node in ast.parse(textwrap.dedent(code)).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}
            elif hasattr(node, "name"):
                names.add(node.name)
    return names


def packs(catalogue: list[Alternative], alone: Collection[str] = ()) -> list[list[Alternative]]:
    """The catalogue in packs, first fit in catalogue order: no two alternatives of a pack touch the same solution
    cell or define the same name (a later cell's definition would replace an earlier one's); those named in ``alone``
    each in a pack of its own. A pack is graded as one submission."""
    names = {alternative.name: defined_names(alternative) for alternative in catalogue}
    packed: list[list[Alternative]] = []
    for alternative in catalogue:
        fits = [pack for pack in packed if alternative.name not in alone and not any(
            other.name in alone or set(other.code) & set(alternative.code)
            or names[other.name] & names[alternative.name] for other in pack)]
        if fits:
            fits[0].append(alternative)
        else:
            packed.append([alternative])
    return packed

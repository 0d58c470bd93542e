"""No assignment gives away another's answer: syntax trees of graded tasks against public code.

A *graded task* is a function or class defined in a solution cell of ``solutions/`` (a
class with its methods). *Public code* is what students read: every code cell of a
release notebook (``course/``) that is not a solution cell (given code, and visible
tests: nbgrader has already cut the hidden part), and the modules of ``dgm_utils``.
Public code must never define or compute what a graded task of any assignment asks.
Text comparison misses a renamed copy; here code is compared as syntax trees:

* ``name``: public code defines a function or class named as a graded task;
* ``body``: a public function whose normalised body is a graded task's normalised body
  (bodies with a ``significant`` expression: ``return torch.zeros(len(x))`` is an idiom);
* ``fragment``: a public expression that, normalised, equals a ``significant`` expression
  of a graded task's body (the task computed inline, in a test).

Normalised: docstrings dropped; the keywords ``dtype``, ``device`` and ``generator`` dropped
(they choose a representation, not a computation); every variable, argument and constant
replaced by ``v0, v1, ...`` in order of first appearance, so renamed variables and other
sizes still match; attribute names (``.T``, ``torch.linalg.solve``) and operators kept.
What it cannot see is the same maths in another algebraic form (a posterior by Gaussian
conditioning instead of ``M^{-1} W^T``): a syntax tree does not know the Woodbury identity.

**Release order.** Assignments are handed out in the order of their names; one may need an
earlier one's answer once that assignment's deadline has passed. Those answers live in
``dgm_utils/released/a<assignment>.py`` (``RELEASED``): such a module may hold its own
assignment's answers, and nothing a later assignment grades; a notebook may import it only
when it comes later in the release order; a bundle that holds the assignment itself, or
an earlier one, must not hold the module (see ``autograder.bundle``).
"""
from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .course import REPO, Course
from .notebook import is_solution, strip_markers

MIN_NODES = 8  # smaller expressions (x.mean(0), a - b) are too common to call a leak
MIN_OPERATIONS = 3  # arithmetic operations and calls, tensor constructors not counted
MIN_VARIABLES = 2  # distinct variables, modules not counted: 0.5 * d * math.log(2 * math.pi) is an idiom
MODULES = {"torch", "math", "np", "numpy", "F", "nn", "scipy", "sklearn"}
CONSTRUCTORS = {"zeros", "ones", "empty", "full", "eye", "arange", "linspace", "tensor", "as_tensor", "randn", "rand",
                "randint", "randperm", "zeros_like", "ones_like", "full_like", "randn_like", "rand_like", "Generator"}
DROPPED_KEYWORDS = {"dtype", "device", "generator"}
RELEASED = "dgm_utils/released"  # one module per finished assignment: a<assignment>.py
RELEASED_IMPORT = re.compile(r"dgm_utils\.released\.a(\w+)")

# Leaks found when this check was written, in code this change could not edit (assignments 01-03 are
# being rewritten): (where, kind, task) -> why it is tolerated for now. Nothing else is; a fix removes its line.
KNOWN: dict[tuple[str, str, str], str] = {
    ("02_linear_autoregressive_flows", "name", "standard_normal_log_prob"):
        "02's given code redefines 01's graded task; to import from dgm_utils.released.a01_change_of_variables",
    ("03_realnvp_glow", "name", "standard_normal_log_prob"):
        "03's given code redefines 01's graded task; to import from dgm_utils.released.a01_change_of_variables",
    ("01_change_of_variables", "fragment", "forward_kl"):
        "the given Flow.log_prob, log p(f(x)) + log|det J_f|, which forward_kl's reference writes inline",
}


@dataclass(frozen=True)
class Task:
    """A function or class of a solution cell: what assignment ``assignment`` grades."""

    assignment: str
    name: str  # "f", "Class" or "Class.method"
    body: str  # normalised body ("" for a class)
    fragments: frozenset[str]


@dataclass(frozen=True)
class Leak:
    """Public code at ``where`` that defines or computes the graded task ``task``."""

    where: str
    kind: str  # "name", "body", "fragment" or "order"
    task: Task | None
    detail: str
    owner: str | None = None  # the assignment of a notebook cell; None for a module

    @property
    def key(self) -> tuple[str, str, str]:
        """``(assignment or module, kind, task)``: what ``KNOWN`` lists, independent of cell numbers."""
        return (self.owner or self.where, self.kind, self.task.name if self.task else "")

    @property
    def known(self) -> bool:
        return self.key in KNOWN

    def __str__(self) -> str:
        if self.task is None:
            return f"{self.where}: {self.detail}"
        return (f"{self.where}: {self.detail} ({self.kind} of {self.task.name}, "
                f"graded in {self.task.assignment})")


def _size(node: ast.AST) -> int:
    return sum(1 for n in ast.walk(node) if not isinstance(n, ast.expr_context))


def called(node: ast.Call) -> str:
    """The name a call calls: ``f`` of ``f(...)`` and of ``obj.f(...)``."""
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def significant(node: ast.expr) -> bool:
    """Whether an expression computes enough to count as (part of) an answer.

    At least ``MIN_NODES`` nodes, ``MIN_OPERATIONS`` operations (tensor constructors such as
    ``torch.zeros(x.shape[0])`` and packing into a tuple do not count) on ``MIN_VARIABLES``
    distinct variables.
    """
    if _size(node) < MIN_NODES or isinstance(node, (ast.Tuple, ast.List)) \
            or (isinstance(node, ast.Call) and called(node) in CONSTRUCTORS):
        return False
    operations = sum(1 for n in ast.walk(node) if isinstance(n, (ast.BinOp, ast.Compare))
                     or (isinstance(n, ast.UnaryOp) and not isinstance(n.operand, ast.Constant))
                     or (isinstance(n, ast.Call) and called(n) not in CONSTRUCTORS))
    variables = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id not in MODULES}
    return operations >= MIN_OPERATIONS and len(variables) >= MIN_VARIABLES


class _Normaliser(ast.NodeTransformer):
    """Names, arguments and constants to v0, v1, ... by first appearance; representation keywords dropped."""

    def __init__(self) -> None:
        self.seen: dict[object, str] = {}

    def _leaf(self, key: object) -> str:
        return self.seen.setdefault(key, f"v{len(self.seen)}")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Name(id=self._leaf(("name", node.id)))

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return ast.arg(arg=self._leaf(("name", node.arg)))

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.Name(id=self._leaf(("const", repr(node.value))))

    def visit_Call(self, node: ast.Call) -> ast.AST:
        node.keywords = [k for k in node.keywords if k.arg not in DROPPED_KEYWORDS]
        return self.generic_visit(node)

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for field in ("annotation", "returns", "type_comment"):
            if hasattr(node, field):
                setattr(node, field, None)
        return super().generic_visit(node)


def normalise(node: ast.AST | list[ast.stmt]) -> str:
    """``ast.dump`` of a copy of ``node`` (or of a statement list) with names normalised."""
    tree = copy.deepcopy(ast.Module(body=node, type_ignores=[]) if isinstance(node, list) else node)
    return ast.dump(_Normaliser().visit(tree), annotate_fields=False)


def _body(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    """The statements of a function without its docstring."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return body


def fragments(node: ast.AST | list[ast.stmt]) -> set[str]:
    """Normalised ``significant`` expressions anywhere in ``node``."""
    nodes = node if isinstance(node, list) else [node]
    return {normalise(e) for n in nodes for e in ast.walk(n) if isinstance(e, ast.expr) and significant(e)}


def _definitions(tree: ast.Module):
    """``(name, node)`` of top-level functions and classes, and of methods as ``Class.method``."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            yield node.name, node
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield f"{node.name}.{item.name}", item


def _parse(source: str) -> ast.Module | None:
    """The syntax tree of a cell or module; IPython magics and shell lines are blanked first."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in strip_markers(source).split("\n")]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def tasks_of(assignment: str, sources: list[str]) -> list[Task]:
    """The graded tasks defined in the solution-cell ``sources`` of ``assignment``."""
    found = []
    for source in sources:
        tree = _parse(source)
        for name, node in _definitions(tree) if tree else ():
            if isinstance(node, ast.ClassDef):
                found.append(Task(assignment, name, "", frozenset()))
            else:
                body = _body(node)
                found.append(Task(assignment, name, normalise(body), frozenset(fragments(body))))
    return found


def graded_tasks(course: Course) -> list[Task]:
    """Every graded task of every assignment of ``course``, from ``solutions/``."""
    return [task for assignment in course.assignments() for notebook in course.notebooks(assignment)
            for task in tasks_of(assignment, [c.source for c in course.source(assignment, notebook).cells
                                              if c.cell_type == "code" and is_solution(c)])]


def _order(assignment: str, course: Course) -> int:
    return course.assignments().index(assignment) if assignment in course.assignments() else -1


def released_assignment(rel: str) -> str | None:
    """The assignment whose answers the file ``rel`` (relative path) releases, if it is a released module."""
    parts = rel.split("/")
    if "/".join(parts[:-1]).endswith(RELEASED) and parts[-1].startswith("a") and parts[-1].endswith(".py"):
        return parts[-1][1:-3]
    return None


def check_source(where: str, source: str, tasks: list[Task], owner: str | None, course: Course) -> list[Leak]:
    """Leaks in one piece of public code: a cell of assignment ``owner`` or a module of ``dgm_utils``.

    A released module of assignment A (``owner`` = A, ``where`` under ``dgm_utils/released``)
    may hold A's answers and those of earlier assignments; any other public code may hold none.
    """
    tree = _parse(source)
    if tree is None:
        return []
    released = released_assignment(where)
    allowed = {t for t in tasks if released and _order(t.assignment, course) <= _order(released, course)}
    checked = [t for t in tasks if t not in allowed]
    by_name = {t.name: t for t in checked}
    by_body = {t.body: t for t in checked if t.fragments}  # a body without a significant expression is an idiom
    leaks: list[Leak] = []
    for name, node in _definitions(tree):
        if name in by_name:
            leaks.append(Leak(where, "name", by_name[name], f"defines {name}", owner))
        if not isinstance(node, ast.ClassDef) and normalise(_body(node)) in by_body:
            leaks.append(Leak(where, "body", by_body[normalise(_body(node))], f"{name} has the body", owner))
    public = fragments(tree.body)
    for task in checked:
        shared = public & task.fragments
        if shared:
            leaks.append(Leak(where, "fragment", task, f"computes {len(shared)} expression(s) of the body", owner))
    if owner is not None:
        for earlier in sorted(set(RELEASED_IMPORT.findall(source))):
            if _order(earlier, course) < 0 or _order(earlier, course) >= _order(owner, course):
                leaks.append(Leak(where, "order", None, f"imports the released answers of {earlier}, "
                                                        f"which is not before {owner} in the release order", owner))
    return leaks


def public_cells(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """``(index, source)`` of the code cells students read and that are not theirs to write."""
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code" and not is_solution(c)]


def notebook_leaks(where: str, nb: nbformat.NotebookNode, owner: str, tasks: list[Task], course: Course) -> list[Leak]:
    """Leaks in the given code and visible tests of one release notebook of assignment ``owner``."""
    return [leak for i, source in public_cells(nb) for leak in check_source(f"{where} cell {i}", source, tasks, owner, course)]


def module_leaks(root: Path, tasks: list[Task], course: Course) -> list[Leak]:
    """Leaks in the ``.py`` files under ``root`` (a copy of ``dgm_utils`` or the package itself)."""
    leaks = []
    for path in sorted(root.rglob("*.py")):
        rel = f"dgm_utils/{path.relative_to(root).as_posix()}"
        leaks += check_source(rel, path.read_text(), tasks, None, course)
    return leaks


def course_leaks(course: Course = Course(), package: Path = REPO / "dgm_utils") -> list[Leak]:
    """Every leak in the release of ``course`` and in ``package`` (``dgm_utils``)."""
    tasks = graded_tasks(course)
    leaks = module_leaks(package, tasks, course)
    for assignment in course.assignments():
        for notebook in course.notebooks(assignment):
            path = course.release / assignment / f"{notebook}.ipynb"
            if path.exists():
                leaks += notebook_leaks(f"course/{assignment}/{notebook}.ipynb", course.released(assignment, notebook),
                                        assignment, tasks, course)
    return leaks


def bundle_leaks(bundle: Path, course: Course = Course()) -> list[str]:
    """The leaks of a students' bundle (``KNOWN`` ones left out): its notebooks and its ``dgm_utils``,
    and released answers of an assignment that the bundle holds or that comes after one it holds."""
    tasks = graded_tasks(course)
    bundled = sorted(p.name for p in (bundle / "course").iterdir()) if (bundle / "course").is_dir() else []
    found = [str(leak) for leak in module_leaks(bundle / "dgm_utils", tasks, course) if not leak.known] \
        if (bundle / "dgm_utils").is_dir() else []
    for path in sorted((bundle / "dgm_utils").rglob("*.py")) if (bundle / "dgm_utils").is_dir() else []:
        rel = f"dgm_utils/{path.relative_to(bundle / 'dgm_utils').as_posix()}"
        released = released_assignment(rel)
        if released and bundled and _order(released, course) >= _order(bundled[0], course):
            found.append(f"{rel}: the released answers of {released}, bundled with {bundled[0]} "
                         f"(hand them out after {released}'s deadline)")
    for assignment in bundled:
        for path in sorted((bundle / "course" / assignment).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            found += [str(leak) for leak in notebook_leaks(path.relative_to(bundle).as_posix(), nb, assignment, tasks,
                                                           course) if not leak.known]
    return found


def released_ignore(assignments: list[str], course: Course = Course()) -> Callable[[str, list[str]], set[str]]:
    """A ``shutil.copytree`` ignore for ``dgm_utils``: in a bundle of ``assignments``, the released
    answers of the first bundled assignment and of every later one are left out."""
    first = min((_order(a, course) for a in assignments), default=len(course.assignments()))
    unreleased = {f"a{a}.py" for a in course.assignments() if _order(a, course) >= first}
    return lambda folder, names: unreleased & set(names) if Path(folder).as_posix().endswith(RELEASED) else set()


def main() -> int:
    """``python -m autograder.leaks``: print every leak of the course; exit 1 if one is not ``KNOWN``."""
    leaks = course_leaks()
    for leak in leaks:
        print(("known: " if leak.known else "") + str(leak))
    new = [leak for leak in leaks if not leak.known]
    print(f"{len(new)} leak(s), {len(leaks) - len(new)} known (autograder.leaks.KNOWN)")
    return 1 if new else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Automatic single-point mutations of Python source, by its syntax tree.

``mutations(source, lines)`` lists every single-point mutation of the expressions that
lie entirely on the given lines (1-based; all lines when ``None``):

* ``operator``: ``+ <-> -``, ``* <-> /``, ``** -> *``, ``@ -> *``, ``// -> /``, ``% -> //``,
  ``< <-> <=``, ``> <-> >=``, ``== <-> !=``, ``and <-> or``;
* ``constant``: an int ``c -> c + 1``, a float ``0.0 -> 1.0`` and ``c -> 2 c``, ``True <-> False``;
* ``sign``: ``-e -> e`` and a non-zero number ``c -> -c``;
* ``axis``: the dimension of a reduction or reshaping call (``dim=``/``axis=``, or its positional
  place in ``x.sum(1)``, ``torch.logsumexp(x, 1)``, ``torch.cat(xs, 1)``, ...): ``0 -> 1``, else ``k -> k - 1``;
* ``argument_swap``: the first two positional arguments of a call, the operands of ``-``, ``/``, ``@``, ``**``;
* ``dropped_reduction``: ``x.sum(...) -> x``, ``torch.logsumexp(x, ...) -> x``, ... (sum, mean, logsumexp,
  prod, trace, norm, max, min, amax, amin), and ``x.T -> x`` (a dropped transpose).

A mutation replaces the source text of one expression by the unparsed mutated expression
in parentheses, so the rest of the source (comments, layout) is untouched. Mutations
that leave the syntax tree unchanged are dropped.
"""
from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass

OPERATORS: dict[type, type] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
    ast.MatMult: ast.Mult, ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv,
}
COMPARISONS: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
}
NON_COMMUTATIVE = (ast.Sub, ast.Div, ast.MatMult, ast.Pow)
REDUCTIONS = {"sum", "mean", "logsumexp", "prod", "trace", "norm", "max", "min", "amax", "amin"}
# calls whose dimension argument is positional: x.name(dim, ...) and torch.name(x, dim, ...)
DIM_METHODS = REDUCTIONS - {"trace"} | {
    "softmax", "log_softmax", "cumsum", "std", "var", "argmax", "argmin", "unsqueeze", "squeeze", "flatten", "flip",
}
DIM_FUNCTIONS = DIM_METHODS | {"cat", "stack", "concat", "concatenate"}
DIM_KEYWORDS = {"dim", "axis", "dim0", "dim1", "start_dim", "end_dim"}


@dataclass(frozen=True)
class Mutation:
    line: int  # 1-based line of the mutated expression in the source
    kind: str
    description: str  # "old -> new", both as unparsed code
    source: str  # the whole mutated source


def _int_value(node: ast.expr) -> int | None:
    """The value of an integer literal, including a negative one (``-1``), else None."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _int_value(node.operand) is not None:
        return -_int_value(node.operand)
    return None


def _other_axis(k: int) -> int:
    return 1 if k == 0 else k - 1


def _with(node: ast.expr, **changes) -> ast.expr:
    new = copy.deepcopy(node)
    for name, value in changes.items():
        setattr(new, name, value)
    return new


def _call_name(call: ast.Call) -> tuple[str | None, bool]:
    """(name, is_method): ``x.sum`` -> ("sum", True), ``torch.sum`` / ``sum`` -> ("sum", False)."""
    func = call.func
    if isinstance(func, ast.Attribute):
        is_module = isinstance(func.value, ast.Name) and func.value.id in {"torch", "np", "numpy", "math", "F"}
        is_module |= isinstance(func.value, ast.Attribute) and func.value.attr in {"linalg", "special", "functional"}
        return func.attr, not is_module
    if isinstance(func, ast.Name):
        return func.id, False
    return None, False


def _axis_mutations(call: ast.Call) -> Iterator[tuple[str, ast.expr, set[int]]]:
    """Axis changes of a call; also the ids of the literals they consume (no constant change for those)."""
    for i, keyword in enumerate(call.keywords):
        k = _int_value(keyword.value)
        if keyword.arg in DIM_KEYWORDS and k is not None:
            keywords = list(call.keywords)
            keywords[i] = ast.keyword(arg=keyword.arg, value=ast.Constant(_other_axis(k)))
            yield "axis", _with(call, keywords=keywords), {id(n) for n in ast.walk(keyword.value)}
    name, is_method = _call_name(call)
    place = 0 if is_method and name in DIM_METHODS else 1 if not is_method and name in DIM_FUNCTIONS else None
    if place is not None and len(call.args) > place and (k := _int_value(call.args[place])) is not None:
        args = list(call.args)
        args[place] = ast.Constant(_other_axis(k))
        yield "axis", _with(call, args=args), {id(n) for n in ast.walk(call.args[place])}


def _node_mutations(node: ast.expr, axis_literals: set[int], negated: set[int]) -> Iterator[tuple[str, ast.expr]]:
    """(kind, mutated node) for every single-point mutation of ``node`` itself.

    ``axis_literals``: literals an axis change already mutates; ``negated``: operands of a unary minus
    (their sign flip is the minus dropped)."""
    if isinstance(node, ast.BinOp):
        if type(node.op) in OPERATORS:
            yield "operator", _with(node, op=OPERATORS[type(node.op)]())
        if isinstance(node.op, NON_COMMUTATIVE):
            yield "argument_swap", _with(node, left=node.right, right=node.left)
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARISONS:
        yield "operator", _with(node, ops=[COMPARISONS[type(node.ops[0])]()])
    elif isinstance(node, ast.BoolOp):
        yield "operator", _with(node, op=ast.Or() if isinstance(node.op, ast.And) else ast.And())
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        if id(node) not in axis_literals:
            yield "sign", node.operand
    elif isinstance(node, ast.Constant) and id(node) not in axis_literals:
        value = node.value
        if type(value) is bool:
            yield "constant", ast.Constant(not value)
        elif type(value) is int:
            yield "constant", ast.Constant(value + 1)
        elif type(value) is float:
            yield "constant", ast.Constant(1.0 if value == 0 else 2 * value)
        if type(value) in (int, float) and value != 0 and id(node) not in negated:
            yield "sign", ast.Constant(-value)
    elif isinstance(node, ast.Attribute) and node.attr in {"T", "mT"} and isinstance(node.ctx, ast.Load):
        yield "dropped_reduction", node.value
    elif isinstance(node, ast.Call):
        for kind, new, _ in _axis_mutations(node):
            yield kind, new
        positional = [a for a in node.args if not isinstance(a, ast.Starred)]
        if len(positional) >= 2 and not all(isinstance(a, ast.Constant) for a in positional[:2]):
            args = list(node.args)
            args[0], args[1] = node.args[1], node.args[0]
            if not any(isinstance(a, ast.Starred) for a in node.args[:2]):
                yield "argument_swap", _with(node, args=args)
        name, is_method = _call_name(node)
        if name in REDUCTIONS:
            if is_method:
                yield "dropped_reduction", node.func.value
            elif node.args and not isinstance(node.args[0], ast.Starred):
                yield "dropped_reduction", node.args[0]


def _in_f_string(tree: ast.AST) -> set[int]:
    return {id(n) for s in ast.walk(tree) if isinstance(s, ast.JoinedStr) for n in ast.walk(s)}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            found.add(id(body[0].value))
    return found


def _replace(source: str, node: ast.expr, text: str) -> str:
    lines = source.split("\n")
    start, end = node.lineno - 1, node.end_lineno - 1
    head, tail = lines[start][: node.col_offset], lines[end][node.end_col_offset :]
    return "\n".join(lines[:start] + [head + text + tail] + lines[end + 1 :])


def mutations(source: str, lines: set[int] | None = None) -> list[Mutation]:
    """Every single-point mutation of the expressions on ``lines`` of ``source``, in source order."""
    tree = ast.parse(source)
    original = ast.dump(tree)
    skipped = _in_f_string(tree) | _docstrings(tree)
    axis_literals = {i for node in ast.walk(tree) if isinstance(node, ast.Call) for _, _, ids in _axis_mutations(node)
                     for i in ids}
    negated = {id(n.operand) for n in ast.walk(tree) if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub)}
    found: dict[str, Mutation] = {}
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.expr) and hasattr(n, "end_lineno") and id(n) not in skipped]
    for node in sorted(nodes, key=lambda n: (n.lineno, n.col_offset, -n.end_lineno, -n.end_col_offset)):
        if isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)):
            continue
        if lines is not None and not set(range(node.lineno, node.end_lineno + 1)) <= lines:
            continue
        for kind, new in _node_mutations(node, axis_literals, negated):
            text = f"({ast.unparse(new)})"
            mutated = _replace(source, node, text)
            try:
                changed = ast.dump(ast.parse(mutated)) != original
            except SyntaxError:
                continue
            if changed and mutated not in found:
                description = f"{ast.unparse(node)} -> {ast.unparse(new)}"
                found[mutated] = Mutation(node.lineno, kind, description, mutated)
    return list(found.values())

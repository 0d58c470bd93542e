"""``docs/api.md``: the API reference of ``dgm_utils``, generated from its docstrings.

    python -m autograder.apidoc            rewrite docs/api.md
    python -m autograder.apidoc --check    exit 1 when docs/api.md is not current (a test runs this)

The sources are read with ``ast``, never imported, so the page is the same on every
machine. Documented: each module's docstring; its public names (``__all__`` when the
module has one, else every top-level name without a leading underscore): functions
with their signatures, classes with their constructor or dataclass fields and public
methods and properties, and constants that carry a docstring (a string right after
the assignment).
"""
from __future__ import annotations

import argparse
import ast
import inspect
import re
import sys
from pathlib import Path

from .course import REPO

PACKAGE = REPO / "dgm_utils"
TARGET = REPO / "docs" / "api.md"


def _doc(text: str | None) -> str:
    """A docstring as Markdown: RST's double backticks and ``::`` become Markdown's."""
    if not text:
        return ""
    text = inspect.cleandoc(text).replace("``", "`")
    return re.sub(r"(?<=\S)::$", ":", re.sub(r"^::$", "", text, flags=re.M), flags=re.M)


def _parameter(arg: ast.arg, default: ast.expr | None) -> str:
    text = arg.arg + (f": {ast.unparse(arg.annotation)}" if arg.annotation else "")
    if default is not None:
        text += f" = {ast.unparse(default)}" if arg.annotation else f"={ast.unparse(default)}"
    return text


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str | None = None, drop_self: bool = False) -> str:
    """``name(parameters) -> returns`` in PEP 8 spacing (``x: int = 1``, ``x=1``)."""
    a = node.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    parts = [_parameter(arg, d) for arg, d in zip(positional, defaults)]
    if a.posonlyargs:
        parts.insert(len(a.posonlyargs), "/")
    if a.vararg:
        parts.append("*" + _parameter(a.vararg, None))
    elif a.kwonlyargs:
        parts.append("*")
    parts += [_parameter(arg, d) for arg, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg:
        parts.append("**" + _parameter(a.kwarg, None))
    if drop_self and positional:
        parts = parts[1:]
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"{name or node.name}({', '.join(parts)}){returns}"


def _is_dataclass(node: ast.ClassDef) -> bool:
    return any("dataclass" in ast.unparse(d) for d in node.decorator_list)


def _class(node: ast.ClassDef) -> list[str]:
    bases = f"({', '.join(ast.unparse(b) for b in node.bases)})" if node.bases else ""
    init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if _is_dataclass(node):
        fields = [f"{ast.unparse(n.target)}: {ast.unparse(n.annotation)}"
                  + (f" = {ast.unparse(n.value)}" if n.value is not None else "")
                  for n in node.body if isinstance(n, ast.AnnAssign)]
        signature = f"{node.name}({', '.join(fields)})"
    elif init is not None:
        signature = _signature(init, node.name, drop_self=True).removesuffix(" -> None")
    else:
        signature = f"{node.name}{bases}"
    lines = [f"### class `{node.name}`", "", "```python", f"class {signature}", "```", ""]
    if (doc := _doc(ast.get_docstring(node))):
        lines += [doc, ""]
    for item in node.body:
        if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) or item.name.startswith("_"):
            continue
        decorators = {ast.unparse(d) for d in item.decorator_list}
        if "property" in decorators or "cached_property" in decorators:
            returns = f": {ast.unparse(item.returns)}" if item.returns else ""
            head = f"- `{node.name}.{item.name}{returns}` (property)"
        else:
            head = f"- `{node.name}.{_signature(item, drop_self='staticmethod' not in decorators)}`"
        doc = _doc(ast.get_docstring(item))
        lines.append(head + (":" if doc else ""))
        lines += [f"  {line}" if line else "" for line in doc.split("\n")] if doc else []
    return lines + [""]


def _public(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and node.value is not None:
                return [ast.literal_eval(e) for e in node.value.elts]
    return None


def module_section(path: Path) -> list[str]:
    """The Markdown section of one module."""
    name = "dgm_utils" if path.stem == "__init__" else f"dgm_utils.{path.stem}"
    tree = ast.parse(path.read_text())
    lines = [f"## `{name}`", "", _doc(ast.get_docstring(tree)), ""]
    listed = _public(tree)
    entries: dict[str, list[str]] = {}
    body = tree.body
    for i, node in enumerate(body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            entries[node.name] = [f"### `{node.name}`", "", "```python", f"def {_signature(node)}", "```", "",
                                  _doc(ast.get_docstring(node)), ""]
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            entries[node.name] = _class(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and i + 1 < len(body):
            following = body[i + 1]
            documented = (isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                          and isinstance(following.value.value, str))
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if documented and isinstance(target, ast.Name) and not target.id.startswith("_"):
                annotation = f": {ast.unparse(node.annotation)}" if isinstance(node, ast.AnnAssign) else ""
                entries[target.id] = [f"### `{target.id}{annotation}`", "", _doc(following.value.value), ""]
    order = [n for n in listed if n in entries] if listed is not None else list(entries)
    for entry in order:
        lines += entries[entry]
    return lines


def render() -> str:
    version = ast.literal_eval(next(
        n.value for n in ast.parse((PACKAGE / "__init__.py").read_text()).body
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__version__" for t in n.targets)))
    modules = [PACKAGE / "__init__.py"] + sorted(p for p in PACKAGE.glob("*.py") if not p.name.startswith("_"))
    names = ["dgm_utils" if p.stem == "__init__" else f"dgm_utils.{p.stem}" for p in modules]
    lines = [
        f"# `dgm_utils` {version}: API reference", "",
        "Generated from the docstrings by `python -m autograder.apidoc`; do not edit by hand "
        "(`make docs` regenerates it, and a test checks that it is current). "
        "Changes between versions: [CHANGELOG.md](../CHANGELOG.md).", "",
        *[f"- [`{n}`](#{n.replace('.', '')})" for n in names], "",
    ]
    for path in modules:
        lines += module_section(path)
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.apidoc", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/api.md is not current")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = TARGET.is_file() and TARGET.read_text() == text
        if not current:
            print(f"{TARGET.relative_to(REPO)} is not current: run python -m autograder.apidoc (make docs)",
                  file=sys.stderr)
        return 0 if current else 1
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

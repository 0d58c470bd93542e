"""A static audit of the student's code: what looks like tampering, for a human to review.

It never changes a score (the verdict is already out of the student's reach); it flags
the submission for manual review in the gradebook and the grade table. Flagged:
assignments to attributes of ``torch``, ``numpy``, ``builtins``, ``dgm_utils``, ``sys``,
``os`` or IPython (and ``setattr`` on them); ``exec``/``eval``/``compile``/``__import__``;
IPython input or AST transformers, event hooks and ``showtraceback``; ``sys.settrace``
and ``setprofile``; ``os._exit``, ``os.kill``, ``signal``, ``ctypes``; reads of the
grader's environment variables; file paths outside the working folder. Also what could
reach the records channel (``runner.py``) from inside the kernel: ``sys.modules``,
``sys.meta_path`` and module ``__dict__``s (aliasing or replacing the grading module),
``globals()``/``vars()``, ``getattr``/``setattr`` with a computed name, anything named
like a transformer or hook (under any attribute or string), the kernel's session and
display publisher, threads, and any use of ``dgm_utils.grading`` or ``record`` in the
student's own cells.
"""
from __future__ import annotations

import ast
import re

from nbformat import NotebookNode

from .notebook import PARSE_LOCK, is_students

PROTECTED_MODULES = {"torch", "numpy", "builtins", "dgm_utils", "sys", "os", "IPython", "scipy", "sklearn", "nbformat"}
DYNAMIC_CODE = {"exec", "eval", "compile", "__import__"}
HOOK_ATTRIBUTES = {
    "input_transformers_cleanup", "input_transformers_post", "ast_transformers", "showtraceback",
    "showsyntaxerror", "events", "register_magic_function", "set_custom_exc", "run_cell", "settrace", "setprofile",
}
PROCESS_CALLS = {("os", "_exit"), ("os", "kill"), ("os", "killpg"), ("os", "abort"), ("sys", "settrace"),
                 ("sys", "setprofile"), ("threading", "settrace"), ("os", "fork")}
RISKY_IMPORTS = {"ctypes", "signal", "socket", "subprocess", "multiprocessing", "importlib", "inspect", "gc", "ast",
                 "threading", "_thread", "concurrent", "asyncio", "sched", "atexit", "codeop", "types", "zmq",
                 "ipykernel", "jupyter_client", "marshal", "pickle", "dill"}
# Attributes that reach the import system, namespaces, the kernel's messaging or the grading module.
INTERNAL_ATTRIBUTES = {"meta_path", "path_hooks", "path_importer_cache", "__dict__", "__globals__", "__code__",
                       "__builtins__", "f_globals", "f_locals", "f_back", "_getframe", "iopub_socket", "display_pub",
                       "displayhook", "user_expressions", "user_ns", "user_global_ns", "_TOKEN", "publish_display_data"}
NAMESPACE_CALLS = {"globals", "vars", "locals"}
HOOK_WORDS = re.compile(r"transformer|showtraceback|user_expressions|_TOKEN|vnd\.dgm|^events$", re.IGNORECASE)
GRADER_ENV = re.compile(r"NBGRADER|DGM_GRADER|JPY_|KERNEL")
OUTSIDE_PATH = re.compile(r"^(/|~)|(^|/)\.\.(/|$)")
RECORDS_PATH = re.compile(r"(^|/)records(/|$)")  # where records were files before they travelled signed
MAGIC_LINE = re.compile(r"^\s*[%!]")


def _root_module(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The module an attribute chain starts from (``np.linalg.det`` -> ``numpy``)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "get_ipython":
        return "IPython"
    return aliases.get(node.id) if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str:
    return ast.unparse(node) if isinstance(node, ast.AST) else str(node)


class _Auditor(ast.NodeVisitor):
    def __init__(self, aliases: dict[str, str]):
        self.aliases = aliases
        self.flags: list[str] = []

    def flag(self, node: ast.AST, what: str) -> None:
        self.flags.append(f"line {getattr(node, 'lineno', '?')}: {what}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            top = alias.name.split(".")[0]
            self.aliases[alias.asname or top] = top if alias.asname is None else alias.name.split(".")[0]
            if top in RISKY_IMPORTS:
                self.flag(node, f"imports {alias.name}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        top = (node.module or "").split(".")[0]
        if (node.module or "").startswith("dgm_utils.grading") or any(a.name == "grading" for a in node.names):
            self.flag(node, f"imports from the grading module ({node.module})")
        for alias in node.names:
            if top in PROTECTED_MODULES:
                self.aliases[alias.asname or alias.name] = top
            if alias.name in DYNAMIC_CODE | {"_exit", "settrace", "setprofile"}:
                self.flag(node, f"imports {alias.name} from {node.module}")
        if top in RISKY_IMPORTS:
            self.flag(node, f"imports from {node.module}")

    def _check_target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            base = target if isinstance(target, ast.Attribute) else target.value
            module = _root_module(base, self.aliases)
            if module in PROTECTED_MODULES:
                self.flag(target, f"assigns to {_dotted(target)} (module {module})")
            elif isinstance(target, ast.Attribute) and target.attr in HOOK_ATTRIBUTES:
                self.flag(target, f"assigns to {_dotted(target)}")
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._check_target(element)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in HOOK_ATTRIBUTES and _root_module(node, self.aliases) in ("IPython", "sys", "threading"):
            self.flag(node, f"uses {_dotted(node)}")
        elif (node.attr in INTERNAL_ATTRIBUTES or HOOK_WORDS.search(node.attr)
              or (node.attr == "modules" and _root_module(node, self.aliases) == "sys") or node.attr == "record"):
            self.flag(node, f"reaches interpreter or kernel internals ({_dotted(node)[:60]})")
        if node.attr == "environ":
            self.flag(node, "reads the environment (os.environ)")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "record" or node.id == "get_ipython":
            self.flag(node, f"uses {node.id} (the course's own cells do; answers need not)")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in DYNAMIC_CODE:
            self.flag(node, f"calls {func.id}()")
        if isinstance(func, ast.Name) and func.id in NAMESPACE_CALLS:
            self.flag(node, f"calls {func.id}()")
        if isinstance(func, ast.Name) and func.id in ("getattr", "setattr", "delattr", "hasattr") and len(node.args) > 1:
            if not isinstance(node.args[1], ast.Constant):
                self.flag(node, f"{func.id} with a computed attribute name")
        if isinstance(func, ast.Name) and func.id in ("setattr", "delattr") and node.args:
            if _root_module(node.args[0], self.aliases) in PROTECTED_MODULES:
                self.flag(node, f"{func.id} on {_dotted(node.args[0])}")
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if (self.aliases.get(func.value.id, func.value.id), func.attr) in PROCESS_CALLS:
                self.flag(node, f"calls {_dotted(func)}")
        if isinstance(func, ast.Attribute) and func.attr in ("append", "insert", "register", "extend"):
            if isinstance(func.value, ast.Attribute) and func.value.attr in HOOK_ATTRIBUTES:
                self.flag(node, f"calls {_dotted(func)}")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            if GRADER_ENV.search(node.value):
                self.flag(node, f"mentions the grader's environment ({node.value[:40]!r})")
            elif RECORDS_PATH.search(node.value) and len(node.value) < 200:
                self.flag(node, f"writes or links a records folder ({node.value[:40]!r})")
            elif HOOK_WORDS.search(node.value) and len(node.value) < 200:
                self.flag(node, f"names a hook or the records channel ({node.value[:40]!r})")
            elif OUTSIDE_PATH.search(node.value) and len(node.value) < 200 and "\n" not in node.value:
                self.flag(node, f"a path outside the working folder ({node.value[:60]!r})")


def audit_sources(sources: list[tuple[int, str]]) -> list[str]:
    """Flags for ``(cell index, source)`` pairs, in order; imports carry over between cells."""
    aliases = {name: name for name in PROTECTED_MODULES}
    flags = []
    for index, source in sources:
        code = "\n".join("" if MAGIC_LINE.match(line) else line for line in source.split("\n"))
        try:
            with PARSE_LOCK:
                tree = ast.parse(code)
        except SyntaxError as error:
            flags.append(f"cell {index}: not valid Python ({error.msg}, line {error.lineno}); review by hand")
            continue
        auditor = _Auditor(aliases)
        auditor.visit(tree)
        flags += [f"cell {index}, {flag}" for flag in auditor.flags]
    return flags


def audit(graded: NotebookNode) -> list[str]:
    """Audit the cells the student wrote (answers and added cells), not the course's own."""
    return audit_sources([(i, cell.source) for i, cell in enumerate(graded.cells)
                          if cell.cell_type == "code" and is_students(cell)])

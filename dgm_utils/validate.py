"""Check a notebook before you submit it.

    python -m dgm_utils.validate NOTEBOOK.ipynb [--full] [--timeout SECONDS]
    dgm-validate NOTEBOOK.ipynb                      (the same, installed as a command)

The notebook is run top to bottom in a fresh kernel of this Python environment, from
its own folder, the way the autograder runs it (``DGM_FAST=1``, short training, unless
``--full``). Your file is not changed. For every graded test cell the report says
whether it

* **passes** its visible tests,
* is **unfinished**: a stub still raises ``NotImplementedError``,
* **fails**: with the first line of the message of the visible test that failed,

and for every written answer (a markdown cell graded by hand) whether you answered it
(replaced the release's "YOUR ANSWER HERE" with your text);
and whether the notebook runs top to bottom: an error in any other cell (a cell you
added, a syntax error in a solution cell, a time-out, a dead kernel) is listed.
Locked cells you changed are listed too: the grader uses the original versions.

Passing the visible tests is necessary for full points, not sufficient: the grader
also compares values your functions compute on other inputs with the reference.

Exit code: 0 when every test cell passes, every written answer is answered and the
notebook runs top to bottom; 1 otherwise; 2 when the notebook cannot be read or run at all.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from traitlets import default

PASSES, UNFINISHED, FAILS, NOT_RUN = "passes", "unfinished", "fails", "did not run"
ANSWERED, UNANSWERED = "answered", "unanswered"
RELEASE_ANSWER = "YOUR ANSWER HERE"
"""What nbgrader puts into a written-answer cell of the release."""
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TIMEOUT_NAME = "CellTimeout"
FAST_CELL_SECONDS = 300
FULL_CELL_SECONDS = 3600


@dataclass
class TaskResult:
    """The verdict on one graded test cell."""

    grade_id: str
    points: float
    status: str
    message: str = ""


@dataclass
class Report:
    """What ``validate`` found; ``ok`` is true when the notebook is ready to submit."""

    notebook: Path
    fast: bool
    tasks: list[TaskResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    written: list[TaskResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def runs_top_to_bottom(self) -> bool:
        return not self.problems

    @property
    def ok(self) -> bool:
        return (self.runs_top_to_bottom and not self.edited and all(t.status == PASSES for t in self.tasks)
                and all(w.status == ANSWERED for w in self.written))

    def format(self) -> str:
        mode = "FAST mode (DGM_FAST=1)" if self.fast else "full mode"
        lines = [f"{self.notebook.name}: ran in {self.seconds:.0f} s, {mode}", ""]
        width = max([len(t.grade_id) for t in self.tasks + self.written] + [4])
        for t in self.tasks:
            status = {PASSES: "passes its visible tests", UNFINISHED: "unfinished (NotImplementedError)"}.get(
                t.status, t.status)
            lines.append(f"  {t.grade_id.ljust(width)}  {t.points:>4g} pt  {status}")
            if t.message:
                indent = " " * (width + 13)
                lines += textwrap.wrap(t.message, 100, initial_indent=indent, subsequent_indent=indent)
        if not self.tasks:
            lines.append("  (no graded test cells found: is this a course notebook?)")
        for w in self.written:
            status = ("answered (graded by hand)" if w.status == ANSWERED
                      else f"unanswered written answer: replace {RELEASE_ANSWER} with your answer")
            lines.append(f"  {w.grade_id.ljust(width)}  {w.points:>4g} pt  {status}")
        lines.append("")
        if self.problems:
            lines.append("The notebook does NOT run top to bottom:")
            lines += [f"  - {p}" for p in self.problems]
        else:
            lines.append("The notebook runs top to bottom (errors only in graded test cells, if any).")
        if self.edited:
            lines.append("Locked cells you changed (the grader uses the original versions):")
            lines += [f"  - {e}" for e in self.edited]
        passed = sum(t.status == PASSES for t in self.tasks)
        total = sum(t.points for t in self.tasks)
        answered = sum(w.status == ANSWERED for w in self.written)
        written = (f", {answered} of {len(self.written)} written answers "
                   f"({sum(w.points for w in self.written):g} points) answered" if self.written else "")
        lines.append(f"{passed} of {len(self.tasks)} test cells ({total:g} points) pass their visible tests{written}: "
                     + ("ready to submit." if self.ok else "not ready yet."))
        if self.ok:
            lines.append("(The grader's hidden tests also compare your values with the reference on other inputs.)")
        return "\n".join(lines)


class _ThisPythonSpecs(KernelSpecManager):
    """Every kernel name resolves to ipykernel in *this* interpreter: the environment you installed."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python 3", language="python", resource_dir="",
        )


class _KernelManager(AsyncKernelManager):
    @default("kernel_spec_manager")
    def _default_specs(self) -> KernelSpecManager:
        return _ThisPythonSpecs(data_dir=self.data_dir)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        # the kernel process's own log (start-up warnings); cell output arrives through messages
        kw.setdefault("stderr", subprocess.DEVNULL)
        await super()._async_launch_kernel(kernel_cmd, **kw)


def _meta(cell) -> dict:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def _is_test(cell) -> bool:
    meta = _meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _first_line(text: str) -> str:
    text = ANSI.sub("", text or "").strip()
    return text.split("\n", 1)[0].strip() if text else ""


def _failing_line(traceback: list[str]) -> str:
    """The cell's own line that raised (IPython marks it with ``---->``), for a bare ``assert``."""
    for block in traceback:
        text = ANSI.sub("", block)
        if text.lstrip().startswith("Cell In["):
            for line in text.split("\n"):
                if line.startswith("---->"):
                    return re.sub(r"^---->\s*\d*\s?", "", line).strip()
    return ""


def _error(cell) -> dict | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output
    return None


def describe(error: dict) -> str:
    """One line for an error output: the assertion's message, or ``Name: message``."""
    name, value = error.get("ename", "Error"), _first_line(error.get("evalue", ""))
    if name == TIMEOUT_NAME:
        return f"timed out: {value}"
    if name == "AssertionError":
        if value:
            return value
        line = _failing_line(error.get("traceback", []))
        return f"AssertionError at: {line}" if line else "AssertionError (no message)"
    return f"{name}: {value}" if value else name


def written_answers(nb) -> list[TaskResult]:
    """The hand-graded markdown cells: unanswered while they hold the release's placeholder or nothing at all."""
    answers = []
    for cell in nb.cells:
        meta = _meta(cell)
        if cell.cell_type == "markdown" and meta.get("solution") and meta.get("grade"):
            status = UNANSWERED if RELEASE_ANSWER in cell.source or not cell.source.strip() else ANSWERED
            answers.append(TaskResult(meta.get("grade_id", "written answer"), float(meta.get("points", 0)), status))
    return answers


def edited_locked_cells(nb) -> list[str]:
    """Locked cells whose checksum (written by nbgrader into the release) no longer matches."""
    try:
        from nbgrader.utils import compute_checksum
    except ImportError:  # nbgrader not installed: nothing to compare with
        return []
    edited = []
    for index, cell in enumerate(nb.cells):
        meta = _meta(cell)
        if meta.get("locked") and meta.get("checksum") and compute_checksum(cell) != meta["checksum"]:
            edited.append(f"cell {index} ({meta.get('grade_id', '?')})")
    return edited


@contextmanager
def _environment(**values: str):
    old = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _execute(nb, folder: Path, fast: bool, cell_seconds: int, progress: bool) -> tuple[dict[int, dict], str]:
    """Run every cell; ``index -> error output`` and a problem that stopped the run, if any."""
    started: dict[int, float] = {}
    timed_out: set[int] = set()
    total = len(nb.cells)

    def on_start(cell, cell_index):
        started[cell_index] = time.monotonic()
        if progress and cell.cell_type == "code":
            label = _meta(cell).get("grade_id", "")
            print(f"\r  running cell {cell_index + 1}/{total} {label:40s}", end="", file=sys.stderr, flush=True)

    def on_executed(cell, cell_index, execute_reply):
        content = (execute_reply or {}).get("content", {})
        if content.get("ename") == TIMEOUT_NAME:
            timed_out.add(cell_index)

    client = NotebookClient(
        nb, timeout=cell_seconds, kernel_name="python3", kernel_manager_class=_KernelManager,
        allow_errors=True, interrupt_on_timeout=True, record_timing=False,
        error_on_timeout={"ename": TIMEOUT_NAME, "evalue": f"no result after {cell_seconds} s", "traceback": []},
        on_cell_start=on_start, on_cell_executed=on_executed,
        resources={"metadata": {"path": str(folder)}},
    )
    stopped = ""
    with _environment(DGM_FAST="1" if fast else "0", MPLBACKEND="agg", PYDEVD_DISABLE_FILE_VALIDATION="1"):
        try:
            client.execute()
        except DeadKernelError:
            last = max(started) if started else 0
            stopped = f"cell {last}: the kernel died (out of memory? os._exit?); later cells did not run"
    if progress:
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr, flush=True)
    errors = {}
    for index, cell in enumerate(nb.cells):
        if index in timed_out:
            errors[index] = {"ename": TIMEOUT_NAME, "evalue": f"the cell ran longer than {cell_seconds} s (endless loop?)"}
        elif cell.cell_type == "code" and (error := _error(cell)):
            errors[index] = error
    ran = set(started) if stopped else set(range(total))
    for index in range(total):
        if index not in ran:
            errors.setdefault(index, {"ename": "NotRun", "evalue": ""})
    return errors, stopped


def validate(path: Path, fast: bool = True, cell_seconds: int | None = None, progress: bool = False) -> Report:
    """Run ``path`` in a fresh kernel and judge every graded test cell by its visible tests."""
    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    report = Report(path, fast, edited=edited_locked_cells(nb), written=written_answers(nb))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    start = time.monotonic()
    cell_seconds = cell_seconds or (FAST_CELL_SECONDS if fast else FULL_CELL_SECONDS)
    errors, stopped = _execute(nb, path.parent, fast, cell_seconds, progress)
    report.seconds = time.monotonic() - start

    unfinished_since_last_test = False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta, error = _meta(cell), errors.get(index)
        label = f"cell {index}" + (f" ({meta['grade_id']})" if meta.get("grade_id") else "")
        if _is_test(cell):
            points = float(meta.get("points", 0))
            if error is None:
                status, message = PASSES, ""
            elif error["ename"] == "NotRun":
                status, message = NOT_RUN, "the kernel died before this cell"
            elif error["ename"] == "NotImplementedError" or (unfinished_since_last_test and error["ename"] == "NameError"):
                status, message = UNFINISHED, ""
            else:
                status, message = FAILS, describe(error)
            report.tasks.append(TaskResult(meta.get("grade_id", label), points, status, message))
            unfinished_since_last_test = False
        elif error is not None and error["ename"] != "NotRun":
            if meta.get("solution") and error["ename"] == "NotImplementedError":
                unfinished_since_last_test = True  # a stub at the top level of a solution cell
            elif meta.get("solution"):
                report.problems.append(f"{label}, your solution cell: {describe(error)}")
            else:
                report.problems.append(f"{label}: {describe(error)}")
    if stopped:
        report.problems.append(stopped)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="dgm-validate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--full", action="store_true", help="train as long as the notebook does without DGM_FAST=1")
    parser.add_argument("--timeout", type=int, default=None, metavar="SECONDS",
                        help=f"per-cell time limit (default {FAST_CELL_SECONDS} s, {FULL_CELL_SECONDS} s with --full)")
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        print(f"dgm-validate: {args.notebook}: no such file", file=sys.stderr)
        return 2
    try:
        report = validate(args.notebook, fast=not args.full, cell_seconds=args.timeout, progress=sys.stderr.isatty())
    except Exception as error:  # unreadable notebook, no kernel: nothing to report per task
        print(f"dgm-validate: cannot run {args.notebook}: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    print(report.format())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

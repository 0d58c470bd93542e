"""What the benchmarks share: the reference code of a notebook, timing, the results table."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from autograder.course import Course
from autograder.notebook import is_autograded_test, nbgrader_meta, reference_notebook

RESULTS = Path(__file__).parent / "results"


def reference_namespace(assignment: str, notebook: str | None = None) -> dict:
    """Execute the reference notebook's solution and locked setup cells (not tests, not demos).

    The solutions notebook is the single source of the reference implementations; the
    benchmarks use exactly that code.
    """
    course = Course()
    notebook = notebook or course.notebooks(assignment)[0]
    namespace: dict = {"__name__": f"reference_{assignment}"}
    for cell in reference_notebook(course.source(assignment, notebook)).cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and meta and not is_autograded_test(cell):
            exec(compile(cell.source, f"<{assignment}:{meta.get('grade_id')}>", "exec", dont_inherit=True), namespace)
    return namespace


def seconds_per_call(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``fn()`` over ``repeat`` calls after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def table(name: str, header: list[str], rows: list[list[object]]) -> str:
    """Print a markdown table and keep it under ``benchmarks/results/NAME.md``."""
    def fmt(value: object) -> str:
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    text = "\n".join(lines)
    print(text, flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text(text + "\n")
    return text

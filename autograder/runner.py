"""Execute one prepared notebook, inside the sandbox.

This file runs as a script in the sandbox (standard library, nbformat and nbclient
only; it imports nothing from the course). It reads the prepared notebook from
standard input, so the hidden tests never lie on a disk the student's code can
read, and writes into the current directory:

- ``records/``: the values the hidden tests record (``dgm_utils.grading.record``);
- ``executed.ipynb``: the notebook with its (capped) outputs, rewritten after each cell;
- ``trace.json``: per code cell, its status and the records that appeared while it ran.

Everything it writes is untrusted: the student's code runs under the same user and
may overwrite it. The grader outside the sandbox only *reads* it, and points come
from comparing the recorded values with the reference's, never from this trace.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

TRUNCATED = "\n[output truncated by the grader: the notebook's output limit was reached]\n"


class CappedClient(NotebookClient):
    """A notebook client that stops storing outputs past ``max_output_bytes`` in all."""

    def __init__(self, nb, max_output_bytes: int, **kwargs):
        super().__init__(nb, **kwargs)
        self.budget = max_output_bytes
        self.truncated = False
        self.timed_out = False

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg["content"]))
        if size > self.budget:
            if not self.truncated:
                outs.append(nbformat.v4.new_output("stream", name="stderr", text=TRUNCATED))
                self.truncated = True
            self.budget = 0
            return None
        self.budget -= size
        return super().output(outs, msg, display_id, cell_index)


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def cell_status(cell) -> str:
    return "error" if any(out.get("output_type") == "error" for out in cell.get("outputs", [])) else "ok"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cell-timeout", type=int, default=60)
    parser.add_argument("--max-output-bytes", type=int, default=1_000_000)
    args = parser.parse_args()

    nb = nbformat.reads(sys.stdin.read(), as_version=4)
    out = Path.cwd()
    records = out / "records"
    records.mkdir(exist_ok=True)
    os.environ["DGM_GRADER_RECORDS"] = str(records)

    client = CappedClient(
        nb,
        max_output_bytes=args.max_output_bytes,
        timeout=args.cell_timeout,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeoutError",
            "evalue": f"the cell ran longer than {args.cell_timeout} s and was interrupted",
            "traceback": [],
        },
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(out)}},
    )
    trace: list[dict] = []
    seen: set[str] = set()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            start = time.monotonic()
            client.timed_out = False
            try:
                client.execute_cell(cell, index)
                status = "timeout" if client.timed_out else cell_status(cell)
            except DeadKernelError:
                status = "kernel died"
            new = sorted({p.stem for p in records.glob("*.npy")} - seen)
            seen.update(new)
            trace.append({
                "index": index,
                "grade_id": cell.metadata.get("nbgrader", {}).get("grade_id"),
                "status": status,
                "records": new,
                "seconds": round(time.monotonic() - start, 3),
            })
            write_atomic(out / "trace.json", json.dumps(trace))
            write_atomic(out / "executed.ipynb", nbformat.writes(nb))
            if status == "kernel died":
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Execute one prepared notebook, inside the sandbox.

This file runs as a script in the sandbox (standard library, nbformat and nbclient
only; it imports nothing from the course). The prepared notebook, hidden tests
included, comes in on standard input and stays in this process's memory (made
non-dumpable, so the student's code cannot read it through ``/proc``); nothing of it
is written to disk. After each code cell one JSON line goes to standard output:
``{"index", "grade_id", "status", "records", "seconds", "outputs"}``. The kernel's own
stdout and stderr go to ``/dev/null``, so only this process writes those lines.

The kernel writes the hidden tests' values into ``./records`` (``dgm_utils.grading``).
The grader outside the sandbox treats every line and record as untrusted data: points
come from comparing the recorded values with the reference's, never from a status.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

# jsonschema (imported by nbformat) registers the optional rfc3987_syntax format checker, whose
# import builds a grammar for about a second; notebook validation uses none of its formats, and
# this script starts once per submission: skip it.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402

TRUNCATED = "\n[output truncated by the grader: the notebook's output limit was reached]\n"
PR_SET_DUMPABLE = 4


class CappedClient(NotebookClient):
    """A notebook client that stores at most ``max_output_bytes`` of outputs in all."""

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


def cell_status(cell) -> str:
    return "error" if any(out.get("output_type") == "error" for out in cell.get("outputs", [])) else "ok"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cell-timeout", type=int, default=60)
    parser.add_argument("--max-output-bytes", type=int, default=1_000_000)
    args = parser.parse_args()

    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    nb = nbformat.reads(sys.stdin.read(), as_version=4)
    records = Path.cwd() / "records"
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
        shutdown_kernel="immediate",  # the sandbox ends with it: no need to wait for a clean exit
        resources={"metadata": {"path": str(Path.cwd())}},
    )
    seen: set[str] = set()
    with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
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
            line = {
                "index": index,
                "grade_id": cell.metadata.get("nbgrader", {}).get("grade_id"),
                "status": status,
                "records": new,
                "seconds": round(time.monotonic() - start, 3),
                "outputs": cell.get("outputs", []),
            }
            print(json.dumps(line), flush=True)
            if status == "kernel died":
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Execute one prepared notebook, inside the sandbox.

This file runs as a script in the sandbox (standard library, nbformat and nbclient
only; it imports nothing from the course). Standard input brings a line with a secret
key, then the prepared notebook, hidden tests included; it stays in this process's
memory (made non-dumpable, so the student's code cannot read it through ``/proc``) and
nothing of it is written to disk. After each code cell one line goes to the result
pipe (``--result-fd``, a descriptor only this process holds: the kernel does not
inherit it, and this process is non-dumpable, so ``/proc`` does not lead to it): an
HMAC-SHA256 of the JSON that follows it, keyed with the secret, then ``{"seq",
"index", "grade_id", "status", "seconds", "cpu", "outputs", "records", "duplicates",
"stray"}``. Should anything else ever write there, it cannot sign: the grader drops
every line whose signature or sequence is wrong.

A test cell runs in two steps. Its visible part runs as a normal cell. Its hidden part
(``metadata.dgm.hidden``) runs only if the visible part passed, as a *user expression*
of an execute request (IPython evaluates those with ``eval``: no input or AST
transformer of the student's touches it) that loads a fresh copy of
``dgm_utils.grading`` from its file and gives it a new secret token. ``record`` sends
each value as a display message with that token; the runner keeps the messages of the
running hidden part that carry its token (first value of each name; a repeated name
is reported) and counts every other record message as stray. Records never reach the
outputs and never touch the disk.
"""
from __future__ import annotations

import argparse
import ctypes
import functools
import hashlib
import hmac
import importlib.util
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
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
RECORD_MIME = "application/vnd.dgm.record+json"  # as in dgm_utils.grading (not imported: see above)
MAX_RECORD_BYTES = 64 * 2**20
# IPython's inline backend with no image format: figures are made and closed as usual but never drawn,
# so a figure's output is its text ("<Figure size ... with 1 Axes>").
NO_FIGURES = "--InlineBackend.figure_formats=set()"
STARTED = -1  # the cell index of the first line, sent once the kernel is ready (as in sandbox.py)

# Runs in the kernel, compiled from this text by the user expression (see the module docstring).
HIDDEN_BOOTSTRAP = '''
def run_hidden(user_ns, hidden, token, grading_file):
    import importlib.util
    import sys
    spec = importlib.util.spec_from_file_location("dgm_utils.grading", grading_file)
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    fresh._TOKEN = token
    missing = object()
    saved_module, saved_record = sys.modules.get("dgm_utils.grading", missing), user_ns.get("record", missing)
    sys.modules["dgm_utils.grading"], user_ns["record"] = fresh, fresh.record
    try:
        exec(compile(hidden, "<hidden tests>", "exec"), user_ns)
    finally:
        fresh._TOKEN = None
        for table, key, value in ((sys.modules, "dgm_utils.grading", saved_module), (user_ns, "record", saved_record)):
            if value is missing:
                table.pop(key, None)
            else:
                table[key] = value
'''


def hidden_expression(hidden: str, token: str, grading_file: str) -> str:
    """One Python expression that runs ``hidden`` through :data:`HIDDEN_BOOTSTRAP`."""
    return (
        '(lambda g: (__import__("builtins").exec(%r, g), g["run_hidden"](globals(), %r, %r, %r)))'
        '({"__builtins__": __import__("builtins")})' % (HIDDEN_BOOTSTRAP, hidden, token, grading_file)
    )


class SignedLines:
    """Write JSON lines that only the holder of ``key`` can have written, numbered from 0."""

    def __init__(self, key: bytes, stream):
        self.key, self.stream, self.seq = key, stream, 0

    def write(self, obj: dict) -> None:
        text = json.dumps({"seq": self.seq, **obj})
        mac = hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()
        self.stream.write(f"{mac} {text}\n".encode())
        self.stream.flush()
        self.seq += 1


class GradingClient(NotebookClient):
    """A notebook client that caps outputs in bytes and collects the hidden tests' records."""

    def __init__(self, nb, max_output_bytes: int, **kwargs):
        super().__init__(nb, **kwargs)
        self.budget = max_output_bytes
        self.record_budget = MAX_RECORD_BYTES
        self.truncated = False
        self.timed_out = False
        self.token: str | None = None
        self.records: dict[str, dict] = {}
        self.duplicates: list[str] = []
        self.stray = 0

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def take_record(self, payload) -> None:
        """Keep a record of the running hidden part; count anything else as stray."""
        if not (self.token and isinstance(payload, dict) and hmac.compare_digest(str(payload.get("token")), self.token)):
            self.stray += 1
            return
        name, size = str(payload.get("name")), len(str(payload.get("npy", "")))
        if name in self.records:
            self.duplicates.append(name)
        elif size <= self.record_budget:
            self.record_budget -= size
            self.records[name] = {"spec": payload.get("spec"), "npy": payload.get("npy")}

    def output(self, outs, msg, display_id, cell_index):
        data = msg["content"].get("data")
        if isinstance(data, dict) and RECORD_MIME in data:
            self.take_record(data[RECORD_MIME])
            return None
        size = len(json.dumps(msg["content"]))
        if size > self.budget:
            if not self.truncated:
                outs.append(nbformat.v4.new_output("stream", name="stderr", text=TRUNCATED))
                self.truncated = True
            self.budget = 0
            return None
        self.budget -= size
        return super().output(outs, msg, display_id, cell_index)

    def run_hidden(self, cell, index: int, hidden: str, grading_file: str) -> str:
        """Run a test cell's hidden part; its outputs join the cell's. Returns the status."""
        self.token = secrets.token_hex(16)
        expression = hidden_expression(hidden, self.token, grading_file)
        probe = nbformat.v4.new_code_cell("pass")
        replies: list[dict] = []
        execute = self.kc.execute
        self.kc.execute = functools.partial(execute, user_expressions={"hidden": expression})
        self.on_cell_executed = lambda **kw: replies.append(kw["execute_reply"])
        try:
            self.execute_cell(probe, index)
        finally:
            self.kc.execute, self.on_cell_executed, self.token = execute, None, None
            self.nb.cells[index] = cell
            cell.outputs.extend(probe.outputs)
        if self.timed_out:
            return "timeout"
        reply = replies[0]["content"] if replies else {}
        result = reply.get("user_expressions", {}).get("hidden")
        if reply.get("status") != "ok" or not isinstance(result, dict):
            cell.outputs.append(hidden_error("the hidden tests could not start", reply))
            return "error"
        if result.get("status") != "ok":
            cell.outputs.append(hidden_error("the hidden tests stopped", result))
            return "error"
        return "ok"


def hidden_error(what: str, content: dict) -> dict:
    """An error output naming the exception, without the hidden tests' source."""
    ename, evalue = str(content.get("ename", "Error")), str(content.get("evalue", ""))
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue,
                                  traceback=[f"{ename}: {evalue}", f"({what}: see the visible checks above)"])


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its reaped children (Linux ``/proc``), 0 where unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def sandbox_cpu_seconds() -> float:
    """CPU time of every process of the sandbox but pid 1 and this runner (the kernel and all it started)."""
    mine = {1, os.getpid()}
    return sum(cpu_seconds(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit() and int(p.name) not in mine)


class CpuWatchdog(threading.Thread):
    """Interrupts the kernel when a cell, or the notebook, has used up its CPU seconds.

    CPU time, not the wall clock, so a busy machine never turns a correct notebook into
    a time-out; ``measure`` counts the kernel and, in the sandbox, every process it
    started (a fork bomb's copies included). When a limit is reached, ``end_strays``
    stops whatever the kernel started, then the kernel is interrupted; a kernel that
    ignores the interrupt is killed after ``grace`` more CPU seconds of its own. With
    ``max_processes`` alive at once (a fork bomb) the kernel is killed at once.
    """

    def __init__(self, pid: int, measure, end_strays, cell_limit: float, notebook_limit: float,
                 max_processes: int | None = None, grace: float = 10.0):
        super().__init__(daemon=True)
        self.pid, self.measure, self.end_strays, self.grace = pid, measure, end_strays, grace
        self.max_processes = max_processes  # in the sandbox: this many processes at once is a fork bomb
        self.fired_at = 0.0
        self.cell_limit, self.notebook_limit = cell_limit, notebook_limit
        self.cell_start = self.used_before = 0.0
        self.active = False
        self.fired: str | None = None  # the limit that stopped the kernel: "cell", "notebook" or "processes"
        self.lock = threading.Lock()

    def start_cell(self) -> None:
        with self.lock:
            self.cell_start, self.active, self.fired = self.measure(), True, None

    def end_cell(self) -> None:
        with self.lock:
            self.active = False
            self.used_before += max(0.0, self.measure() - self.cell_start)

    def run(self) -> None:
        while True:
            time.sleep(0.2)
            with self.lock:
                if not self.active:
                    continue
                used = self.measure() - self.cell_start
                over_cell, over_notebook = used - self.cell_limit, self.used_before + used - self.notebook_limit
                bomb = self.max_processes is not None and process_count() >= self.max_processes
                if max(over_cell, over_notebook) <= 0 and not bomb:
                    continue
                self.end_strays()
                if bomb:  # a fork bomb's kernel is past saving: stop it with all it started
                    self.fired = "processes"
                    signal_kernel(self.pid, signal.SIGKILL)
                elif self.fired is None:
                    self.fired = "notebook" if over_notebook > 0 else "cell"
                    self.fired_at = cpu_seconds(self.pid)
                    signal_kernel(self.pid, signal.SIGINT)
                elif cpu_seconds(self.pid) - self.fired_at > self.grace:
                    signal_kernel(self.pid, signal.SIGKILL)


def process_count() -> int:
    """Live processes in the sandbox (zombies, which the kernel may never reap, do not count)."""
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            count += entry.name.isdigit() and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            continue
    return count


def signal_kernel(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError:
        pass


def cell_status(cell) -> str:
    return "error" if any(out.get("output_type") == "error" for out in cell.get("outputs", [])) else "ok"


def end_strays(kernel_pid: int | None, rounds: int = 20) -> None:
    """Kill every process of the sandbox but pid 1, this runner and the kernel (a fork bomb's copies)."""
    keep = {1, os.getpid(), kernel_pid}
    for _ in range(rounds):  # copies may fork while they are being killed
        strays = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and int(p.name) not in keep]
        if not strays:
            return
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cell-timeout", type=int, default=60, help="wall-clock seconds per cell (a backstop)")
    parser.add_argument("--cell-cpu", type=float, default=None, help="CPU seconds per cell")
    parser.add_argument("--notebook-cpu", type=float, default=None, help="CPU seconds for the whole notebook")
    parser.add_argument("--max-output-bytes", type=int, default=1_000_000)
    parser.add_argument("--result-fd", type=int, default=None, help="the result pipe (default: standard output)")
    parser.add_argument("--max-processes", type=int, default=None, help="processes at once that stop a cell (sandbox)")
    parser.add_argument("--sandboxed", action="store_true", help="alone in a PID namespace: may kill strays")
    parser.add_argument("--no-figures", action="store_true", help="draw no figure (it shows as its text only)")
    args = parser.parse_args()

    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    key = bytes.fromhex(sys.stdin.readline().strip())
    nb = nbformat.reads(sys.stdin.read(), as_version=4)
    if args.result_fd is not None:
        os.set_inheritable(args.result_fd, False)
    lines = SignedLines(key, os.fdopen(args.result_fd, "wb") if args.result_fd is not None else sys.stdout.buffer)
    grading_file = importlib.util.find_spec("dgm_utils.grading").origin

    client = GradingClient(
        nb,
        max_output_bytes=args.max_output_bytes,
        timeout=args.cell_timeout,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeoutError",
            "evalue": f"the cell ran longer than {args.cell_timeout} s of wall-clock time and was stopped",
            "traceback": [],
        },
        allow_errors=True,
        startup_timeout=args.cell_timeout,  # a loaded machine may start the kernel slowly: the same backstop as a cell
        kernel_name="python3",
        extra_arguments=[NO_FIGURES] if args.no_figures else [],
        shutdown_kernel="immediate",  # the sandbox ends with it: no need to wait for a clean exit
        resources={"metadata": {"path": str(Path.cwd())}},
    )
    with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        lines.write({"index": STARTED, "status": "kernel ready"})  # before any code of the submission runs
        kernel = getattr(getattr(client.km, "provisioner", None), "process", None)
        watchdog = None
        if kernel and args.cell_cpu and Path(f"/proc/{kernel.pid}/stat").exists():
            measure = sandbox_cpu_seconds if args.sandboxed else functools.partial(cpu_seconds, kernel.pid)
            strays = functools.partial(end_strays, kernel.pid, 1) if args.sandboxed else (lambda: None)
            watchdog = CpuWatchdog(kernel.pid, measure, strays, args.cell_cpu, args.notebook_cpu or float("inf"),
                                   args.max_processes if args.sandboxed else None)
            watchdog.start()
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            start = time.monotonic()
            client.timed_out = False
            if watchdog:
                watchdog.start_cell()
            hidden = cell.metadata.get("dgm", {}).get("hidden")
            client.records, client.duplicates = {}, []
            try:
                client.execute_cell(cell, index)
                status = "timeout" if client.timed_out else cell_status(cell)
                if hidden and status == "ok":
                    status = client.run_hidden(cell, index, hidden, grading_file)
            except DeadKernelError:
                status = "kernel died"
            if watchdog:
                watchdog.end_cell()
                if watchdog.fired:
                    status = {"notebook": "notebook limit", "processes": "process limit"}.get(watchdog.fired, "timeout")
            if args.sandboxed and status in ("timeout", "notebook limit", "process limit", "kernel died"):
                end_strays(kernel.pid if kernel else None)
            lines.write({
                "index": index,
                "grade_id": cell.metadata.get("nbgrader", {}).get("grade_id"),
                "status": status,
                "seconds": round(time.monotonic() - start, 3),
                "cpu": round(watchdog.used_before, 2) if watchdog else None,
                "outputs": cell.get("outputs", []),
                "records": client.records,
                "duplicates": client.duplicates,
                "stray": client.stray,
            })
            if status in ("kernel died", "notebook limit", "process limit"):
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())

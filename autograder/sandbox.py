"""Run the notebook runner in a sandbox: bubblewrap where it exists, resource limits always.

bubblewrap mode: the sandbox's file system is built from nothing: the system's
programs and libraries (``/usr`` and its links), the few files of ``/etc`` a dynamic
linker and Python read, the Python installation and environment, and ``dgm_utils``,
all read-only; a private ``/tmp`` and ``/dev``, with matplotlib's font list built once
(``fonts.py``) read-only in it; the job's folder, the only writable one. Nothing else
of the machine is there: no course, no other checkout, no home folder, no
``/etc/shadow``. New PID, IPC, UTS, network and user namespaces (uid
65534 without capabilities; ``/proc`` shows the sandbox's processes only) and an
environment of a few variables (the grader's own never enters). Fallback mode (no
``bwrap``, e.g. macOS): the same resource limits in a child process, and the grade
export says ``sandbox=none``.

The runner's results come back through a pipe whose writing end only the runner holds
(passed as an extra descriptor: bubblewrap's init does not keep it, the kernel does not
inherit it, and the sandbox's standard output goes to ``/dev/null``), in lines signed
with a key that goes in on standard input (see ``runner.py``); the grader reads at
most ``Limits.result_bytes`` of it and ignores every line not signed and in order.

Limits: rlimits on every process (address space, CPU time, file size, processes; the
process count is per user namespace, so one sandbox's fork bomb does not starve
another), plus, where the grader may create cgroups (Linux, as root), a cgroup per job
that caps the memory, the number of tasks and the CPU share of the whole sandbox.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import dgm_utils

from .fonts import font_list

RUNNER = Path(__file__).with_name("runner.py")
STARTED = -1  # the runner's first line has this cell index: its kernel is ready (runner.STARTED; a script, not imported)
REPO = RUNNER.parent.parent.resolve()
CGROUP_ROOT = Path("/sys/fs/cgroup")
JOB_MOUNT = "/tmp/grading"
NOBODY = "65534"
# What of the machine a notebook needs, read-only: programs and libraries, and what the
# dynamic linker, Python, fontconfig and torch's CPU probe read. Everything else is absent.
SYSTEM_PATHS = (
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
    "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/fonts",
    "/etc/localtime", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/hosts", "/etc/mime.types",
    "/sys/devices/system/cpu",
)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one graded notebook.

    Time limits are in CPU seconds of the kernel (and its children), measured by the
    runner, so a loaded machine does not turn a correct notebook into a time-out; the
    wall clock only backs them up, ``wall_factor`` times looser (plus a minute).
    """

    cell_seconds: float = 60
    notebook_seconds: float = 600
    memory_bytes: int = 6 * 2**30
    processes: int = 512
    cpus: float = 1.0
    file_bytes: int = 64 * 2**20
    output_bytes: int = 1_000_000
    result_bytes: int = 256 * 2**20
    wall_factor: float = 10.0

    def wall(self, cpu_seconds: float) -> int:
        """The wall-clock backstop of a CPU-time limit."""
        return int(cpu_seconds * self.wall_factor) + 60


def _weigh_all_jobs(parent: Path, v2: bool) -> None:
    """Give the jobs' parent cgroup the CPU weight of one process per live job, at least one per core.

    By default the parent weighs as a single process against the rest of the machine, so N
    sandboxes together would get one process's share; here N sandboxes get N processes'.
    """
    name, weight = ("cpu.weight", 100) if v2 else ("cpu.shares", 1024)
    try:
        running = sum(1 for child in parent.iterdir() if (child / "cgroup.procs").is_file()
                      and (child / "cgroup.procs").read_text().strip())
        jobs = running + 1  # the job being started has no process yet
        if (parent / name).exists():
            (parent / name).write_text(str(weight * max(jobs, os.cpu_count() or 1)))
    except OSError:
        pass


class JobCgroup:
    """A memory, pids and cpu cgroup for one job (cgroup v1 or v2), or nothing where not allowed."""

    def __init__(self, name: str, limits: Limits):
        self.paths: list[Path] = []
        v2 = CGROUP_ROOT / "cgroup.controllers"
        period = 100_000
        quota = int(limits.cpus * period)
        wanted = [(CGROUP_ROOT, {"memory.max": limits.memory_bytes, "pids.max": limits.processes,
                                 "cpu.max": f"{quota} {period}"})] if v2.exists() else [
            (CGROUP_ROOT / "memory", {"memory.limit_in_bytes": limits.memory_bytes}),
            (CGROUP_ROOT / "pids", {"pids.max": limits.processes}),
            (CGROUP_ROOT / "cpu", {"cpu.cfs_period_us": period, "cpu.cfs_quota_us": quota}),
        ]
        for root, settings in wanted:
            path = root / "dgm-grader" / name
            try:
                path.mkdir(parents=True, exist_ok=True)
                _weigh_all_jobs(path.parent, v2.exists())
                for key, value in settings.items():
                    if (path / key).exists():
                        (path / key).write_text(str(value))
                self.paths.append(path)
            except OSError:
                continue

    def enter(self) -> None:
        """Runs in the child between fork and exec: move it into the cgroups."""
        for path in self.paths:
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def peak_memory(self) -> int | None:
        """The most memory the job's processes held together, in bytes (None without a memory cgroup)."""
        for path in self.paths:
            for name in ("memory.peak", "memory.max_usage_in_bytes"):
                if (path / name).exists():
                    return int((path / name).read_text())
        return None

    def close(self) -> None:
        """Kill what is left in the cgroups and remove them."""
        for path in self.paths:
            for _ in range(50):
                try:
                    pids = (path / "cgroup.procs").read_text().split()
                    for pid in pids:
                        os.kill(int(pid), signal.SIGKILL)
                    path.rmdir()
                    break
                except (OSError, ValueError):
                    time.sleep(0.1)


@dataclass(frozen=True)
class RunResult:
    """What came back from one run: the runner's signed per-cell lines (untrusted data) and how it ended."""

    mode: str
    exit_code: int | None
    timed_out: bool
    seconds: float
    cells: list[dict]
    log_tail: str
    peak_memory: int | None = None
    unsigned_lines: int = 0
    overflow: bool = False
    started: bool = True  # whether the runner's kernel got ready: if not, no code of the submission ran
    stopped: bool = False  # ended early because the caller's ``stop`` said so


def sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


class ResultChannel:
    """The runner's lines as they arrive: those with a valid signature and the next sequence number, in order.

    ``feed`` takes raw bytes (lines may arrive split across reads) and returns the lines it
    accepted; ``unsigned`` counts every other line.
    """

    def __init__(self, key: bytes):
        self.key = key
        self.cells: list[dict] = []
        self.unsigned = 0
        self._partial = b""

    def feed(self, data: bytes) -> list[dict]:
        *complete, self._partial = (self._partial + data).split(b"\n")
        return [cell for cell in map(self._accept, complete) if cell is not None]

    def end_at(self, cell: dict) -> None:
        """Forget the lines accepted after ``cell``: the run counts as stopped there."""
        del self.cells[cell["seq"] + 1:]

    def close(self) -> None:
        """Accept a last line that came without its newline."""
        rest, self._partial = self._partial, b""
        self._accept(rest)

    def _accept(self, line: bytes) -> dict | None:
        if not line.strip():
            return None
        mac, _, text = line.decode(errors="replace").partition(" ")
        try:
            if not hmac.compare_digest(mac, sign(self.key, text)):
                raise ValueError("unsigned")
            cell = json.loads(text)
            if cell.get("seq") != len(self.cells) or not isinstance(cell.get("index"), int):
                raise ValueError("out of sequence")
        except (ValueError, TypeError, AttributeError, RecursionError):
            self.unsigned += 1
            return None
        self.cells.append(cell)
        return cell


def sandbox_mode() -> str:
    """``"bwrap"`` when bubblewrap can run here, else ``"none"``."""
    return "bwrap" if shutil.which("bwrap") else "none"


def _set_limits(limits: Limits) -> None:
    """Runs in the child between fork and exec."""
    for name, value in (
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_NPROC, limits.processes),
        (resource.RLIMIT_CPU, int(2 * limits.notebook_seconds) + 120),  # per process; the runner stops it far earlier
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(name, (value, value))


def _read_only_view() -> list[str]:
    """bwrap arguments that show the system, the Python installation and ``dgm_utils``, read-only."""
    args: list[str] = []
    for path in SYSTEM_PATHS:
        if os.path.islink(path) and path.count("/") == 1:
            args += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            args += ["--ro-bind", path, path]
    for path in _python_paths():
        args += ["--ro-bind", str(path), str(path)]
    return args


def _python_paths() -> list[Path]:
    """The Python installation, its environment and ``dgm_utils``, where the system's paths do not hold them."""
    python = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(dgm_utils.__file__).resolve().parent}
    return [path for path in sorted(python)
            if not any(path.is_relative_to(p) for p in SYSTEM_PATHS if not os.path.islink(p))]


def _visible(path: Path) -> bool:
    """Whether a sandbox sees the file at ``path`` (links followed) at the same place."""
    real = path.resolve()
    return any(real.is_relative_to(Path(root).resolve()) for root in
               [*(p for p in SYSTEM_PATHS if os.path.exists(p) and not os.path.islink(p)), *_python_paths()])


def _environment() -> dict[str, str]:
    return {
        "HOME": "/tmp",
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "DGM_FAST": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "MPLCONFIGDIR": "/tmp/.matplotlib",
        "OMP_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _font_list(env: dict[str, str]) -> list[str]:
    """bwrap arguments that show matplotlib's font list, built once (``fonts.py``), where matplotlib looks for it."""
    found = font_list(tuple(sorted(env.items())), _visible)
    return ["--ro-bind", str(found), f"{env['MPLCONFIGDIR']}/{found.name}"] if found else []


def build_command(mode: str, job: Path, limits: Limits, result_fd: int,
                  figures: bool = True) -> tuple[list[str], dict[str, str], Path]:
    """The command, its environment and its working folder for one job."""
    python = [sys.executable, "-u"]
    args = ["--result-fd", str(result_fd), "--cell-timeout", str(limits.wall(limits.cell_seconds)), "--cell-cpu", str(limits.cell_seconds),
            "--notebook-cpu", str(limits.notebook_seconds), "--max-output-bytes", str(limits.output_bytes),
            "--max-processes", str(max(8, limits.processes // 2)), *([] if figures else ["--no-figures"])]
    env = _environment()
    if mode == "none":
        return [*python, str(RUNNER), *args], env, job
    bwrap = [
        "bwrap", *_read_only_view(), "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
        "--ro-bind", str(RUNNER), "/tmp/runner.py", *_font_list(env),
        "--bind", str(job), JOB_MOUNT, "--chdir", JOB_MOUNT,
        "--unshare-all", "--uid", NOBODY, "--gid", NOBODY, "--cap-drop", "ALL",
        "--die-with-parent", "--new-session",
    ]
    return [*bwrap, *python, "/tmp/runner.py", *args, "--sandboxed"], env, job


def _exchange(process: subprocess.Popen, data: bytes, channel: ResultChannel, results: int, limits: Limits,
              stop: Callable[[dict], bool] | None) -> tuple[bool, bool, bool]:
    """Send ``data``, read at most ``limits.result_bytes`` into ``channel``; ``(timed_out, overflow, stopped)``.

    ``stop`` sees each accepted line as it comes; when it says so the run is killed there.
    """
    overflow, stopped = threading.Event(), threading.Event()

    def write() -> None:
        try:
            process.stdin.write(data)
            process.stdin.close()
        except OSError:  # the runner ended before reading everything
            pass

    def read() -> None:
        size = 0
        while chunk := os.read(results, 1 << 16):
            size += len(chunk)
            if size > limits.result_bytes:
                overflow.set()
                _kill(process)
                return
            accepted = channel.feed(chunk)
            stopping = next((cell for cell in accepted if stop(cell)), None) if stop else None
            if stopping is not None:  # lines of later cells may have come in the same read: they do not count
                channel.end_at(stopping)
                stopped.set()
                _kill(process)
                return
        channel.close()

    threads = [threading.Thread(target=write, daemon=True), threading.Thread(target=read, daemon=True)]
    for thread in threads:
        thread.start()
    try:
        process.wait(timeout=limits.wall(limits.notebook_seconds))
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill(process)
        timed_out = True
    threads[1].join()
    return timed_out, overflow.is_set(), stopped.is_set()


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass


def run(notebook_json: str, job: Path, limits: Limits, mode: str | None = None,
        stop: Callable[[dict], bool] | None = None, figures: bool = True) -> RunResult:
    """Execute a prepared notebook in ``job`` (created here), the whole run time-limited.

    ``stop``, if given, sees each cell's line as it comes and ends the run early when it
    returns true (``RunResult.stopped``). ``figures=False``: the kernel draws no figure
    (a figure's output is its text): the same records, for less CPU time.
    """
    mode = mode or sandbox_mode()
    if mode == "none":
        warnings.warn("bubblewrap not found: grading is NOT sandboxed (resource limits only)", stacklevel=2)
    job.mkdir(parents=True, exist_ok=True)
    results, result_fd = os.pipe()
    command, env, cwd = build_command(mode, job, limits, result_fd, figures)
    log = job.parent / f"{job.name}.log"
    cgroup = JobCgroup(f"{job.parent.parent.name}-{job.parent.name}-{job.name}-{os.getpid()}", limits)
    key = secrets.token_bytes(32)
    channel = ResultChannel(key)

    def enter_limits() -> None:
        cgroup.enter()
        _set_limits(limits)

    start = time.monotonic()
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=log_file, start_new_session=True, preexec_fn=enter_limits, pass_fds=(result_fd,),
        )
        os.close(result_fd)
        try:
            timed_out, overflow, stopped = _exchange(
                process, key.hex().encode() + b"\n" + notebook_json.encode(), channel, results, limits, stop)
            process.wait()
        finally:
            os.close(results)
            peak = cgroup.peak_memory()
            cgroup.close()
    with open(log, "rb") as log_file:
        log_file.seek(max(0, log.stat().st_size - 2000))
        tail = log_file.read().decode(errors="replace")
    lines = channel.cells
    started = bool(lines) and lines[0]["index"] == STARTED
    cells = [line for line in lines if line["index"] != STARTED]
    return RunResult(mode, process.returncode, timed_out, time.monotonic() - start, cells, tail, peak, channel.unsigned,
                     overflow, started, stopped)

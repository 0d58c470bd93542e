"""Run the notebook runner in a sandbox: bubblewrap where it exists, resource limits always.

bubblewrap mode: a read-only view of the system, no network, private ``/tmp``, new
PID/IPC/UTS/user namespaces (uid 65534 without capabilities), the course repository
hidden behind an empty tmpfs except the Python environment and ``dgm_utils``; the
only writable folder is the job's. Fallback mode (no ``bwrap``, e.g. macOS): the same
resource limits in a child process, and the grade export says ``sandbox=none``.

Limits: rlimits on every process (address space, CPU time, file size, processes; the
process count is per user namespace, so one sandbox's fork bomb does not starve
another), plus, where the grader may create cgroups (Linux, as root), a cgroup per job
that caps the memory, the number of tasks and the CPU share of the whole sandbox.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import dgm_utils

RUNNER = Path(__file__).with_name("runner.py")
REPO = RUNNER.parent.parent.resolve()
CGROUP_ROOT = Path("/sys/fs/cgroup")
JOB_MOUNT = "/tmp/grading"
NOBODY = "65534"


@dataclass(frozen=True)
class Limits:
    """Resource limits of one graded notebook."""

    cell_seconds: int = 60
    notebook_seconds: int = 600
    memory_bytes: int = 6 * 2**30
    processes: int = 512
    cpu_seconds: int = 1200
    cpus: float = 1.0
    file_bytes: int = 64 * 2**20
    output_bytes: int = 1_000_000


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
    """What came back from one run: the runner's per-cell lines (untrusted data) and how it ended."""

    mode: str
    exit_code: int | None
    timed_out: bool
    seconds: float
    cells: list[dict]
    log_tail: str
    peak_memory: int | None = None


def parse_cells(stdout: bytes) -> list[dict]:
    """The runner's JSON lines; anything else is ignored."""
    cells = []
    for line in stdout.decode(errors="replace").splitlines():
        try:
            cell = json.loads(line)
        except ValueError:
            continue
        if isinstance(cell, dict) and isinstance(cell.get("index"), int):
            cells.append(cell)
    return cells


def sandbox_mode() -> str:
    """``"bwrap"`` when bubblewrap can run here, else ``"none"``."""
    return "bwrap" if shutil.which("bwrap") else "none"


def _set_limits(limits: Limits) -> None:
    """Runs in the child between fork and exec."""
    for name, value in (
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_NPROC, limits.processes),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(name, (value, value))


def _hidden_and_needed(course_root: Path) -> tuple[list[Path], list[Path]]:
    """Folders to hide (the course and this checkout) and what under them the runner needs."""
    hidden = sorted({course_root.resolve(), REPO})
    needed = [Path(sys.prefix).resolve(), Path(dgm_utils.__file__).resolve().parent]
    return hidden, [path for path in needed if any(path.is_relative_to(h) for h in hidden)]


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


def build_command(mode: str, job: Path, repo: Path, limits: Limits) -> tuple[list[str], dict[str, str], Path]:
    """The command, its environment and its working folder for one job."""
    python = [sys.executable, "-u"]
    args = ["--cell-timeout", str(limits.cell_seconds), "--max-output-bytes", str(limits.output_bytes)]
    env = _environment()
    if mode == "none":
        return [*python, str(RUNNER), *args], env, job
    hidden, needed = _hidden_and_needed(repo)
    bwrap = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for path in hidden:
        bwrap += ["--tmpfs", str(path)]
    for path in needed:
        bwrap += ["--ro-bind", str(path), str(path)]
    bwrap += [
        "--ro-bind", str(RUNNER), "/tmp/runner.py",
        "--bind", str(job), JOB_MOUNT, "--chdir", JOB_MOUNT,
        "--unshare-all", "--uid", NOBODY, "--gid", NOBODY,
        "--die-with-parent", "--new-session", "--clearenv",
    ]
    for key, value in env.items():
        bwrap += ["--setenv", key, value]
    return [*bwrap, *python, "/tmp/runner.py", *args], {}, job


def run(notebook_json: str, job: Path, repo: Path, limits: Limits, mode: str | None = None) -> RunResult:
    """Execute a prepared notebook in ``job`` (created here), the whole run time-limited."""
    mode = mode or sandbox_mode()
    if mode == "none":
        warnings.warn("bubblewrap not found: grading is NOT sandboxed (resource limits only)", stacklevel=2)
    job.mkdir(parents=True, exist_ok=True)
    command, env, cwd = build_command(mode, job, repo, limits)
    log = job.parent / f"{job.name}.log"
    cgroup = JobCgroup(f"{job.parent.parent.name}-{job.parent.name}-{job.name}-{os.getpid()}", limits)

    def enter_limits() -> None:
        cgroup.enter()
        _set_limits(limits)

    start = time.monotonic()
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=cwd, env=env or None, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=log_file, start_new_session=True, preexec_fn=enter_limits,
        )
        try:
            stdout, _ = process.communicate(notebook_json.encode(), timeout=limits.notebook_seconds)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, _ = process.communicate()
            timed_out = True
        finally:
            peak = cgroup.peak_memory()
            cgroup.close()
    with open(log, "rb") as log_file:
        log_file.seek(max(0, log.stat().st_size - 2000))
        tail = log_file.read().decode(errors="replace")
    return RunResult(mode, process.returncode, timed_out, time.monotonic() - start, parse_cells(stdout), tail, peak)

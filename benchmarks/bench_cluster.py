"""Grading on a Dask cluster against local threads and stock ``nbgrader autograde``, in one run.

The 40 submissions of ``bench_grading`` (``BENCH_COPIES=10`` copies of each bundled
sample of assignment 01), graded from scratch by our grader with ``WORKERS`` threads on
this machine, by our grader on a loopback Dask cluster (a scheduler and ``WORKERS``
worker processes of one thread, started here as ``docs/cluster.md`` starts them), and by
stock serial ``nbgrader autograde`` (``BENCH_STOCK=0`` leaves it out: it is serial, the longest). The Dask path
should stay within 10 % of local threads.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from autograder.sandbox import sandbox_mode
from benchmarks.bench_grading import ASSIGNMENT, CELL_SECONDS, COPIES, ours, stock
from benchmarks.common import table
from tests.test_cluster import LoopbackCluster

WORKERS = 2
TARGET = 1.10  # the Dask path's wall time at most this times local threads'


def on_loopback_cluster() -> dict:
    """``ours`` on a scheduler and ``WORKERS`` one-thread worker processes on 127.0.0.1 (started untimed)."""
    with tempfile.TemporaryDirectory() as folder:
        cluster = LoopbackCluster(Path(folder))
        try:
            for index in range(WORKERS):
                cluster.add_worker(f"w{index + 1}")
            return ours(WORKERS, scheduler=cluster.address)
        finally:
            cluster.close()


def under_load(run: Callable[[], dict]) -> dict:
    """``run()`` with the host's 1-minute load average before and after it (the runs share the machine)."""
    before = os.getloadavg()[0]
    result = run()
    return {**result, "load": f"{before:.1f} -> {os.getloadavg()[0]:.1f}"}


def main() -> None:
    print(f"sandbox: {sandbox_mode()}; {4 * COPIES} submissions of {ASSIGNMENT}; per-cell limit {CELL_SECONDS} s", flush=True)
    local, dask = f"ours, {WORKERS} threads here", f"ours, loopback Dask cluster ({WORKERS} worker processes)"
    runs = {local: under_load(lambda: ours(WORKERS)), dask: under_load(on_loopback_cluster)}
    if os.environ.get("BENCH_STOCK", "1") != "0":  # BENCH_STOCK=0: our two paths only (stock is serial: the longest)
        runs["stock nbgrader autograde (serial)"] = under_load(stock)
    base = runs[local]["wall"]
    rows = [[name, run["n"], round(run["wall"], 1), round(60 * run["n"] / run["wall"], 2), round(run["wall"] / base, 3),
             " ".join(f"{p:g}" for p in run.get("points", [])) or "-", run["load"]] for name, run in runs.items()]
    table("cluster", ["grader", "submissions", "wall s", "submissions/min", "wall / local threads", "points seen",
                      "host load (1 min) before -> after"], rows)
    ratio = runs[dask]["wall"] / base
    print(f"Dask / local threads: {ratio:.3f} ({'within' if ratio <= TARGET else 'NOT within'} the {TARGET - 1:.0%} target)")

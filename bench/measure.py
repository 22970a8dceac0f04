"""Run a measured process, sample its memory, and summarise repetitions.

RSS is sampled from the parent (psutil, the process and all its children, every 50 ms), so the
sampling never competes with the measured process for its GIL, and a child that DuckDB or dlt
starts is counted too. Timings on a shared 2-core machine are noisy, so every case repeats and
reports medians; ratios are taken between loads measured side by side in the same run.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
MB = 2**20


@dataclass
class Run:
    """One measured process: a worker load (bench/worker.py) or a plain command."""

    kind: str
    seconds: float  # a worker's own timing (after imports); a command's wall time
    rows: dict[str, int] = field(default_factory=dict)
    status: str = "loaded"
    message: str = ""
    requests: int = 0  # as the sandbox counted them; set by the caller
    peak_rss: int = 0  # bytes, process tree
    phase_peaks: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    output: str = ""

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_s(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0


class _Sampler:
    """Peak RSS of a process tree, overall and per phase announced on the worker's stdout."""

    def __init__(self, pid: int, interval_s: float = 0.05) -> None:
        self.process = psutil.Process(pid)
        self.interval_s = interval_s
        self.phase = "start"
        self.peak = 0
        self.phase_peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _rss(self) -> int:
        total = 0
        for proc in [self.process, *self.process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):  # a child that ended between listing and reading
                total += proc.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = self._rss()
            except psutil.Error:
                return
            self.peak = max(self.peak, rss)
            self.phase_peaks[self.phase] = max(self.phase_peaks.get(self.phase, 0), rss)
            self._stop.wait(self.interval_s)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# Settings a calling shell may hold that would change what is measured (a sourced sandbox.env,
# a lever left exported): only what the case passes may reach the measured process.
ISOLATED = (
    "SOURCES__",
    "DESTINATION__",
    "DATA_WRITER__",
    "NORMALIZE__",
    "EXTRACT__",
    "LOAD__",
    "WAREHOUSE__",
)


def _popen(command: Sequence[str], env: dict[str, str], stderr: object) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(ISOLATED)}
    return subprocess.Popen(
        list(command), cwd=ROOT, env={**base, **env}, stdout=subprocess.PIPE, stderr=stderr, text=True
    )


def run_worker(kind: str, db: Path, env: dict[str, str]) -> Run:
    """`python -m bench.worker KIND --db DB` with `env` added; raises if the load failed."""
    with tempfile.TemporaryFile("w+") as errors:
        proc = _popen([sys.executable, "-m", "bench.worker", kind, "--db", str(db)], env, errors)
        sampler = _Sampler(proc.pid)
        result: dict | None = None
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("phase "):
                sampler.phase = line.split(" ", 1)[1].strip()
            elif line.startswith("result "):
                result = json.loads(line.split(" ", 1)[1])
        proc.wait()
        sampler.stop()
        errors.seek(0)
        tail = errors.read()[-2000:]
    if proc.returncode or result is None or result["status"] != "loaded":
        detail = result["message"] if result else tail
        raise RuntimeError(f"bench worker {kind} failed (exit {proc.returncode}): {detail}")
    peaks = {name: n for name, n in sampler.phase_peaks.items() if name not in ("start", "done")}
    run = Run(kind, result["seconds"], result["rows"], peak_rss=sampler.peak, phase_peaks=peaks)
    run.phases = result.get("phases", {})
    return run


def run_command(kind: str, command: Sequence[str], env: dict[str, str]) -> Run:
    """A CLI command as a user runs it: wall time (start-up included), peak RSS, its output."""
    started = time.perf_counter()
    proc = _popen(command, env, subprocess.STDOUT)
    sampler = _Sampler(proc.pid)
    output, _ = proc.communicate()
    seconds = time.perf_counter() - started
    sampler.stop()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(command)} failed (exit {proc.returncode}): {output[-2000:]}")
    return Run(kind, round(seconds, 3), peak_rss=sampler.peak, output=output)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def spread(values: Sequence[float]) -> str:
    """min-max of the repetitions, so a reader sees how noisy a median was."""
    return f"{min(values):,.3g}-{max(values):,.3g}" if len(values) > 1 else ""

"""The sandbox in its own process, and the admin calls the benchmarks make on it.

The loader and the simulated vendors must not share a GIL: in one process every page the
sandbox renders would be time the loader cannot run, and the figures would measure the two
together. So each world is a `syncscope sandbox` subprocess, found through its env file.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# A fixed world start: every repetition (and every benchmark run) serves the same world.
START = "2026-11-01T00:00:00Z"


def read_env_file(path: Path) -> dict[str, str]:
    """NAME=value lines as `syncscope sandbox --env-file` writes them (values shell-quoted)."""
    env = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        env[name] = "".join(shlex.split(value))
    return env


@dataclass(frozen=True)
class World:
    """The sandbox knobs a case needs; the same values always serve the same bytes."""

    syncs: int
    days: int
    records: int
    latency_ms: float = 0.0
    seed: int = 42
    plain_numbers: bool = False  # dlt's rest_api cannot load AI Squared's 70-bit integers

    def args(self) -> list[str]:
        args = ["--syncs", str(self.syncs), "--days", str(self.days), "--records", str(self.records)]
        args += ["--seed", str(self.seed), "--start", START] + (
            ["--plain-numbers"] if self.plain_numbers else []
        )
        return args + (["--latency-ms", str(self.latency_ms)] if self.latency_ms else [])

    def describe(self) -> str:
        latency = f", {self.latency_ms:g} ms latency" if self.latency_ms else ""
        return f"{self.syncs} syncs, {self.days} days, --records {self.records:,}{latency}"


def spawn_serving(command: list[str], env_file: Path, what: str, timeout_s: float) -> subprocess.Popen[bytes]:
    """Start a server process that writes `env_file` once it serves, and wait for that file
    (a server that exits first raises with its stderr; one that takes too long is stopped)."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout_s
    while not env_file.exists():
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"{what} exited before it served: {err.strip()[-500:]}")
        if time.monotonic() > deadline:
            stop_serving(proc, None, env_file)
            raise RuntimeError(f"{what} did not serve in time")
        time.sleep(0.02)
    return proc


def stop_serving(proc: subprocess.Popen[bytes] | None, admin: httpx.Client | None, env_file: Path) -> None:
    """Close the admin client, end the process (terminate, then kill after 30 s), drop its env file."""
    if admin:
        admin.close()
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    env_file.unlink(missing_ok=True)


class SandboxProcess:
    """`syncscope sandbox` as a subprocess; `env` holds the SOURCES__... variables it wrote."""

    def __init__(self, world: World, workdir: Path) -> None:
        self.world = world
        self.env_file = workdir / f"sandbox-{time.monotonic_ns()}.env"
        self.env: dict[str, str] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._admin: httpx.Client | None = None

    def command(self) -> list[str]:
        cli = [sys.executable, "-m", "pipelines.cli", "sandbox"]
        return [*cli, *self.world.args(), "--env-file", str(self.env_file)]

    def start(self, timeout_s: float = 120.0) -> SandboxProcess:
        self._proc = spawn_serving(self.command(), self.env_file, "the sandbox", timeout_s)
        self.env = read_env_file(self.env_file)
        self._admin = httpx.Client(base_url=self.base_url, timeout=120)
        return self

    def stop(self) -> None:
        stop_serving(self._proc, self._admin, self.env_file)

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    @property
    def base_url(self) -> str:
        return self.env["SOURCES__AI_SQUARED__BASE_URL"]

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        assert self._admin is not None, "start() the sandbox first"
        return self._admin.request(method, path, json=body).raise_for_status().json()

    def reset_requests(self) -> None:
        """Forget the AI Squared requests served so far (admin calls are never logged)."""
        self._call("DELETE", "/_sandbox/requests")

    def requests(self) -> int:
        """AI Squared requests served since the last reset, as the vendor would count them."""
        return len(self._call("GET", "/_sandbox/requests")["requests"])

    def advance(self, seconds: float) -> None:
        self._call("POST", "/_sandbox/advance", {"seconds": seconds})

    def counts(self) -> dict[str, int]:
        """AI Squared's truth: syncs, runs, records, failed_records as they stand now."""
        return self._call("GET", "/_sandbox/ai_squared/truth/counts")

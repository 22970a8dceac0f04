"""The replay server in its own process, recorded from a sandbox, and its own throughput.

`ReplayProcess` has the interface the cases use on a `SandboxProcess` (env, base_url,
reset_requests, requests), so a load measured against either is measured the same way. It
starts a sandbox, records through it with the loads the caller names (each tag's loads run
once, unmeasured), stops the sandbox, and then serves only what was recorded.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.sandbox_proc import SandboxProcess, World, read_env_file, spawn_serving, stop_serving
from sources.concurrency import map_completed

Recorder = Callable[["ReplayProcess"], None]


class ReplayProcess:
    """`python -m bench.replay` recorded from `world`'s sandbox by `recorders` (tag -> loads)."""

    def __init__(self, world: World, workdir: Path, recorders: dict[str, Recorder]) -> None:
        self.world, self.workdir, self.recorders = world, workdir, recorders
        self.env_file = workdir / f"replay-{time.monotonic_ns()}.env"
        self.env: dict[str, str] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._admin: httpx.Client | None = None

    def start(self, timeout_s: float = 120.0) -> ReplayProcess:
        with SandboxProcess(self.world, self.workdir) as box:
            command = [sys.executable, "-m", "bench.replay", "--upstream-env", str(box.env_file)]
            command += ["--env-file", str(self.env_file)]
            self._proc = spawn_serving(command, self.env_file, "the replay server", timeout_s)
            self.env = read_env_file(self.env_file)
            self._admin = httpx.Client(base_url=self.base_url, timeout=120)
            for tag, recorder in self.recorders.items():
                self._call("POST", f"/_replay/tag/{tag}")
                recorder(self)
            self._call("POST", "/_replay/freeze")
        self.reset_requests()
        return self

    def stop(self) -> None:
        stop_serving(self._proc, self._admin, self.env_file)

    def __enter__(self) -> ReplayProcess:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self.env["SOURCES__AI_SQUARED__BASE_URL"]

    def _call(self, method: str, path: str) -> Any:
        assert self._admin is not None, "start() the replay server first"
        return self._admin.request(method, path).raise_for_status().json()

    def reset_requests(self) -> None:
        self._call("DELETE", "/_replay/requests")

    def requests(self) -> int:
        """Requests served since the last reset; raises if any was not recorded (a miss)."""
        counts = self._call("GET", "/_replay/requests")
        if counts["misses"]:
            raise RuntimeError(f"{counts['misses']} requests were not recorded: the load was not a replay")
        return int(counts["requests"])

    def set_latency(self, ms: float) -> None:
        """Every recorded answer waits `ms` before it leaves (0: none)."""
        self._call("POST", f"/_replay/latency/{ms:g}")

    def pages(self, tag: str) -> list[dict[str, Any]]:
        """The pages recorded under `tag`, in the order they were first asked for."""
        return [p for p in self._call("GET", "/_replay/pages")["pages"] if p["tag"] == tag]


def fetch_loop(replay: ReplayProcess, tag: str, concurrency: int = 8) -> dict[str, float]:
    """The server's own throughput: GET every page recorded under `tag` (no parsing), `concurrency`
    at a time on one pooled httpx client, as the loaders do. Rows are the recorded pages' rows."""
    pages = replay.pages(tag)
    env = replay.env
    headers = {"Authorization": f"Bearer {env['SOURCES__AI_SQUARED__API_TOKEN']}"}
    if env.get("SOURCES__AI_SQUARED__WORKSPACE_ID"):
        headers["Workspace-Id"] = env["SOURCES__AI_SQUARED__WORKSPACE_ID"]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    replay.reset_requests()
    with httpx.Client(base_url=replay.base_url, headers=headers, limits=limits, timeout=120) as client:

        def get(target: str) -> int:
            return len(client.get(target).raise_for_status().content)

        started = time.perf_counter()
        sizes = [f.result() for _, f in map_completed(get, [p["target"] for p in pages], concurrency)]
        seconds = time.perf_counter() - started
    rows = sum(int(p["rows"]) for p in pages)
    return {
        "requests": replay.requests(),
        "rows": rows,
        "bytes": sum(sizes),
        "seconds": seconds,
        "rows_per_s": rows / seconds if seconds else 0.0,
        "mb_per_s": sum(sizes) / seconds / 2**20 if seconds else 0.0,
    }

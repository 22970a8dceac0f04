"""A hostile listener on loopback, and `syncscope run` watched from outside (exit, lines, peak RSS)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import psutil

from tests.loopback import LoopbackServer


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Listener(LoopbackServer):
    """Answers everything with 401 (the lure for a login) and keeps what arrived."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                listener.received.append(Received(self.command, self.path, dict(self.headers), body))
                payload = b'{"errors": [{"status": 401, "detail": "Unauthorized"}]}'
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.serve(Handler, daemon_threads=False)


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    peak_rss: int = 0
    killed: list[str] = field(default_factory=list)

    def line(self, vendor: str) -> str:
        return next(line for line in self.stdout.splitlines() if line.startswith(vendor))


def syncscope_run(
    env: dict[str, str], db: Path, *args: str, rss_limit: int | None = None, timeout: float = 180
) -> Run:
    """`syncscope run` with exactly these SOURCES__ variables; killed past `rss_limit` bytes or
    `timeout` seconds (so a test of a hang or a bomb fails instead of taking the machine down)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SOURCES__")}
    environment.update({"RUNTIME__DLTHUB_TELEMETRY": "false", **env})
    db.parent.mkdir(parents=True, exist_ok=True)  # `run` refuses a --db in a missing folder (exit 2)
    command = [sys.executable, "-m", "pipelines.cli", "run", "--db", str(db), "--no-publish", *args]
    # Files, not pipes: a pipe nobody reads while the child runs could fill and block it.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, env=environment, stdout=out, stderr=err, text=True)
        peak, killed = _watch(proc, rss_limit, timeout)
        out.seek(0)
        err.seek(0)
        return Run(proc.returncode, out.read(), err.read(), peak, killed)


def _watch(proc: subprocess.Popen, rss_limit: int | None, timeout: float) -> tuple[int, list[str]]:
    """Poll the child's RSS until it exits; kill it past the limit or the timeout."""
    watched = psutil.Process(proc.pid)
    peak, killed = 0, []
    started = time.monotonic()
    while proc.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        if rss_limit is not None and peak > rss_limit:
            killed.append(f"RSS {peak / 2**20:.0f} MB over {rss_limit / 2**20:.0f} MB")
        elif time.monotonic() - started > timeout:
            killed.append(f"still running after {timeout:.0f}s")
        if killed:
            proc.kill()
            break
        time.sleep(0.02)
    proc.wait()
    return peak, killed

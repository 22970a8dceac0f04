"""A replay server: AI Squared's pages recorded once from the sandbox, served from memory.

The sandbox renders and serialises every page on request (~34 k records/s on one core), so a
load measured against it measures the sandbox as much as the loader. This server first records:
every request it has no answer for is forwarded to the sandbox (`--upstream`, same target, same
headers, Host included so the JSON:API links name this server), and the exact response bytes
(status line, headers with the sandbox's Date, body) are kept. After `POST /_replay/freeze` the
sandbox is never asked again: a known request is one `transport.write` of pre-built bytes, an
unknown one a 502 (counted as a miss, so a benchmark can prove it measured replays only).
Auth and Workspace-Id are not checked: the recorded answers were the sandbox's, checks included.

    python -m bench.replay --upstream-env sandbox.env --env-file replay.env

Admin (never counted as requests): GET/DELETE /_replay/requests, POST /_replay/freeze,
POST /_replay/tag/<name> (pages recorded from then on carry that tag), GET /_replay/pages,
POST /_replay/latency/<ms> (every recorded answer waits that long first, as the sandbox's
--latency-ms does; 0 turns it off).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import signal
from pathlib import Path

import httpx

ADMIN = b"/_replay/"
BASE_URL = "SOURCES__AI_SQUARED__BASE_URL"
# Hop-by-hop request headers the forwarder must not copy (httpx sets its own).
HOP = {"connection", "keep-alive", "content-length", "transfer-encoding", "accept-encoding"}


def _raw(status: int, reason: str, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    """A whole HTTP/1.1 response as bytes (the headers are written as received)."""
    head = [f"HTTP/1.1 {status} {reason}".encode()] + [k + b": " + v for k, v in headers]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def _json(status: int, payload: object) -> bytes:
    body = json.dumps(payload).encode()
    headers = [(b"Content-Type", b"application/json"), (b"Content-Length", str(len(body)).encode())]
    return _raw(status, "OK" if status == 200 else "Error", headers, body)


def _rows(body: bytes) -> int:
    """Rows on a recorded page (`data` of a list; 0 for anything else). Done once, at recording."""
    try:
        data = json.loads(body).get("data")
    except (ValueError, AttributeError):
        return 0
    return len(data) if isinstance(data, list) else 0


class Replay:
    """The recorded pages and the counters; one event loop thread touches them."""

    def __init__(self, upstream: str | None) -> None:
        self.pages: dict[bytes, bytes] = {}  # b"GET /path?query" -> the whole response
        self.index: list[dict[str, object]] = []  # per recorded page: target, tag, rows, bytes
        self.requests = 0
        self.misses = 0
        self.tag = ""
        self.latency_s = 0.0  # a wait before every recorded answer (case 2b: latency hiding)
        self.upstream = httpx.AsyncClient(base_url=upstream, timeout=300) if upstream else None

    async def record(self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
        """Forward one unknown request to the sandbox and keep its answer (when recording)."""
        if self.upstream is None:
            self.misses += 1
            return _json(502, {"error": "not recorded", "target": target.decode("latin-1")})
        sent = [(k, v) for k, v in headers if k.lower().decode() not in HOP]
        response = await self.upstream.request(method.decode(), target.decode("latin-1"), headers=sent)
        body = response.content
        raw = _raw(response.status_code, response.reason_phrase, list(response.headers.raw), body)
        key = method + b" " + target
        if response.status_code == 200 and key not in self.pages:
            self.pages[key] = raw
            self.index.append(
                {"target": target.decode("latin-1"), "tag": self.tag, "rows": _rows(body), "bytes": len(raw)}
            )
        return raw

    def admin(self, method: bytes, target: bytes) -> bytes:
        path = target[len(ADMIN) :].decode()
        if path == "requests" and method == b"DELETE":
            self.requests = self.misses = 0
            return _json(200, {"requests": 0, "misses": 0})
        if path == "requests":
            return _json(200, {"requests": self.requests, "misses": self.misses})
        if path == "pages":
            return _json(200, {"pages": self.index})
        if path == "freeze" and method == b"POST":
            self.upstream = None
            return _json(200, {"pages": len(self.pages)})
        if path.startswith("latency/") and method == b"POST":
            self.latency_s = float(path[len("latency/") :]) / 1000
            return _json(200, {"latency_ms": self.latency_s * 1000})
        if path.startswith("tag/") and method == b"POST":
            self.tag = path[4:]
            return _json(200, {"tag": self.tag})
        return _json(404, {"error": "unknown admin call", "path": path})


class _Connection(asyncio.Protocol):
    """HTTP/1.1 keep-alive with no per-request work beyond finding the end of the head."""

    def __init__(self, replay: Replay) -> None:
        self.replay = replay
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.busy = False  # a forwarded request is in flight: later ones wait (no pipelining)
        self.task: asyncio.Future[None] | None = None  # that request (a reference keeps it alive)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._serve()

    def _serve(self) -> None:
        assert self.transport is not None
        while not self.busy and (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            line, _, rest = head.partition(b"\r\n")
            method, target, _ = line.split(b" ", 2)
            if target.startswith(ADMIN):
                self.transport.write(self.replay.admin(method, target))
                continue
            self.replay.requests += 1
            page = self.replay.pages.get(method + b" " + target)
            if page is not None and self.replay.latency_s:
                # The answer leaves after the wait; the next request on this connection cannot
                # come before it (clients do not pipeline), so answers stay in order.
                asyncio.get_running_loop().call_later(self.replay.latency_s, self._write, page)
                continue
            if page is not None:
                self.transport.write(page)
                continue
            headers = [tuple(h.split(b": ", 1)) for h in rest.split(b"\r\n") if b": " in h]
            self.busy = True
            self.task = asyncio.ensure_future(self._forward(method, target, headers))  # type: ignore[arg-type]

    def _write(self, page: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(page)

    async def _forward(self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        assert self.transport is not None
        try:
            answer = await self.replay.record(method, target, headers)
        except httpx.HTTPError as exc:
            answer = _json(502, {"error": f"upstream failed: {type(exc).__name__}"})
        if not self.transport.is_closing():
            self.transport.write(answer)
        self.busy = False
        self._serve()


async def serve(upstream_env: Path | None, env_file: Path, host: str = "127.0.0.1") -> None:
    """Listen, write the env file (the sandbox's settings with this server's URL), serve until killed."""
    env: dict[str, str] = {}
    if upstream_env is not None:
        from bench.sandbox_proc import read_env_file

        env = {k: v for k, v in read_env_file(upstream_env).items() if k.startswith("SOURCES__AI_SQUARED__")}
    replay = Replay(env.get(BASE_URL))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(replay), host, 0)
    port = server.sockets[0].getsockname()[1]
    env[BASE_URL] = f"http://{host}:{port}"
    tmp = env_file.with_suffix(".tmp")
    tmp.write_text("".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items()))
    os.replace(tmp, env_file)  # whole or absent: the parent waits for it
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    if replay.upstream is not None:
        with contextlib.suppress(Exception):
            await replay.upstream.aclose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream-env", type=Path, help="the sandbox's env file (records from it)")
    parser.add_argument("--env-file", type=Path, required=True, help="where to write this server's settings")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.upstream_env, args.env_file))


if __name__ == "__main__":
    main()

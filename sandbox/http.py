"""A small HTTP/1.1 server on asyncio + h11, with routing and fault injection.

Why not uvicorn: faults must act on the wire (close a connection with no answer, send half a
body and hang up), which an ASGI app cannot do. h11 (already under httpx) parses the protocol;
this module owns the socket, so every fault is real to the client.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

import h11

from sandbox import fault_bodies, wire_faults
from sandbox.clock import http_date
from sandbox.faults import Action, FaultInjector
from sandbox.http_types import JSON, Request, Response, json_response

__all__ = ["HttpServer", "LoggedRequest", "Request", "Response", "Router", "json_response"]

log = logging.getLogger("sandbox.http")

ADMIN_PREFIX = "/_sandbox/"


Handler = Callable[..., Response]


class Router:
    """Maps `METHOD /path/{param}` patterns to handlers called with the path params."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append((method, re.compile(f"^{regex}$"), handler))

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | str | None:
        """The handler and params; "405" when the path exists for another method; None if unknown."""
        other_method = False
        for route_method, regex, handler in self._routes:
            match = regex.match(path)
            if match:
                if route_method == method:
                    return handler, match.groupdict()
                other_method = True
        return "405" if other_method else None


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    target: str
    status: int  # 0 when the connection was dropped before any answer


class HttpServer:
    """Serves one vendor app on a loopback port; admin routes bypass faults and the request log."""

    def __init__(
        self,
        app: Router,
        admin: Router,
        faults: FaultInjector,
        clock_ms: Callable[[], int],
        world_lock: threading.RLock,
        name: str,
    ) -> None:
        self.app = app
        self.admin = admin
        self.faults = faults
        self.clock_ms = clock_ms
        self.world_lock = world_lock
        self.name = name
        self.log: deque[LoggedRequest] = deque(maxlen=1_000_000)  # bounded for long-lived sandboxes
        # Tests use this to act in the middle of a crawl (e.g. move the clock on page 2).
        self.before_request: Callable[[Request], None] | None = None
        self.port = 0
        self._server: asyncio.AbstractServer | None = None

    async def start(self, host: str, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._connection, host, port, backlog=512)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop_accepting(self) -> None:
        if self._server:
            self._server.close()

    async def close(self) -> None:
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                request = await self._read_request(conn, reader)
                if request is None:
                    break
                if not await self._answer(conn, writer, request):
                    return
                if conn.our_state is h11.MUST_CLOSE:
                    break
                conn.start_next_cycle()
        except (ConnectionError, h11.ProtocolError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:  # the sandbox is stopping: end quietly
            pass
        finally:
            writer.close()

    async def _read_request(self, conn: h11.Connection, reader: asyncio.StreamReader) -> Request | None:
        head: h11.Request | None = None
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Request):
                head = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage) and head is not None:
                headers = {k.decode().lower(): v.decode("latin-1") for k, v in head.headers}
                return Request(
                    head.method.decode(),
                    head.target.decode("latin-1"),
                    headers,
                    bytes(body),
                    headers.get("host", "127.0.0.1"),
                )
            else:
                return None

    async def _answer(self, conn: h11.Connection, writer: asyncio.StreamWriter, request: Request) -> bool:
        """Write the response; False when a fault closed the connection."""
        if request.path.startswith(ADMIN_PREFIX):
            await self._send(conn, writer, self._dispatch(self.admin, request))
            return True
        if self.before_request is not None:
            with self.world_lock:
                self.before_request(request)
        decision = self.faults.decide()
        latency = self.faults.faults.latency_ms
        if latency:
            await asyncio.sleep(latency / 1000)
        if decision.action is Action.DROP:
            self.log.append(LoggedRequest(request.method, request.target, 0))
            writer.transport.abort()
            return False
        if decision.action is Action.RATE_LIMIT:
            response = json_response(
                429,
                {"errors": [{"status": 429, "title": "Error", "detail": "Too Many Requests"}]},
                [("Retry-After", str(decision.retry_after_s))],
            )
        elif decision.action is Action.ERROR:
            response = json_response(decision.status, {"error": "sandbox fault", "status": decision.status})
        else:
            response = fault_bodies.before_dispatch(self.name, self.faults, request) or self._dispatch(
                self.app, request
            )
            response = fault_bodies.rewrite(self.name, self.faults, request, response)
        self.log.append(LoggedRequest(request.method, request.target, response.status))
        if decision.action is Action.TRUNCATE and len(response.body) > 1:
            head = self._head(conn, response)
            writer.write(head + response.body[: len(response.body) // 2])
            await writer.drain()
            writer.transport.abort()
            return False
        f = self.faults.faults
        if f.endless_body or f.gzip_bomb or f.slow_body:
            await self._send_hostile(conn, writer, response)
            return False
        await self._send(conn, writer, response)
        return True

    async def _send_hostile(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, response: Response
    ) -> None:
        """The answer as `endless_body`, `gzip_bomb` or `slow_body` sends it; the connection then ends."""
        f = self.faults.faults
        if f.endless_body:
            headers = [("Content-Type", JSON), ("Date", http_date(self.clock_ms()))]
            await wire_faults.endless(conn, writer, h11.Response(status_code=200, headers=headers))
            return
        if f.gzip_bomb:
            body = wire_faults.bomb(f.gzip_bomb)
            response = Response(200, body, [("Content-Type", JSON), ("Content-Encoding", "gzip")])
        head = self._head(conn, response)
        if f.slow_body:
            writer.write(head)
            await wire_faults.drip(writer, response.body, f.slow_body)
        else:
            writer.write(head + response.body)
        await writer.drain()

    def _dispatch(self, router: Router, request: Request) -> Response:
        resolved = router.resolve(request.method, request.path)
        if resolved is None:
            return json_response(404, {"error": "Not Found", "path": request.path})
        if resolved == "405":
            return json_response(405, {"error": "Method Not Allowed"})
        handler, params = resolved
        try:
            with self.world_lock:
                return handler(request, **params)
        except Exception:  # a sandbox bug must surface as a 500, not a hung client
            log.exception("%s: handler failed for %s %s", self.name, request.method, request.target)
            return json_response(500, {"error": "Internal Server Error"})

    def _head(self, conn: h11.Connection, response: Response) -> bytes:
        headers = [
            *response.headers,
            ("Content-Length", str(len(response.body))),
            ("Date", http_date(self.clock_ms())),
            ("Server", f"syncscope-sandbox/{self.name}"),
        ]
        reason = HTTPStatus(response.status).phrase.encode()
        return conn.send(h11.Response(status_code=response.status, headers=headers, reason=reason))

    async def _send(self, conn: h11.Connection, writer: asyncio.StreamWriter, response: Response) -> None:
        data = self._head(conn, response) + conn.send(h11.Data(data=response.body))
        data += conn.send(h11.EndOfMessage())
        writer.write(data)
        await writer.drain()

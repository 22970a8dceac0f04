"""Runs the three vendor servers on loopback in a background thread.

Tests use it in-process (`with Sandbox(...) as sb:`) and reach the truth through `sb.world`;
`syncscope sandbox` uses the same class in the foreground. Every server also answers the
vendor-neutral admin endpoints under `/_sandbox/` (clock, faults, request log).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping

from sandbox.anomalies import world_truth
from sandbox.clock import iso_ms
from sandbox.config import WorldConfig
from sandbox.faults import FaultInjector, Faults
from sandbox.http import HttpServer, LoggedRequest, Request, Response, Router, json_response
from sandbox.world import VENDORS, World


class Sandbox:
    def __init__(
        self,
        config: WorldConfig | None = None,
        faults: Mapping[str, Faults] | None = None,
        host: str = "127.0.0.1",
        ports: Mapping[str, int] | None = None,
    ) -> None:
        self.world = World(config)
        self.host = host
        self._ports = dict(ports or {})
        self._injectors = {v: FaultInjector((faults or {}).get(v)) for v in VENDORS}
        self.servers: dict[str, HttpServer] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> Sandbox:
        started = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(self._start_servers())
            except BaseException as exc:  # surfaced to the caller below
                errors.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()
            # Stop accepting, end the handlers of open keep-alive connections, then wait: since
            # Python 3.12.1 wait_closed() waits for every connection, idle clients included.
            for server in self.servers.values():
                server.stop_accepting()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(self._close_servers())
            loop.close()

        self._thread = threading.Thread(target=run, name="sandbox", daemon=True)
        self._thread.start()
        started.wait()
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        if self._loop and self._thread:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop = self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _start_servers(self) -> None:
        for name in VENDORS:
            vendor = self.world.vendor(name)
            admin = self._admin_router(name)
            vendor.add_admin_routes(admin)
            server = HttpServer(
                vendor.router(),
                admin,
                self._injectors[name],
                lambda: self.world.now,
                self.world.lock,
                name,
            )
            await server.start(self.host, self._ports.get(name, 0))
            self.servers[name] = server

    async def _close_servers(self) -> None:
        for server in self.servers.values():
            await server.close()

    # what a client needs ---------------------------------------------------------------------
    def url(self, vendor: str) -> str:
        return f"http://{self.host}:{self.servers[vendor].port}"

    @property
    def urls(self) -> dict[str, str]:
        return {name: self.url(name) for name in VENDORS}

    def env(self) -> dict[str, str]:
        """Every `SOURCES__...` variable that points the pipelines at this sandbox."""
        env: dict[str, str] = {}
        for name in VENDORS:
            env.update(self.world.vendor(name).env(self.url(name)))
        return env

    # control ---------------------------------------------------------------------------------
    def advance(self, seconds: float) -> int:
        return self.world.advance(seconds)

    def set_faults(self, vendor: str, faults: Faults) -> None:
        self._injectors[vendor].configure(faults)

    def before_request(self, vendor: str, hook: Callable[[Request], None] | None) -> None:
        """Call `hook` with each vendor request before it is answered (None removes it)."""
        self.servers[vendor].before_request = hook

    def requests(self, vendor: str) -> list[LoggedRequest]:
        return list(self.servers[vendor].log)

    def reset_requests(self, vendor: str | None = None) -> None:
        for name in [vendor] if vendor else VENDORS:
            self.servers[name].log.clear()

    # admin endpoints shared by every vendor server -----------------------------------------------
    def _admin_router(self, vendor: str) -> Router:
        router = Router()
        world = self.world

        def clock(_: Request) -> Response:
            return json_response(
                200,
                {
                    "now": iso_ms(world.now),
                    "now_ms": world.now,
                    "start": iso_ms(world.clock.start_ms),
                },
            )

        def advance(request: Request) -> Response:
            body = request.json() or {}
            seconds = body.get("seconds") if isinstance(body, dict) else None
            if not isinstance(seconds, int | float) or seconds < 0:
                return json_response(400, {"error": 'body must be {"seconds": <number >= 0>}'})
            world.advance(seconds)
            return clock(request)

        def get_faults(_: Request) -> Response:
            return json_response(200, self._injectors[vendor].faults.to_dict())

        def put_faults(request: Request) -> Response:
            try:
                faults = Faults.from_dict(request.json() or {})
            except (TypeError, ValueError) as exc:
                return json_response(400, {"error": str(exc)})
            self._injectors[vendor].configure(faults)
            return json_response(200, faults.to_dict())

        def get_requests(_: Request) -> Response:
            log = self.servers[vendor].log
            return json_response(
                200,
                {"requests": [{"method": r.method, "target": r.target, "status": r.status} for r in log]},
            )

        def delete_requests(_: Request) -> Response:
            self.servers[vendor].log.clear()
            return json_response(200, {"requests": []})

        def injected(_: Request) -> Response:
            return json_response(200, {"anomalies": world_truth(world, vendor)})

        router.add("GET", "/_sandbox/clock", clock)
        router.add("GET", "/_sandbox/truth/anomalies", injected)
        router.add("POST", "/_sandbox/advance", advance)
        router.add("GET", "/_sandbox/faults", get_faults)
        router.add("PUT", "/_sandbox/faults", put_faults)
        router.add("GET", "/_sandbox/requests", get_requests)
        router.add("DELETE", "/_sandbox/requests", delete_requests)
        return router

"""The lifecycle every test server shares: bound to 127.0.0.1 on a fresh port, served in a daemon
thread while its `with` block runs, shut down and closed after (loopback only, never a fixed port)."""

from __future__ import annotations

import socketserver
import threading
from http.server import ThreadingHTTPServer
from typing import Self


class LoopbackServer:
    """Base of the test servers: the subclass builds its handler and calls `serve(handler)`."""

    server: socketserver.ThreadingTCPServer

    def serve(
        self,
        handler: type[socketserver.BaseRequestHandler],
        server_class: type[socketserver.ThreadingTCPServer] = ThreadingHTTPServer,
        daemon_threads: bool = True,  # False: closing waits for the requests still being answered
    ) -> None:
        self.server = server_class(("127.0.0.1", 0), handler)
        self.server.daemon_threads = daemon_threads
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

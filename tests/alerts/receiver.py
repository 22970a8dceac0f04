"""A local HTTP receiver on loopback that records what a destination would get.

Responses are scripted per receiver: a queue of (status, headers, body, delay) answered in
order, then the default (Slack answers `ok`, PagerDuty `202 {"status": "success", ...}`).
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.loopback import LoopbackServer


@dataclass
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


PAGERDUTY_OK = Reply(202, json.dumps({"status": "success", "message": "Event processed", "dedup_key": "x"}),
                     {"Content-Type": "application/json"})  # fmt: skip


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict


class Receiver(LoopbackServer):
    def __init__(self, default: Reply | None = None) -> None:
        self.default = default or Reply()
        self.script: deque[Reply] = deque()
        self.requests: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(Received(self.path, dict(self.headers), json.loads(raw)))
                reply = receiver.script.popleft() if receiver.script else receiver.default
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                data = reply.body.encode()
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.serve(Handler)

    def bodies(self) -> list[dict]:
        return [r.body for r in self.requests]

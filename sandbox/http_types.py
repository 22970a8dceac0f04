"""The request and response a sandbox handler sees and returns (shared by the server and the fault
modules, which must not import the server)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import orjson

JSON = "application/json; charset=utf-8"


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes = b""
    host: str = "127.0.0.1"
    path: str = field(init=False)
    query: list[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self.path = parts.path
        self.query = parse_qsl(parts.query, keep_blank_values=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def param(self, name: str) -> str | None:
        value = None
        for key, val in self.query:
            if key == name:
                value = val
        return value

    def json(self) -> object:
        return orjson.loads(self.body) if self.body else None


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(status: int, payload: object, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, orjson.dumps(payload), [("Content-Type", JSON), *(headers or [])])

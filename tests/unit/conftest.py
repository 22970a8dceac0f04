"""A fake vendor behind httpx.MockTransport: every request it sees, by origin."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from sources.http import RetryPolicy, VendorClient, close_clients, set_deadline

BASE = "http://vendor.test"
VENDOR = "test"
Handler = Callable[[httpx.Request], httpx.Response]


class Fake:
    """Routes requests to `handler`; `seen` keeps every request that reached the network."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []
        self.handler: Handler = lambda request: httpx.Response(200, json={})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.seen.append(request)
        return self.handler(request)

    def client(self, base_url: str = BASE, **options: object) -> VendorClient:
        options.setdefault("retry", RetryPolicy(attempts=3, backoff_s=0.01))
        return VendorClient(VENDOR, base_url, transport=httpx.MockTransport(self), **options)  # type: ignore[arg-type]

    def hosts(self) -> set[str]:
        return {r.url.host for r in self.seen}


@pytest.fixture
def fake() -> Iterator[Fake]:
    yield Fake()
    set_deadline(VENDOR, None)
    close_clients(VENDOR)

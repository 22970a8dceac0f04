"""The origin lock: a vendor's client talks to the configured scheme, host and port, and nothing else.

A `links.next`, a redirect or a login that leads elsewhere would carry the vendor's credentials
(the Authorization header, a login body) to whoever runs that host. The check sits in the
transport, under every request the client sends (auth-flow requests included), so no code path
can forget it; the pager and the redirect handling check first only to say what led there.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from .errors import ForeignOrigin

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int | None

    def __str__(self) -> str:
        """`scheme://host[:port]`: never user-info, path or query (they may hold secrets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = DEFAULT_PORTS.get(self.scheme)
        return f"{self.scheme}://{host}" + ("" if self.port in (None, default) else f":{self.port}")


def origin_of(url: httpx.URL | str) -> Origin:
    url = httpx.URL(url) if isinstance(url, str) else url
    scheme = url.scheme.lower()
    return Origin(scheme, url.host.lower(), url.port or DEFAULT_PORTS.get(scheme))


def check_origin(vendor: str, allowed: Origin, url: httpx.URL, what: str) -> None:
    """Raise ForeignOrigin naming the vendor and the foreign origin when `url` is not `allowed`."""
    found = origin_of(url)
    if found != allowed:
        raise ForeignOrigin(vendor, f"{what} to {found} refused: not the configured origin {allowed}")


class OriginLockedTransport(httpx.BaseTransport):
    """Sends only to one origin; anything else fails before a byte leaves the machine."""

    def __init__(self, inner: httpx.BaseTransport, vendor: str, allowed: Origin) -> None:
        self.inner, self.vendor, self.allowed = inner, vendor, allowed

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        check_origin(self.vendor, self.allowed, request.url, f"{request.method} request")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()

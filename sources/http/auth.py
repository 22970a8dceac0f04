"""Credentials on requests: a fixed bearer token, or one a login renews through the client.

Both only set a header and yield the request once: httpx would read every response of a
multi-step auth flow in full (no cap, no deadline), so logging in again after a 401 is done by
the client (`VendorClient`), which posts the login to its own configured base URL, through the
origin lock, under the body cap and the deadline, like any other request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator

import httpx

# (path relative to the base URL, JSON body) -> (status, body bytes); raises what a request raises
Post = Callable[[str, bytes], tuple[int, bytes]]


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <token>` on every request; the token stays out of reprs and errors."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<redacted>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


class RenewableAuth(httpx.Auth):
    """A bearer token the client obtains and renews by logging in (see `login`).

    Subclasses implement `login(post)`; the client calls `ensure` before a request and `renew`
    after a 401 that a login may mend. Shared by worker threads: one login per expired token.
    """

    def __init__(self, token: str | None) -> None:
        self._token = token or None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<redacted>)"

    @property
    def can_login(self) -> bool:
        return False

    @property
    def token(self) -> str | None:
        return self._token

    def login(self, post: Post) -> str:
        raise NotImplementedError

    def ensure(self, post: Post) -> None:
        """Log in first when there is no token yet."""
        with self._lock:
            if self._token is None:
                self._token = self.login(post)

    def renew(self, post: Post, failed: str | None) -> bool:
        """After a 401 with token `failed`: log in again unless another thread already did."""
        if not self.can_login:
            return False
        with self._lock:
            if self._token == failed:
                self._token = self.login(post)
        return True

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token is not None:
            request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

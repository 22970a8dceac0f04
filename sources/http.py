"""The HTTP client every vendor source uses: pooled httpx, retries, counters, clean errors.

Retries (tenacity) cover what a network and a busy API do to a long crawl: connection errors,
dropped and truncated responses, 5xx and 429. A 429 or 503 with `Retry-After` waits as told;
everything else backs off exponentially with full jitter. Errors name the vendor and the
setting to fix, and never carry a header, so a token cannot leak through an exception.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import httpx
import orjson
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

log = logging.getLogger("syncscope.http")

RETRY_STATUSES = {429, 500, 502, 503, 504}


class VendorError(Exception):
    """A vendor call failed in a way retrying cannot mend; the message is one line for humans."""

    def __init__(self, vendor: str, message: str) -> None:
        super().__init__(f"{vendor}: {message}")
        self.vendor = vendor


class AuthError(VendorError):
    """401/403: the credentials are wrong, expired or lack access."""


class NotFound(VendorError):
    """404 for something that was named explicitly (a configured sync, a run)."""


class ConfigError(VendorError):
    """A setting has a value the source cannot use."""


class BadRequest(VendorError):
    """400: the vendor refused the request's form; `body` lets a source name the setting behind it."""

    def __init__(self, vendor: str, message: str, body: str) -> None:
        super().__init__(vendor, message)
        self.body = body


class RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


@dataclass
class HttpStats:
    """What the run summary reports per vendor."""

    requests: int = 0
    retries: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, status: int) -> None:
        with self._lock:
            self.requests += 1
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def retried(self) -> None:
        with self._lock:
            self.retries += 1

    def reset(self) -> None:
        with self._lock:
            self.requests = self.retries = 0
            self.statuses = {}


_STATS: dict[str, HttpStats] = {}
_CLIENTS: dict[str, list[VendorClient]] = {}


def stats_for(vendor: str) -> HttpStats:
    """The process-wide counters of one vendor, read by the run summary."""
    return _STATS.setdefault(vendor, HttpStats())


def close_clients(vendor: str) -> None:
    """Close every client a vendor's source opened: dlt gives a source no hook to do it itself."""
    for client in _CLIENTS.pop(vendor, []):
        client.close()


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries in all, the first included
    backoff_s: float = 0.5  # first backoff ceiling; doubles each retry
    max_backoff_s: float = 30.0
    max_retry_after_s: float = 300.0  # a longer Retry-After fails now instead of hanging a schedule


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, RetryableStatus):
        return True
    if isinstance(exc, httpx.LocalProtocolError):  # our own request is malformed: retrying cannot help
        return False
    return isinstance(exc, httpx.TransportError | json.JSONDecodeError)


def _retry_after(exc: BaseException | None) -> float | None:
    if isinstance(exc, RetryableStatus):
        value = exc.response.headers.get("retry-after", "")
        try:
            return max(0.0, float(value))
        except ValueError:
            return None
    return None


class VendorClient:
    """One pooled httpx client per vendor, safe to share between worker threads."""

    def __init__(
        self,
        vendor: str,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        headers: dict[str, str] | None = None,
        timeout_s: float = 30.0,
        max_connections: int = 8,
        retry: RetryPolicy | None = None,
        token_setting: str = "the credentials",
    ) -> None:
        self.vendor = vendor
        self.retry = retry or RetryPolicy()
        self.stats = stats_for(vendor)
        self.token_setting = token_setting
        _CLIENTS.setdefault(vendor, []).append(self)
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=auth,
            headers={"Accept": "application/json", "User-Agent": "syncscope", **(headers or {})},
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            event_hooks={"response": [lambda r: self.stats.count(r.status_code)]},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> VendorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_json(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        *,
        auth: httpx.Auth | None = None,
        loads: Callable[[bytes], Any] = orjson.loads,
    ) -> tuple[Any, httpx.Response]:
        """GET and parse JSON, retrying what is transient; raise VendorError for the rest.

        `auth` replaces the client's auth for this call only: a vendor with one token per
        user (Paragon) shares one pooled client between users instead of one client each.
        """
        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    response = self._http.get(
                        url, params=params, auth=httpx.USE_CLIENT_DEFAULT if auth is None else auth
                    )
                    if response.status_code in RETRY_STATUSES:
                        raise RetryableStatus(response)
                    if response.status_code >= 400:
                        self._raise_for(response)
                    return loads(response.content), response
        except RetryableStatus as exc:
            raise VendorError(
                self.vendor, f"HTTP {exc.response.status_code} from {_where(exc.response)} "
                f"after {self.retry.attempts} attempts"
            ) from None  # fmt: skip
        except httpx.LocalProtocolError:
            # e.g. a credential ending in a newline: httpx's message would quote the header.
            raise ConfigError(
                self.vendor,
                f"invalid request header: check {self.token_setting} (stray whitespace or newline?)",
            ) from None
        except httpx.TransportError as exc:
            # The type only: some transport errors quote request bytes, headers included.
            raise VendorError(
                self.vendor, f"cannot reach {self._http.base_url} ({type(exc).__name__}) "
                f"after {self.retry.attempts} attempts"
            ) from None  # fmt: skip
        except json.JSONDecodeError:
            raise VendorError(
                self.vendor, f"invalid JSON from {url} after {self.retry.attempts} attempts"
            ) from None
        raise AssertionError("unreachable")

    def _raise_for(self, response: httpx.Response) -> None:
        where = _where(response)
        if response.status_code in (401, 403):
            raise AuthError(
                self.vendor,
                f"HTTP {response.status_code} {_reason(response)} from {where}: check {self.token_setting}",
            )
        if response.status_code == 404:
            raise NotFound(self.vendor, f"HTTP 404 from {where}")
        if response.status_code == 400:
            raise BadRequest(self.vendor, f"HTTP 400 from {where}: {_snippet(response)}", response.text)
        raise VendorError(self.vendor, f"HTTP {response.status_code} from {where}: {_snippet(response)}")

    def _wait(self, state: RetryCallState) -> float:
        told = _retry_after(state.outcome.exception() if state.outcome else None)
        if told is not None:
            if told > self.retry.max_retry_after_s:
                raise VendorError(self.vendor, f"asked to wait {told:.0f}s (Retry-After); giving up")
            return told + random.uniform(0, 0.1)
        ceiling = min(self.retry.max_backoff_s, self.retry.backoff_s * 2 ** (state.attempt_number - 1))
        return random.uniform(0, ceiling)

    def _before_sleep(self, state: RetryCallState) -> None:
        self.stats.retried()
        exc = state.outcome.exception() if state.outcome else None
        log.info(
            "%s: retry %d after %s", self.vendor, state.attempt_number, type(exc).__name__ if exc else "?"
        )


def _where(response: httpx.Response) -> str:
    """The request path without query or credentials, for error messages."""
    return response.request.url.path


def _reason(response: httpx.Response) -> str:
    try:
        return response.reason_phrase or HTTPStatus(response.status_code).phrase
    except ValueError:
        return ""


def _snippet(response: httpx.Response) -> str:
    text = response.text.replace("\n", " ")
    return text[:200]

"""The HTTP client every vendor source uses: one origin, bounded bodies and time, shared rate limit.

Retries cover what a network and a busy API do to a long crawl: connection errors, dropped,
truncated or stalled responses, 5xx. A 429 is not a failure but the vendor's budget: it makes
every worker of the vendor wait (see ratelimit.py) and costs time (up to `rate_limit_wait_s`
per request, and never past the run's deadline), not one of the `attempts`. Errors name the
vendor and the setting to fix, and never carry a header, so a token cannot leak through one.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import httpx
import orjson

from .auth import RenewableAuth
from .body import ACCEPT_ENCODING, DEFAULT_MAX_BODY_BYTES, read_body
from .deadline import run_deadline
from .errors import (
    AuthError,
    BadBody,
    BadRequest,
    BodyTooLarge,
    ConfigError,
    DeadlineExceeded,
    NotFound,
    RequestTimedOut,
    RetryableStatus,
    VendorError,
)
from .origin import OriginLockedTransport, check_origin, origin_of
from .ratelimit import gate_for
from .retry import RETRY_STATUSES, RetryPolicy, backoff, told_to_wait
from .stats import register_client, stats_for

log = logging.getLogger("syncscope.http")

MAX_REDIRECTS = 5
DEFAULT_MAX_PAGES = 100_000
RUN_DEADLINE = "run deadline passed (syncscope run --timeout); stopped"
_FAILURES = (httpx.TransportError, json.JSONDecodeError, RequestTimedOut, BadBody, RetryableStatus)


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
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_pages: int = DEFAULT_MAX_PAGES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.vendor = vendor
        self.retry = retry or RetryPolicy()
        self.stats = stats_for(vendor)
        self.gate = gate_for(vendor)
        self.token_setting = token_setting
        self.timeout_s = timeout_s
        self.max_body_bytes = max_body_bytes
        self.max_pages = max_pages
        self.auth = auth
        self.origin = origin_of(base_url)
        register_client(vendor, self)
        inner = transport or httpx.HTTPTransport(
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        )
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={
                "Accept": "application/json",
                "Accept-Encoding": ACCEPT_ENCODING,
                "User-Agent": "syncscope",
                **(headers or {}),
            },
            transport=OriginLockedTransport(inner, vendor, self.origin),
            event_hooks={"response": [lambda r: self.stats.count(r.status_code)]},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> VendorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, url: str, params: dict[str, Any] | None = None) -> httpx.URL:
        """The absolute URL a GET of `url` with `params` asks for (relative to the base URL)."""
        return self._http.build_request("GET", url, params=params).url

    def check_link(self, url: httpx.URL, what: str) -> None:
        check_origin(self.vendor, self.origin, url, what)

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
        `loads` parses the body (AI Squared's records need integers beyond 64 bits kept).
        """
        auth = self.auth if auth is None else auth
        failures, limited, limited_s = 0, 0, 0.0
        while True:
            self.gate.wait_turn(run_deadline(self.vendor))
            try:
                result = self._attempt(url, params, auth, loads)
            except httpx.LocalProtocolError:
                # e.g. a credential ending in a newline: httpx's message would quote the header.
                raise ConfigError(
                    self.vendor,
                    f"invalid request header: check {self.token_setting} (stray whitespace or newline?)",
                ) from None
            except _FAILURES as exc:
                if isinstance(exc, RetryableStatus) and exc.response.status_code == 429:
                    limited += 1
                    wait = self._told_to_wait(exc) or self._backoff(limited)
                    limited_s += wait
                    if limited_s > self.retry.rate_limit_wait_s:
                        raise VendorError(
                            self.vendor,
                            f"still rate limited (HTTP 429) on {_where(exc.response)} after waiting "
                            f"{self.retry.rate_limit_wait_s:.0f}s",
                        ) from None
                    self.gate.limited(wait)
                    self._note_retry(exc, failures)
                    continue
                failures += 1
                if failures >= self.retry.attempts:
                    raise self._final(exc, url) from None
                self._note_retry(exc, failures)
                self._sleep(self._told_to_wait(exc) or self._backoff(failures))
                continue
            self.gate.passed()
            return result

    # one attempt --------------------------------------------------------------------------------
    def _attempt(
        self, url: str, params: dict[str, Any] | None, auth: httpx.Auth | None, loads: Callable[[bytes], Any]
    ) -> tuple:
        deadline = self._deadline()
        used = None
        if isinstance(auth, RenewableAuth):
            auth.ensure(self._post)
            used = auth.token
        response = self._send("GET", url, params, auth, deadline)
        try:
            if (
                response.status_code == 401
                and isinstance(auth, RenewableAuth)
                and auth.renew(self._post, used)
            ):
                response.close()
                response = self._send("GET", url, params, auth, deadline)
            if response.status_code in RETRY_STATUSES:
                raise RetryableStatus(response)
            if response.status_code >= 400:
                self._raise_for(response, deadline)
            body = read_body(response, self.vendor, self.max_body_bytes, deadline)
            return loads(body), response
        finally:
            response.close()

    def _post(self, path: str, content: bytes) -> tuple[int, bytes]:
        """POST JSON to `path` under the configured base URL (a login): its status and body."""
        deadline = self._deadline()
        headers = {"Content-Type": "application/json"}
        response = self._send("POST", path, None, None, deadline, content=content, headers=headers)
        try:
            if response.status_code in RETRY_STATUSES:  # busy, not refused: the request is retried
                raise RetryableStatus(response)
            return response.status_code, read_body(response, self.vendor, self.max_body_bytes, deadline)
        finally:
            response.close()

    def _send(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        auth: httpx.Auth | None,
        deadline: float,
        **extra: Any,
    ) -> httpx.Response:
        """The response (headers read, body not), after following same-origin redirects only."""
        for _ in range(MAX_REDIRECTS + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                raise RequestTimedOut()
            request = self._http.build_request(
                method, url, params=params, timeout=httpx.Timeout(left), **extra
            )  # fmt: skip
            response = self._http.send(request, auth=auth, stream=True)
            location = response.headers.get("location")
            if not (response.is_redirect and location):
                return response
            response.close()
            target = request.url.join(location)
            self.check_link(target, "redirect")
            url, params = str(target), None
        raise VendorError(self.vendor, f"more than {MAX_REDIRECTS} redirects from {request.url.path}")

    def _raise_for(self, response: httpx.Response, deadline: float) -> None:
        where = _where(response)
        if response.status_code in (401, 403):
            raise AuthError(
                self.vendor,
                f"HTTP {response.status_code} {_reason(response)} from {where}: check {self.token_setting}",
            )
        if response.status_code == 404:
            raise NotFound(self.vendor, f"HTTP 404 from {where}")
        try:
            snippet = read_body(response, self.vendor, 64 * 1024, deadline)
        except (BodyTooLarge, *_FAILURES):
            snippet = b""
        full = snippet.decode("utf-8", "replace")
        text = full.replace("\n", " ").replace("\r", " ")[:200]
        if response.status_code == 400:
            raise BadRequest(self.vendor, f"HTTP 400 from {where}: {text}", full)
        raise VendorError(self.vendor, f"HTTP {response.status_code} from {where}: {text}")

    # time ---------------------------------------------------------------------------------------
    def _deadline(self) -> float:
        """This request's deadline: timeout_seconds from now, or the run's deadline if sooner."""
        now = time.monotonic()
        run = run_deadline(self.vendor)
        if run is not None and now >= run:
            raise DeadlineExceeded(self.vendor, RUN_DEADLINE)
        return min(now + self.timeout_s, run) if run is not None else now + self.timeout_s

    def _sleep(self, seconds: float) -> None:
        run = run_deadline(self.vendor)
        if run is not None and time.monotonic() + seconds >= run:
            raise DeadlineExceeded(self.vendor, RUN_DEADLINE)
        time.sleep(seconds)

    def _told_to_wait(self, exc: BaseException) -> float | None:
        return told_to_wait(exc, self.retry, self.vendor)

    def _backoff(self, failures: int) -> float:
        return backoff(self.retry, failures)

    def _note_retry(self, exc: BaseException, failures: int) -> None:
        self.stats.retried()
        log.info("%s: retry after %s (%d failed attempts)", self.vendor, type(exc).__name__, failures)

    def _final(self, exc: BaseException, url: str) -> VendorError:
        n = f"after {self.retry.attempts} attempts"
        run = run_deadline(self.vendor)
        if run is not None and time.monotonic() >= run:
            return DeadlineExceeded(self.vendor, RUN_DEADLINE)
        if isinstance(exc, RetryableStatus):
            status = exc.response.status_code
            return VendorError(self.vendor, f"HTTP {status} from {_where(exc.response)} {n}")
        path = httpx.URL(url).path
        if isinstance(exc, RequestTimedOut):
            return VendorError(
                self.vendor,
                f"no complete answer from {path} within {self.timeout_s:g}s "
                f"(sources.{self.vendor}.timeout_seconds) {n}",
            )
        if isinstance(exc, BadBody):
            return VendorError(self.vendor, f"{exc} from {path} {n}")
        if isinstance(exc, orjson.JSONDecodeError):
            return VendorError(self.vendor, f"invalid JSON from {path} {n}")
        # The type only: some transport errors quote request bytes, headers included.
        return VendorError(self.vendor, f"cannot reach {self.origin} ({type(exc).__name__}) {n}")


def _where(response: httpx.Response) -> str:
    """The request path without query or credentials, for error messages."""
    return response.request.url.path


def _reason(response: httpx.Response) -> str:
    try:
        return response.reason_phrase or HTTPStatus(response.status_code).phrase
    except ValueError:
        return ""

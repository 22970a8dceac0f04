"""Bearer auth for AI Squared: a configured token, or email + password through POST /login.

Login tokens expire after 30 minutes, so a long crawl meets a 401 mid-way: the flow logs in
again once and replays the request; a second 401 is a real credentials problem.
"""

from __future__ import annotations

import threading
from collections.abc import Generator

import httpx
import orjson

from sources.http import RETRY_STATUSES, AuthError, RetryableStatus

VENDOR = "ai_squared"
LOGIN_PATH = "/api/v1/login"


class AiSquaredAuth(httpx.Auth):
    requires_response_body = True

    def __init__(self, token: str | None, email: str | None, password: str | None) -> None:
        if not token and not (email and password):
            raise AuthError(
                VENDOR, "no credentials: set sources.ai_squared.api_token (or login_email + login_password)"
            )
        self._token = token or None
        self._email, self._password = email, password
        self._lock = threading.Lock()

    @property
    def can_login(self) -> bool:
        return bool(self._email and self._password)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        with self._lock:
            token = self._token
        if token is None:
            token = self._store((yield self._login_request(request)))
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401 and self.can_login:
            with self._lock:
                current = self._token
            if current == token:  # nobody has logged in again since this token failed
                current = self._store((yield self._login_request(request)))
            request.headers["Authorization"] = f"Bearer {current}"
            yield request

    def _login_request(self, request: httpx.Request) -> httpx.Request:
        url = request.url.copy_with(path=LOGIN_PATH, query=None)
        body = orjson.dumps({"email": self._email, "password": self._password})
        return httpx.Request("POST", url, content=body, headers={"Content-Type": "application/json"})

    def _store(self, response: httpx.Response) -> str:
        if response.status_code in RETRY_STATUSES:  # busy, not refused: the client retries it
            raise RetryableStatus(response)
        if response.status_code != 200:
            raise AuthError(
                VENDOR,
                f"login failed (HTTP {response.status_code}): check sources.ai_squared.login_email "
                "and sources.ai_squared.login_password",
            )
        try:
            token = orjson.loads(response.content)["data"]["attributes"]["token"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise AuthError(VENDOR, "login answered without a token") from None
        with self._lock:
            self._token = token
        return token

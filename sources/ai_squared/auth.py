"""Bearer auth for AI Squared: a configured token, or email + password through POST /login.

Login tokens expire after 30 minutes, so a long crawl meets a 401 mid-way: the client logs in
again once and replays the request; a second 401 is a real credentials problem. The login goes
through the client (`VendorClient`): only ever to the configured base URL, under its origin
lock, body cap and deadline; never to a host that merely answered 401.
"""

from __future__ import annotations

import orjson

from sources.http import AuthError, RenewableAuth
from sources.http.auth import Post

VENDOR = "ai_squared"
LOGIN_PATH = "/api/v1/login"  # under the configured base URL


class AiSquaredAuth(RenewableAuth):
    def __init__(self, token: str | None, email: str | None, password: str | None) -> None:
        if not token and not (email and password):
            raise AuthError(
                VENDOR, "no credentials: set sources.ai_squared.api_token (or login_email + login_password)"
            )
        super().__init__(token)
        self._email, self._password = email, password

    @property
    def can_login(self) -> bool:
        return bool(self._email and self._password)

    def login(self, post: Post) -> str:
        status, body = post(LOGIN_PATH, orjson.dumps({"email": self._email, "password": self._password}))
        if status != 200:
            raise AuthError(
                VENDOR,
                f"login failed (HTTP {status}): check sources.ai_squared.login_email "
                "and sources.ai_squared.login_password",
            )
        try:
            token = orjson.loads(body)["data"]["attributes"]["token"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise AuthError(VENDOR, "login answered without a token") from None
        if not isinstance(token, str) or not token:
            raise AuthError(VENDOR, "login answered without a token")
        return token

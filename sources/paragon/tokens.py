"""Paragon User Tokens: one JWT per connected user, read from the setting and applied per request.

Paragon scopes every call to the user a token was minted for, so watching many users means one
token each. The tokens share one pooled HTTP client and travel only in the Authorization header
of their own requests: no repr, error or row ever carries one. A token's user id is its `sub`
claim, read without verifying the signature (only Paragon holds the signing key, and the id is
a label for rows, not a trust decision).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

import orjson

from sources.http import AuthError, BearerAuth, ConfigError
from sources.toolkit import json_list

VENDOR = "paragon"
SETTING = "sources.paragon.user_tokens"
_SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class UserToken:
    """A configured token: its position in the setting (what an operator fixes) and its user."""

    index: int
    user_id: str | None
    auth: BearerAuth = field(repr=False, compare=False)

    @property
    def label(self) -> str:
        """How messages name the token: the setting with its index, and the user if known."""
        user = f" (user {self.user_id})" if self.user_id else ""
        return f"{SETTING}[{self.index}]{user}"


def parse_tokens(value: object) -> list[UserToken]:
    """The configured tokens; AuthError when there are none, so the runner skips Paragon.

    Accepts a list (TOML), a JSON list in a string (environment variables), or tokens separated
    by commas or whitespace. Errors never echo the value: it is a secret.
    """
    raw = _as_list(value)
    tokens = [t.strip() for t in raw if isinstance(t, str) and t.strip()]
    if len(tokens) != len(raw):
        raise ConfigError(VENDOR, f"{SETTING} must hold only non-empty strings")
    if not tokens:
        raise AuthError(VENDOR, f"no credentials: set {SETTING}")
    return [UserToken(i, token_subject(t), BearerAuth(t)) for i, t in enumerate(tokens)]


def _as_list(value: object) -> list:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    if not isinstance(value, str):
        raise ConfigError(VENDOR, f"{SETTING} must be a list of tokens")
    text = value.strip()
    if not text.startswith("["):
        return [t for t in _SEPARATORS.split(text) if t]
    parsed = json_list(text)
    if parsed is None:
        raise ConfigError(VENDOR, f'{SETTING} is not a valid JSON list (e.g. ["t1","t2"])')
    return parsed


def token_subject(token: str) -> str | None:
    """The `sub` claim of a JWT, unverified; None when the token is not a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = orjson.loads(payload)
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        return None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return str(sub) if isinstance(sub, str | int) and str(sub) else None

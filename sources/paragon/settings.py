"""Paragon's settings (`sources.paragon.*`): the one place they are declared (sources/settings.py says
what is derived from them)."""

from __future__ import annotations

from dlt.common.typing import TSecretValue

from sources.http import VendorClient
from sources.settings import VendorSettings, api_root, attempts, concurrency, credential, setting, timeout

from .tokens import SETTING, VENDOR, UserToken, parse_tokens


class ParagonSettings(VendorSettings, vendor=VENDOR):
    base_url: str = api_root("https://sync.useparagon.com")
    user_tokens: TSecretValue | None = credential(
        "one Paragon User Token (JWT) per connected user: a TOML list, or a JSON list in a string "
        '(`SOURCES__PARAGON__USER_TOKENS=\'["t1","t2"]\'`); without tokens Paragon is skipped',
        example="[]",
    )
    sync_ids: list[str] | None = setting(
        None, "only these syncs", pinned=False, example='["..."]', shown_default="all"
    )
    http_concurrency: int = concurrency("status reads in flight at once (and pooled connections)")
    timeout_seconds: float = timeout("per request, the whole answer")
    max_attempts: int = attempts("tries for 5xx, dropped, truncated or stalled responses")

    def users(self) -> list[UserToken]:
        """The configured tokens, one per user; AuthError when none (the runner skips Paragon)."""
        return parse_tokens(self.user_tokens)

    def client(self) -> VendorClient:
        """The HTTP client these settings describe (each user's token goes on its own requests)."""
        return self.http_client(SETTING)


SETTINGS = ParagonSettings

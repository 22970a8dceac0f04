"""Timbal's settings (`sources.timbal.*`): the one place they are declared (sources/settings.py says
what is derived from them)."""

from __future__ import annotations

import dlt
from dlt.common.typing import TSecretStrValue

from sources.http import AuthError, BearerAuth, ConfigError, VendorClient
from sources.settings import VendorSettings, api_root, attempts, concurrency, credential, setting, timeout

from .api import VENDOR


class TimbalSettings(VendorSettings, vendor=VENDOR):
    base_url: str = api_root("https://api.timbal.ai")
    org_id: str = setting(
        dlt.config.value, "the org whose syncs are read", required=True, example='"org_..."'
    )
    api_key: TSecretStrValue | None = credential("API key; without one Timbal is skipped")
    connector_ids: list[str] | None = setting(
        None, "only syncs of these connectors (one list call each)", pinned=False,
        example='["conn_..."]', shown_default="all",
    )  # fmt: skip
    http_concurrency: int = concurrency("detail requests in flight at once (and the connection pool size)")
    timeout_seconds: float = timeout("per request, the whole answer")
    max_attempts: int = attempts("tries for 5xx, dropped, truncated or stalled responses")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.api_key:
            raise AuthError(VENDOR, f"no credentials: set {self.key('api_key')}")
        if self.connector_ids is not None and not self.connector_ids:
            raise ConfigError(
                VENDOR, "connector_ids is empty: name at least one connector, or unset it for all"
            )

    def client(self) -> VendorClient:
        """The HTTP client these settings describe."""
        return self.http_client(self.key("api_key"), auth=BearerAuth(self.api_key))


SETTINGS = TimbalSettings

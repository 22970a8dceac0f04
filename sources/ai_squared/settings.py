"""AI Squared's settings (`sources.ai_squared.*`): the one place they are declared (sources/settings.py says
what is derived from them)."""

from __future__ import annotations

from dlt.common.typing import TSecretStrValue

from sources.http import VendorClient
from sources.settings import (
    Knob,
    VendorSettings,
    api_root,
    attempts,
    concurrency,
    credential,
    setting,
    timeout,
)

from .auth import VENDOR, AiSquaredAuth

RECORD_MODES = ("failed", "all", "none")


class AiSquaredSettings(VendorSettings, vendor=VENDOR):
    base_url: str = api_root("https://api.squared.ai")
    api_token: TSecretStrValue | None = credential(
        "bearer JWT; or leave it out and set `login_email` + `login_password` (secret) to log in "
        "with `POST /api/v1/login`, again on a 401"
    )
    login_email: str | None = setting(
        None, "with `login_password`, logs in instead of a token", in_secrets_file=True, example='""'
    )
    login_password: TSecretStrValue | None = credential("the password of `login_email`")
    workspace_id: str | None = setting(
        None, "sent as `Workspace-Id`; a missing or foreign one is the server's 400 \"Workspace not found\", "
        "reported as a setting error naming this key (exit 2)", example='"7"',
    )  # fmt: skip
    sync_ids: list[int] | None = setting(
        None, "only these syncs, e.g. `[12, 14]`; a missing one is a warning", pinned=False,
        example="[12, 14]", shown_default="all",
    )  # fmt: skip
    records_mode: str = setting(
        "failed", "`failed` (what monitoring needs), `all`, or `none`", pinned=False, choices=RECORD_MODES
    )
    runs_per_page: int = setting(500, "runs per page (the API enforces no maximum)", check=Knob(int, 1))
    records_per_page: int = setting(
        1000, "records per page (a worker parses a page whole: page size x http_concurrency bounds memory)",
        check=Knob(int, 1),
    )  # fmt: skip
    http_concurrency: int = concurrency("requests in flight")
    lookback_seconds: int = setting(
        900, "how far behind its cursor a load re-reads, for runs updated while the previous load was paging",
        check=Knob(int, 0),
    )  # fmt: skip
    timeout_seconds: float = timeout(
        "per request, the whole answer (a body still arriving then is a failure)"
    )
    max_attempts: int = attempts(
        'tries for 5xx, dropped, truncated or stalled responses (429s wait instead, see "Hostile vendors")'
    )

    @property
    def lookback_ms(self) -> int:
        return self.lookback_seconds * 1000

    def client(self) -> VendorClient:
        """The HTTP client these settings describe; AuthError when no credentials are set."""
        return self.http_client(
            f"{self.key('api_token')} (or login_email + login_password)",
            auth=AiSquaredAuth(self.api_token, self.login_email, self.login_password),
            headers={"Workspace-Id": str(self.workspace_id)} if self.workspace_id else {},
        )


SETTINGS = AiSquaredSettings

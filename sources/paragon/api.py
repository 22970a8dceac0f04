"""Paragon's two Sync API calls, each answered with the vendor's own clock reading.

Every answer's `Date` header is the poll time: backoffs and "first seen" times then run on the
vendor's clock (the sandbox's world clock in tests), not on a local clock that may drift or, in
the sandbox, sit days away. The local clock is only the fallback for an answer without `Date`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import quote

import httpx

from sources import exact_json
from sources.http import AuthError, VendorClient
from sources.toolkit import poll_time

from .tokens import VENDOR, UserToken

SYNCS = "/api/syncs"
log = logging.getLogger("syncscope.paragon")


class ParagonApi:
    """Calls made as one connected user; a 401 names the token's index, never the token."""

    def __init__(self, client: VendorClient) -> None:
        self.client = client

    def list_syncs(self, user: UserToken) -> tuple[list[dict], datetime]:
        """The user's syncs (no pagination is documented) and the poll time."""
        body, response = self._get(user, SYNCS)
        items = body.get("data") if isinstance(body, dict) else None
        listed = [i for i in items or [] if isinstance(i, dict)]
        # An empty id is text like any other, but `GET /api/syncs/` is the list: it cannot be read.
        blank = sum(1 for i in listed if i.get("id") in (None, ""))
        if blank:
            log.warning(
                "paragon: %d sync(s) listed without an id for %s cannot be read; skipped", blank, user.label
            )
        return [i for i in listed if i.get("id") not in (None, "")], poll_time(response)

    def sync_status(self, user: UserToken, sync_id: str) -> tuple[dict, datetime]:
        """One SyncStatus and the poll time; NotFound when the sync is gone."""
        body, response = self._get(user, f"{SYNCS}/{quote(str(sync_id), safe='')}")
        return body, poll_time(response)

    def _get(self, user: UserToken, url: str) -> tuple[dict, httpx.Response]:
        try:
            return self.client.get_json(url, auth=user.auth, loads=exact_json.loads)
        except AuthError as exc:
            # VendorClient says "...: check sources.paragon.user_tokens"; say which token.
            message = str(exc).removeprefix(f"{VENDOR}: ")
            raise AuthError(VENDOR, f"{message.rsplit(': check ', 1)[0]}: check {user.label}") from None

"""Timbal's two endpoints: the org's sync list and one sync's detail, each with its poll time.

The poll time is the response's HTTP `Date` header: the vendor's clock, not ours, so snapshots
and version boundaries line up with the times inside the payload (`seconds_since_success` is
computed at that instant) even when the poller's clock drifts; it falls back to the local clock
when the header is missing or unreadable.

The list response is undocumented (sandbox/specs/VENDORS.md, unconfirmed): `{"syncs": [...]}` is
what we expect, and a bare list, `data`/`items` envelopes and `next`/`links.next` page links are
accepted too, so a different real shape does not break a load.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sources import exact_json
from sources.http import PageLinks, VendorClient, paginate
from sources.toolkit import poll_time

VENDOR = "timbal"
LIST_KEYS = ("syncs", "data", "items")


def _segment(value: str) -> str:
    return quote(str(value), safe="")


def _items(body: Any) -> list[dict]:
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in LIST_KEYS:
            if isinstance(body.get(key), list):
                return body[key]
    return []


def _next_link(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    links = body.get("links")
    link = links.get("next") if isinstance(links, dict) else body.get("next")
    return link if isinstance(link, str) and link else None


LISTING = PageLinks(items=_items, next=_next_link)
__all__ = ["VENDOR", "TimbalApi"]


class TimbalApi:
    def __init__(self, client: VendorClient, org_id: str) -> None:
        self.client = client
        self.org_id = org_id

    def list_syncs(self, connector_id: str | None = None) -> tuple[list[dict], datetime]:
        """SyncViews of the org (or of one connector) and the time of the first response."""
        url = f"/orgs/{_segment(self.org_id)}/connectors/syncs"
        params: dict[str, Any] | None = {"connector_id": connector_id} if connector_id else None
        syncs: list[dict] = []
        polled_at: datetime | None = None
        # The shared pager: links on the configured origin only, no loops, a page bound.
        for page in paginate(self.client, url, params, links=LISTING, loads=exact_json.loads):
            polled_at = polled_at or poll_time(page.response)
            syncs.extend(s for s in page.items if isinstance(s, dict) and "id" in s)
        return syncs, polled_at or datetime.now(UTC)

    def detail(self, sync: dict) -> tuple[dict, datetime]:
        """SyncDetailRes of one listed sync and when it was answered; NotFound if it is gone."""
        url = (
            f"/orgs/{_segment(self.org_id)}/connectors/{_segment(sync['connector_id'])}"
            f"/syncs/{_segment(sync['id'])}"
        )
        body, response = self.client.get_json(url, loads=exact_json.loads)
        return body, poll_time(response)

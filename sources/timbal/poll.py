"""One poll of a Timbal org: list the syncs once, then fetch each one's detail, in parallel.

The three resources read the same poll, so a load costs one list call (one per configured
connector) plus one detail per sync, whatever the number of tables. Details are held in memory
until the load ends: a few KB per sync, small even for thousands of syncs.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from sources.concurrency import map_completed
from sources.http import NotFound

from .api import VENDOR, TimbalApi

log = logging.getLogger("syncscope.timbal")


@dataclass(frozen=True)
class Listing:
    syncs: list[dict]  # SyncViews, each sync once, in list order
    polled_at: datetime  # the first list response's Date


@dataclass(frozen=True)
class Detail:
    sync_id: str  # as listed
    view: dict  # the detail's SyncView (fresher than the list's)
    stats: dict
    recent_runs: list[dict]
    polled_at: datetime  # this detail response's Date


class Poll:
    def __init__(self, api: TimbalApi, connector_ids: list[str] | None, http_concurrency: int) -> None:
        self.api = api
        self.connector_ids = connector_ids
        self.http_concurrency = http_concurrency
        self._listing: Listing | None = None
        self._details: list[Detail] | None = None
        self._lock = threading.Lock()

    @property
    def narrowed(self) -> bool:
        return self.connector_ids is not None

    def listing(self) -> Listing:
        with self._lock:
            if self._listing is None:
                self._listing = self._list()
            return self._listing

    def details(self) -> list[Detail]:
        """Every listed sync's detail, in list order; a sync gone since listing (404) is skipped."""
        listing = self.listing()
        with self._lock:
            if self._details is None:
                self._details = self._fetch(listing.syncs)
            return self._details

    def _list(self) -> Listing:
        if self.connector_ids is None:
            syncs, polled_at = self.api.list_syncs()
            return Listing(_unique(syncs), polled_at)
        syncs: list[dict] = []
        times: list[datetime] = []
        for connector_id in self.connector_ids:
            found, polled_at = self.api.list_syncs(connector_id)
            if not found:
                log.warning(
                    "%s: connector %s (from sources.timbal.connector_ids) lists no syncs",
                    VENDOR,
                    connector_id,
                )
            # a server ignoring the filter must not pull in other connectors' syncs
            syncs.extend(s for s in found if s.get("connector_id") == connector_id)
            times.append(polled_at)
        return Listing(_unique(syncs), min(times))

    def _fetch(self, syncs: list[dict]) -> list[Detail]:
        by_id: dict[str, Detail] = {}
        jobs = map_completed(self.api.detail, syncs, self.http_concurrency, name="timbal_detail")
        for sync, future in jobs:
            try:
                body, polled_at = future.result()
            except NotFound:
                log.warning(
                    "%s: sync %s of connector %s not found (HTTP 404; deleted since it was listed?); skipped",
                    VENDOR,
                    sync["id"],
                    sync["connector_id"],
                )
                continue
            view = body.get("sync") or sync
            by_id[sync["id"]] = Detail(
                sync["id"], view, body.get("stats") or {}, body.get("recent_runs") or [], polled_at
            )
        return [by_id[s["id"]] for s in syncs if s["id"] in by_id]


def _unique(syncs: list[dict]) -> list[dict]:
    """Each sync once (a paginated list can repeat a row across pages), first seen wins."""
    seen: dict[str, dict] = {}
    for sync in syncs:
        seen.setdefault(str(sync["id"]), {**sync, "id": str(sync["id"])})
    return list(seen.values())

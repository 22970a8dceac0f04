"""One poll of a Timbal org: list the syncs once, then fetch each one's detail, in parallel.

The three resources read the same poll, so a load costs one list call (one per configured
connector) plus one detail per sync, whatever the number of tables. Details are held in memory
until the load ends: a few KB per sync, small even for thousands of syncs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sources.concurrency import map_completed
from sources.http import NotFound
from sources.toolkit import Once
from sources.validate import RowError, accept, require, sink_for
from sources.where import where

from .api import VENDOR, TimbalApi
from .tables import RUN_SHAPE, STATS_SHAPE, VIEW_SHAPE

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
        self._listing = Once(self._list)
        self._details = Once(lambda: self._fetch(self.listing().syncs))

    @property
    def narrowed(self) -> bool:
        return self.connector_ids is not None

    def listing(self) -> Listing:
        return self._listing.get()

    def details(self) -> list[Detail]:
        """Every listed sync's detail, in list order; a sync gone since listing (404) is skipped."""
        return self._details.get()

    def _list(self) -> Listing:
        if self.connector_ids is None:
            syncs, polled_at = self.api.list_syncs()
            return Listing(_unique(require(VENDOR, VIEW_SHAPE, syncs, "sync list")), polled_at)
        syncs: list[dict] = []
        times: list[datetime] = []
        for connector_id in self.connector_ids:
            found, polled_at = self.api.list_syncs(connector_id)
            found = require(VENDOR, VIEW_SHAPE, found, "sync list")
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
                with where(sync=sync["id"]):
                    body, polled_at = future.result()
            except NotFound:
                log.warning(
                    "%s: sync %s of connector %s not found (HTTP 404; deleted since it was listed?); skipped",
                    VENDOR,
                    sync["id"],
                    sync["connector_id"],
                )
                continue
            with where(sync=sync["id"]):
                detail = _checked(sync, body, polled_at)
            if detail is not None:
                by_id[sync["id"]] = detail
        return [by_id[s["id"]] for s in syncs if s["id"] in by_id]


def _checked(sync: dict, body: object, polled_at: datetime) -> Detail | None:
    """The detail with every field coerced; None (the sync is left as it was, set aside in
    raw_timbal._rejected) when its view or stats cannot be used; a bad run is set aside alone."""
    context = {"sync_id": sync["id"], "connector_id": sync.get("connector_id")}
    if not isinstance(body, dict):
        sink_for(VENDOR).add(VIEW_SHAPE, body, RowError("(detail)", "expected an object"), **context)
        return None
    view = accept(VENDOR, VIEW_SHAPE, [body.get("sync") or sync], **context)
    stats = accept(VENDOR, STATS_SHAPE, [body.get("stats") or {}], **context)
    if not view or not stats:
        return None
    runs = body.get("recent_runs") or []
    runs = accept(VENDOR, RUN_SHAPE, runs if isinstance(runs, list) else [runs], **context)
    return Detail(sync["id"], view[0], stats[0], runs, polled_at)


def _unique(syncs: list[dict]) -> list[dict]:
    """Each sync once (a paginated list can repeat a row across pages), first seen wins."""
    seen: dict[str, dict] = {}
    for sync in syncs:
        seen.setdefault(str(sync["id"]), {**sync, "id": str(sync["id"])})
    return list(seen.values())

"""The workspace's syncs as they really are, once per load, shared by the resources that need them.

One paged listing is not the truth about which syncs exist: the list is ordered by `updated_at`
desc, so a sync edited while it is being paged moves to page 1 and is missed (and another can be
shown twice), and a listing can come back empty by a vendor hiccup (VENDORS.md, verified). So a
sync known from an earlier load but missing from this listing is asked for by id: it is deleted
only when `GET /syncs/{id}` answers 404, and otherwise loaded as if it had been listed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sources.toolkit import Once, iso_ms, short_hash

from .api import AiSquaredApi

log = logging.getLogger("syncscope.ai_squared")


def digest(sync: dict) -> str:
    """A sync's content, nested connectors included: a renamed connector does not touch the
    sync's `updated_at`, so that cannot tell a changed sync."""
    return short_hash(sync, 16)


def newest_per_id(syncs: Iterable[dict]) -> list[dict]:
    """One row per sync id (a listing paged during an edit can show a sync twice): the newest."""
    out: dict[int, dict] = {}
    for sync in syncs:
        old = out.get(sync["id"])
        if old is None or iso_ms(old["updated_at"]) <= iso_ms(sync["updated_at"]):
            out[sync["id"]] = sync
    return list(out.values())


class Listing:
    """`syncs()`: every sync to load; `gone()`: known syncs the server answered 404 for."""

    def __init__(
        self, api: AiSquaredApi, sync_ids: list[int] | None, known: Callable[[], Iterable[int]]
    ) -> None:
        self.api, self.sync_ids, self._known = api, sync_ids, known
        self._syncs = Once(self._list)
        self._gone: list[int] = []

    def syncs(self) -> list[dict]:
        return self._syncs.get()

    def gone(self) -> list[int]:
        self.syncs()
        return self._gone

    def _list(self) -> list[dict]:
        listed = newest_per_id(self.api.syncs())
        if self.sync_ids is not None:
            wanted = set(self.sync_ids)
            listed = [s for s in listed if s["id"] in wanted]
            expected, setting = wanted, "from sources.ai_squared.sync_ids"
        else:
            expected, setting = set(self._known()), "loaded before"
        for sync_id in sorted(expected - {s["id"] for s in listed}):
            sync = self.api.sync(sync_id)
            if sync is not None:
                listed.append(sync)  # missed by a listing that moved under us, not deleted
            elif self.sync_ids is not None:
                log.warning("ai_squared: sync %s (%s) not found; skipped", sync_id, setting)
            else:
                self._gone.append(sync_id)
        return listed

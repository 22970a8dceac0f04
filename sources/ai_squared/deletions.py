"""Which syncs were deleted: the ones `GET /syncs/{id}` answers 404 for.

AI Squared has no deletion feed, and a deleted sync simply stops being listed; its rows in
`syncs` would otherwise stay and go stale forever. Missing from a listing is not proof (the list
moves while it is paged, VENDORS.md): only a 404 for the sync itself is (listing.py asks). A sync
listed again (restored) is taken off the table again by dlt's hard-delete hint.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from dlt.common.schema.typing import TTableSchemaColumns

from sources.columns import hints
from sources.toolkit import epoch_ms

DELETED_COLUMNS: TTableSchemaColumns = hints(
    {"id": "bigint", "deleted_seen_at": "timestamp", "listed_again": "bool"}, not_null=("id",)
)
# true on a row that takes a sync off the table (it is listed again); never stored as true
DELETED_COLUMNS["listed_again"]["hard_delete"] = True


def deletion_rows(
    deleted: dict[str, int], gone: Iterable[int], listed: Iterable[int], now: datetime
) -> list[dict[str, Any]]:
    """Rows for `deleted_syncs` after one load; updates `deleted` (id -> ms) in place.

    `gone` are the syncs the server answered 404 for, `listed` every sync loaded this time.
    """
    listed_ids = {str(i) for i in listed}
    rows: list[dict[str, Any]] = []
    for sync_id in sorted(listed_ids & deleted.keys(), key=int):
        del deleted[sync_id]
        rows.append({"id": int(sync_id), "deleted_seen_at": None, "listed_again": True})
    for sync_id in sorted({str(i) for i in gone} - listed_ids - deleted.keys(), key=int):
        deleted[sync_id] = epoch_ms(now)
        rows.append({"id": int(sync_id), "deleted_seen_at": now, "listed_again": False})
    return rows

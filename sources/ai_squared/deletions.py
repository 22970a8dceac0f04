"""Which syncs were deleted: the ones a full listing no longer shows.

AI Squared has no deletion feed, and a deleted sync simply stops being listed; its rows in
`syncs` would otherwise stay and go stale forever. Only an unnarrowed listing proves absence
(with `sync_ids`, an unlisted sync was merely not asked for). A sync listed again (restored, or
missing from one listing by a vendor hiccup) is taken off the table again by dlt's hard-delete
hint.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from dlt.common.schema.typing import TTableSchemaColumns

DELETED_COLUMNS: TTableSchemaColumns = {
    "id": {"data_type": "bigint", "nullable": False},
    "deleted_seen_at": {"data_type": "timestamp", "nullable": True},
    # true on a row that takes a sync off the table (it is listed again); never stored as true
    "listed_again": {"data_type": "bool", "nullable": True, "hard_delete": True},
}


def deletion_rows(
    loaded: Iterable[str], deleted: dict[str, int], listed: Iterable[int], now: datetime
) -> list[dict[str, Any]]:
    """Rows for `deleted_syncs` after one full listing; updates `deleted` (id -> ms) in place.

    `loaded` are the ids of every sync ever loaded into `syncs` (that resource's state keys).
    """
    listed_ids = {str(i) for i in listed}
    rows: list[dict[str, Any]] = []
    for sync_id in sorted(listed_ids & deleted.keys(), key=int):
        del deleted[sync_id]
        rows.append({"id": int(sync_id), "deleted_seen_at": None, "listed_again": True})
    for sync_id in sorted(set(loaded) - listed_ids - deleted.keys(), key=int):
        deleted[sync_id] = int(now.timestamp() * 1000)
        rows.append({"id": int(sync_id), "deleted_seen_at": now, "listed_again": False})
    return rows

"""Rows of the two Paragon tables, their column types, and the fingerprints that decide a change.

A snapshot is worth a row only when the observable state moved, so each row has a fingerprint
of exactly the fields that define that state; the load keeps the last fingerprint per sync in
dlt state. Columns are declared up front: fields Paragon omits until they apply (lastSyncedAt,
reason, rateLimitBackoffMs) would otherwise get no column, or a guessed type, on first load.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pyarrow as pa
from dlt.common.schema.typing import TTableSchemaColumns

from sources.arrow import to_table
from sources.columns import hints
from sources.exact_json import SHADOWED
from sources.toolkit import short_hash

from .poll import Observation

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


SNAPSHOT_KINDS = {
    "sync_id": "text",
    "first_seen_at": "timestamp",
    "polled_at": "timestamp",
    "user_id": "text",
    "credential_id": "text",
    "status": "text",
    "total_records": "bigint",
    "synced_records_count": "bigint",
    "last_synced_at": "timestamp",
    "latest_cursor": "text",
    "reason": "text",
    "rate_limit_backoff_ms": "bigint",
}
SNAPSHOT_COLUMNS: TTableSchemaColumns = hints(
    SNAPSHOT_KINDS, not_null=("sync_id", "first_seen_at", "polled_at", "status")
)
SYNC_COLUMNS: TTableSchemaColumns = hints(
    {
        "id": "text",
        "user_id": "text",
        "integration": "text",
        "pipeline": "text",
        "credential_id": "text",
        "frequency": "text",
        "frequency_seconds": "bigint",
        "status": "text",
        "reason": "text",
        "first_seen_at": "timestamp",
    },
    ("id", "status", "first_seen_at"),
)


def fingerprint(values: Any) -> str:
    """A short stable digest of JSON-able values (state keeps 16 hex chars per sync); keys kept in
    the order given, as every version before wrote it to state."""
    return short_hash(values, sort_keys=False)


def snapshot_state(status: dict) -> tuple:
    """The observable state of a SyncStatus: what a snapshot row is appended for."""
    summary = status.get("summary") or {}
    return (
        status.get("status"),
        summary.get("totalRecords"),
        summary.get("syncedRecordsCount"),
        summary.get("lastSyncedAt"),
        summary.get("latestCursor"),
        status.get("reason"),
        status.get("rateLimitBackoffMs"),
    )


# What the excerpt names; other properties follow the unknown-property rule (README).
STATUS_FIELDS = frozenset(
    {"status", "credentialId", "summary", "rateLimitBackoffMs", "reason", "incrementalAccumulatorFrequency"}
)
SUMMARY_FIELDS = frozenset({"totalRecords", "syncedRecordsCount", "lastSyncedAt", "latestCursor"})


def snapshot_row(obs: Observation, first_seen_at: datetime) -> dict[str, Any]:
    """One sync_status_snapshots row for the poll that saw the change; properties the excerpt
    does not name are kept as the README's rule says (a `summary` column holds the summary's)."""
    assert obs.status is not None and obs.polled_at is not None
    status, summary = obs.status, obs.status.get("summary") or {}
    row = _known_snapshot(obs, first_seen_at, status, summary)
    extra = {k: v for k, v in status.items() if k not in STATUS_FIELDS}
    if isinstance(summary, dict) and summary.keys() - SUMMARY_FIELDS:
        extra["summary"] = {k: v for k, v in summary.items() if k not in SUMMARY_FIELDS}
    taken = {k: v for k, v in extra.items() if k in row}  # e.g. a vendor `polled_at`: kept aside
    row.update({k: v for k, v in extra.items() if k not in row})
    if taken:
        row[SHADOWED] = taken
    return row  # unknown properties become text in snapshots_table (to_table), as the README says


def _known_snapshot(obs: Observation, first_seen_at: datetime, status: dict, summary: dict) -> dict[str, Any]:
    return {
        "sync_id": obs.sync_id,
        "first_seen_at": first_seen_at,
        "polled_at": obs.polled_at,
        "user_id": obs.user.user_id,
        "credential_id": status.get("credentialId", obs.item.get("credentialId")),
        "status": status.get("status"),
        "total_records": _int(summary.get("totalRecords")),
        "synced_records_count": _int(summary.get("syncedRecordsCount")),
        "last_synced_at": summary.get("lastSyncedAt") or None,  # RFC 3339 text; Arrow reads it (to_table)
        "latest_cursor": summary.get("latestCursor"),
        "reason": status.get("reason"),
        "rate_limit_backoff_ms": _int(status.get("rateLimitBackoffMs")),
    }


def sync_row(
    obs: Observation, known_frequency: str | None, first_seen_at: datetime | None = None
) -> dict[str, Any]:
    """The sync as it stands: listing fields plus the status read (or the listing's status when
    the read was skipped for a backoff; the frequency is then the last one read).

    `first_seen_at` is when the first poll saw the sync; a later change keeps it (it stands in
    for a creation time the API does not give, so a never-synced sync's age is right)."""
    body = obs.status or {}
    frequency = body.get("incrementalAccumulatorFrequency", known_frequency)
    read = obs.status is not None
    return {
        "id": obs.sync_id,
        "user_id": obs.user.user_id,
        "integration": obs.item.get("integration"),
        "pipeline": obs.item.get("pipeline"),
        "credential_id": body.get("credentialId", obs.item.get("credentialId")),
        "frequency": frequency,
        "frequency_seconds": frequency_seconds(frequency),
        "status": body.get("status") if read else obs.item.get("status"),
        "reason": body.get("reason") if read else obs.item.get("reason"),
        "first_seen_at": first_seen_at or (obs.polled_at if read else obs.listed_at),
    }


def frequency_seconds(frequency: str | None) -> int | None:
    """'15m' -> 900: the expected interval staleness is measured against; None if unreadable."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", frequency or "")
    seconds = int(match[1]) * UNITS[match[2]] if match else None
    return seconds if seconds is not None and seconds < 2**63 else None  # past 64 bits: unreadable too


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def snapshots_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Snapshot rows as Arrow: a vendor time is read there (sources/timestamps.py), so an instant
    no Python datetime holds (year 0 or 10000 after its offset) is stored all the same."""
    return to_table(rows, SNAPSHOT_KINDS, table="sync_status_snapshots")

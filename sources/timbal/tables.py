"""How a Timbal sync detail splits into the three tables, with their types and change hashes.

A SyncView mixes configuration with run-driven freshness. The split:

* `syncs` (scd2 versions) get the configuration only, and a version opens only when one of
  `CONFIG_FIELDS` changes: its `config_hash` (dlt's row version) covers exactly those fields.
  `updated_at` is stored but not hashed: the vendor may touch it for reasons that are not a
  configuration change (e.g. storing the cursor checkpoint on the sync row: unconfirmed), and a
  poll must not open a version for that; a version keeps the `updated_at` seen when it opened.
  `has_cursor` is not configuration at all: it flips to true once the sync has committed its first
  cursor checkpoint, i.e. after a run pulled a batch, so it lives in the snapshots.
* `sync_snapshots` get the stats rollup, the freshness fields, `has_cursor` and any SyncView field
  this code does not know yet (so nothing the API adds is lost). `seconds_since_success` is
  stored but not hashed: it grows every second, and it equals polled_at - last_success_at.
* `sync_runs` get each run of `recent_runs` as an Arrow table, typed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa
from dlt.common.schema.typing import TTableSchemaColumns

from sources.arrow import to_table
from sources.columns import hints
from sources.exact_json import SHADOWED, shadow
from sources.toolkit import short_hash as digest  # 64 bits: collisions are no concern at this size
from sources.validate import Shape

CONFIG_FIELDS = (
    "id",
    "connector_id",
    "name",
    "source_kind",
    "connection_ref",
    "source_schema",
    "source_table",
    "cursor_column",
    "kb_uid",
    "dest_table",
    "interval_secs",
    "enabled",
    "created_at",
)
NOT_HASHED = ("updated_at",)  # kept on the version, never opens one
STATS_FIELDS = ("runs_total", "runs_completed", "runs_failed", "rows_total")
FRESHNESS_FIELDS = ("has_cursor", "last_run_at", "last_state", "last_success_at", "seconds_since_success")
UNHASHED_SNAPSHOT = ("sync_id", "polled_at", "seconds_since_success")
SYNC_TIMESTAMPS = ("created_at", "updated_at", "last_run_at", "last_success_at")

SYNC_KINDS = {
    **{name: "text" for name in CONFIG_FIELDS},
    "interval_secs": "bigint",
    "enabled": "bool",
    "created_at": "timestamp",
    "updated_at": "timestamp",
    "config_hash": "text",
}
SYNC_COLUMNS: TTableSchemaColumns = hints(SYNC_KINDS, not_null=("id", "config_hash"))
SNAPSHOT_KINDS = {
    "sync_id": "text",
    "polled_at": "timestamp",
    **{name: "bigint" for name in STATS_FIELDS},
    "has_cursor": "bool",
    "last_run_at": "timestamp",
    "last_state": "text",
    "last_success_at": "timestamp",
    "seconds_since_success": "bigint",
}
SNAPSHOT_COLUMNS: TTableSchemaColumns = hints(SNAPSHOT_KINDS, not_null=("sync_id", "polled_at"))
STATS_EXTRA = "stats"  # the column holding a SyncStatsView's unknown properties, as one JSON object
RUN_KINDS: dict[str, str] = {
    "job_id": "text",
    "sync_id": "text",
    "state": "text",
    "created_at": "timestamp",
    "started_at": "timestamp",
    "finished_at": "timestamp",
    "duration_ms": "bigint",
    "rows_emitted": "bigint",
    "rows_per_sec": "double",
    "message": "text",
}


def config_row(view: dict) -> dict[str, Any]:
    """The `syncs` row of a SyncView: configuration, `updated_at` and the version hash (times stay
    RFC 3339 text: Arrow reads them, sources/arrow.py)."""
    config = {name: view.get(name) for name in CONFIG_FIELDS}
    row = {**config, **{name: view.get(name) for name in NOT_HASHED}, "config_hash": digest(config)}
    for name in ("created_at", "updated_at"):
        row[name] = row[name] or None
    return row


def snapshot_row(view: dict, stats: dict, polled_at: datetime) -> dict[str, Any]:
    """The `sync_snapshots` row of one detail: everything in it that is neither config nor runs.

    Properties the excerpt does not name follow the README's rule: the view's by their own name,
    the stats' together in one `stats` object (a view and its stats may both carry a property of
    one name); one whose name the row already uses is kept aside in `unknown_properties`."""
    stats = stats or {}
    row: dict[str, Any] = {"sync_id": view["id"], "polled_at": polled_at}
    row.update({name: stats.get(name) for name in STATS_FIELDS})
    row.update({name: view.get(name) for name in FRESHNESS_FIELDS})
    known = {*CONFIG_FIELDS, *NOT_HASHED, *FRESHNESS_FIELDS}
    extra = {k: v for k, v in view.items() if k not in known}
    stats_extra = {k: v for k, v in stats.items() if k not in STATS_FIELDS}
    taken = {k: v for k, v in extra.items() if k in row or (k == STATS_EXTRA and stats_extra)}
    row.update({k: v for k, v in extra.items() if k not in taken})
    if stats_extra:
        row[STATS_EXTRA] = stats_extra
    if taken:
        row[SHADOWED] = taken
    return row


def snapshot_hash(row: dict[str, Any]) -> str:
    """What makes a snapshot new: every field but the key and the ever-growing lag."""
    return digest({k: v for k, v in row.items() if k not in UNHASHED_SNAPSHOT})


def typed_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    """The row as loaded; times stay RFC 3339 text for Arrow to read, and fields this code does not
    know become their JSON text there (snapshots_table, README)."""
    return {k: (v or None) if k in SYNC_TIMESTAMPS else v for k, v in row.items()}


def syncs_table(rows: list[dict[str, Any]]) -> pa.Table:
    return to_table(rows, SYNC_KINDS, table="syncs")


def snapshots_table(rows: list[dict[str, Any]]) -> pa.Table:
    return to_table(rows, SNAPSHOT_KINDS, table="sync_snapshots")


def run_row(run: dict, sync_id: str) -> dict[str, Any]:
    """The run with its sync's id (a run property of that name is kept aside, README)."""
    return {**shadow(run, "sync_id"), "sync_id": sync_id}


def runs_table(runs: list[dict]) -> pa.Table:
    return to_table(runs, RUN_KINDS, table="sync_runs")


VIEW_SHAPE = Shape(
    "syncs",
    {
        **{name: "text" for name in CONFIG_FIELDS},
        "interval_secs": "bigint",
        "enabled": "bool",
        **{name: "timestamp" for name in SYNC_TIMESTAMPS},
        "has_cursor": "bool",
        "last_state": "text",
        "seconds_since_success": "bigint",
    },
    required=("id", "connector_id"),
    keys=("id", "connector_id"),
)
STATS_SHAPE = Shape("sync_snapshots", {name: "bigint" for name in STATS_FIELDS})
# `sync_id` is the source's own (run_row): a run property of that name is the vendor's, kept aside.
RUN_SHAPE = Shape(
    "sync_runs",
    {k: v for k, v in RUN_KINDS.items() if k != "sync_id"},
    required=("job_id",),
    keys=("job_id",),
)

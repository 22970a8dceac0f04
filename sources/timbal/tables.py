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

from sources.arrow import INT, TS, to_table
from sources.exact_json import shadow, unknown_as_text
from sources.toolkit import parse_timestamp
from sources.toolkit import short_hash as digest  # 64 bits: collisions are no concern at this size
from sources.validate import Shape, kinds_of

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

SYNC_COLUMNS: TTableSchemaColumns = {
    "id": {"data_type": "text", "nullable": False},
    "connector_id": {"data_type": "text"},
    "name": {"data_type": "text"},
    "source_kind": {"data_type": "text"},
    "connection_ref": {"data_type": "text"},
    "source_schema": {"data_type": "text"},
    "source_table": {"data_type": "text"},
    "cursor_column": {"data_type": "text"},
    "kb_uid": {"data_type": "text"},
    "dest_table": {"data_type": "text"},
    "interval_secs": {"data_type": "bigint"},
    "enabled": {"data_type": "bool"},
    "created_at": {"data_type": "timestamp"},
    "updated_at": {"data_type": "timestamp"},
    "config_hash": {"data_type": "text", "nullable": False},
}
SNAPSHOT_COLUMNS: TTableSchemaColumns = {
    "sync_id": {"data_type": "text", "nullable": False},
    "polled_at": {"data_type": "timestamp", "nullable": False},
    **{name: {"data_type": "bigint"} for name in STATS_FIELDS},
    "has_cursor": {"data_type": "bool"},
    "last_run_at": {"data_type": "timestamp"},
    "last_state": {"data_type": "text"},
    "last_success_at": {"data_type": "timestamp"},
    "seconds_since_success": {"data_type": "bigint"},
}
SNAPSHOT_KNOWN = frozenset(SNAPSHOT_COLUMNS)
RUN_TYPES: dict[str, pa.DataType] = {
    "job_id": pa.string(),
    "sync_id": pa.string(),
    "state": pa.string(),
    "created_at": TS,
    "started_at": TS,
    "finished_at": TS,
    "duration_ms": INT,
    "rows_emitted": INT,
    "rows_per_sec": pa.float64(),
    "message": pa.string(),
}


def config_row(view: dict) -> dict[str, Any]:
    """The `syncs` row of a SyncView: configuration, `updated_at` and the version hash."""
    config = {name: view.get(name) for name in CONFIG_FIELDS}
    row = {**config, **{name: view.get(name) for name in NOT_HASHED}, "config_hash": digest(config)}
    for name in ("created_at", "updated_at"):
        row[name] = parse_timestamp(row[name])
    return row


def snapshot_row(view: dict, stats: dict, polled_at: datetime) -> dict[str, Any]:
    """The `sync_snapshots` row of one detail: everything in it that is neither config nor runs."""
    known = {*CONFIG_FIELDS, *NOT_HASHED, *FRESHNESS_FIELDS}
    extra = {k: v for k, v in view.items() if k not in known and k not in SNAPSHOT_COLUMNS}
    row: dict[str, Any] = {"sync_id": view["id"], "polled_at": polled_at}
    row.update({name: (stats or {}).get(name) for name in STATS_FIELDS})
    row.update({k: v for k, v in (stats or {}).items() if k not in SNAPSHOT_COLUMNS})
    row.update({name: view.get(name) for name in FRESHNESS_FIELDS})
    row.update(extra)
    return row


def snapshot_hash(row: dict[str, Any]) -> str:
    """What makes a snapshot new: every field but the key and the ever-growing lag."""
    return digest({k: v for k, v in row.items() if k not in UNHASHED_SNAPSHOT})


def typed_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    """The row as loaded: times parsed, fields this code does not know as their JSON text (README)."""
    row = unknown_as_text(row, SNAPSHOT_KNOWN)
    return {k: parse_timestamp(v) if k in SYNC_TIMESTAMPS else v for k, v in row.items()}


def run_row(run: dict, sync_id: str) -> dict[str, Any]:
    """The run with its sync's id (a run property of that name is kept aside, README)."""
    return {**shadow(run, "sync_id"), "sync_id": sync_id}


def runs_table(runs: list[dict]) -> pa.Table:
    return to_table(runs, RUN_TYPES, table="sync_runs")


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
    {k: v for k, v in kinds_of(RUN_TYPES).items() if k != "sync_id"},
    required=("job_id",),
    keys=("job_id",),
)

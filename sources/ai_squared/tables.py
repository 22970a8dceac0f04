"""AI Squared's run and record columns, typed for the warehouse."""

from __future__ import annotations

import pyarrow as pa

from sources.arrow import INT, TS, to_table
from sources.validate import Shape, kinds_of

RUN_TYPES: dict[str, pa.DataType] = {
    "id": INT,
    "sync_id": INT,
    "status": pa.string(),
    "sync_run_type": pa.string(),
    "started_at": TS,
    "finished_at": TS,
    "duration": pa.float64(),
    "total_query_rows": INT,
    "skipped_rows": INT,
    "total_rows": INT,
    "successful_rows": INT,
    "failed_rows": INT,
    "error": pa.string(),
    "created_at": TS,
    "updated_at": TS,
}
RECORD_TYPES: dict[str, pa.DataType] = {
    "id": INT,
    "sync_id": INT,
    "sync_run_id": INT,
    "record": pa.string(),  # JSON text; the resource hints it as json
    "status": pa.string(),
    "action": pa.string(),
    "error": pa.string(),
    "logs": pa.string(),
    "created_at": TS,
    "updated_at": TS,
}
JSON_COLUMNS = ("record", "logs")


def runs_table(runs: list[dict]) -> pa.Table:
    return to_table(runs, RUN_TYPES, table="sync_runs")


def records_table(records: list[dict]) -> pa.Table:
    return to_table(records, RECORD_TYPES, JSON_COLUMNS, table="sync_records")


RUN_SHAPE = Shape("sync_runs", kinds_of(RUN_TYPES), required=("id", "updated_at"), keys=("id", "sync_id"))
RECORD_SHAPE = Shape(
    "sync_records",
    {**kinds_of(RECORD_TYPES), "record": "json", "logs": "json"},
    required=("id", "sync_run_id"),
    keys=("id", "sync_run_id", "sync_id"),
)
SYNC_SHAPE = Shape(
    "syncs", {"id": "bigint", "created_at": "timestamp", "updated_at": "timestamp"},
    required=("id", "created_at", "updated_at"), keys=("id",),
)  # fmt: skip

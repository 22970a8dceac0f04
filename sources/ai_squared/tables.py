"""AI Squared's run and record columns, typed for the warehouse."""

from __future__ import annotations

import pyarrow as pa

from sources.arrow import INT, TS, to_table

from . import exact_json

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
    return to_table(runs, RUN_TYPES)


def records_table(records: list[dict]) -> pa.Table:
    """`record` and `logs` as JSON text written by `exact_json`, so big integers stay exact."""
    for row in records:
        for name in JSON_COLUMNS:
            value = row.get(name)
            if value is not None:
                row[name] = exact_json.dumps(value)
    return to_table(records, RECORD_TYPES)

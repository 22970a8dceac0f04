"""AI Squared's run and record columns, typed for the warehouse."""

from __future__ import annotations

import pyarrow as pa

from sources.arrow import to_table
from sources.columns import hints
from sources.validate import Shape

RUN_KINDS: dict[str, str] = {
    "id": "bigint",
    "sync_id": "bigint",
    "status": "text",
    "sync_run_type": "text",
    "started_at": "timestamp",
    "finished_at": "timestamp",
    "duration": "double",
    "total_query_rows": "bigint",
    "skipped_rows": "bigint",
    "total_rows": "bigint",
    "successful_rows": "bigint",
    "failed_rows": "bigint",
    "error": "text",
    "created_at": "timestamp",
    "updated_at": "timestamp",
}
RECORD_KINDS: dict[str, str] = {
    "id": "bigint",
    "sync_id": "bigint",
    "sync_run_id": "bigint",
    "record": "json",
    "status": "text",
    "action": "text",
    "error": "text",
    "logs": "json",
    "created_at": "timestamp",
    "updated_at": "timestamp",
}


# The nested connectors as ConnectorSerializer renders them, flattened by dlt (`source__name`).
CONNECTOR_KINDS: dict[str, str] = {
    "id": "bigint",
    "name": "text",
    "description": "text",
    "connector_type": "text",
    "workspace_id": "bigint",
    "created_at": "timestamp",
    "updated_at": "timestamp",
    "connector_name": "text",
    "icon": "text",
}
# Declared, not inferred: a column null in every row of a load (no sync of the account uses a
# cron expression, say) would otherwise be left out of the table and make dlt warn on each run.
SYNC_KINDS: dict[str, str] = {
    "id": "bigint",
    "source_id": "bigint",
    "destination_id": "bigint",
    "model_id": "bigint",
    "schedule_type": "text",
    "sync_mode": "text",
    "sync_interval": "bigint",
    "sync_interval_unit": "text",
    "cron_expression": "text",
    "stream_name": "text",
    "status": "text",
    "created_at": "timestamp",
    "updated_at": "timestamp",
    **{
        f"{side}__{name}": kind
        for side in ("source", "destination")
        for name, kind in CONNECTOR_KINDS.items()
    },
}
SYNC_COLUMNS = hints(SYNC_KINDS, not_null=("id",))


def runs_table(runs: list[dict]) -> pa.Table:
    return to_table(runs, RUN_KINDS, table="sync_runs")


def records_table(records: list[dict]) -> pa.Table:
    return to_table(records, RECORD_KINDS, table="sync_records")


RUN_SHAPE = Shape("sync_runs", RUN_KINDS, required=("id", "updated_at"), keys=("id", "sync_id"))
RECORD_SHAPE = Shape(
    "sync_records",
    RECORD_KINDS,
    required=("id", "sync_run_id"),
    keys=("id", "sync_run_id", "sync_id"),
)
SYNC_SHAPE = Shape(
    "syncs", {"id": "bigint", "created_at": "timestamp", "updated_at": "timestamp"},
    required=("id", "created_at", "updated_at"), keys=("id",),
)  # fmt: skip

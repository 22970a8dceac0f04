"""The raw datasets, delivered on request (`deliver.what = "marts,raw"`), each to its own schema.

`raw_ai_squared.sync_runs` in the warehouse becomes `<dataset>_raw_ai_squared.sync_runs` in the
destination, merged by the primary key its dlt source declared (read from the dataset's stored
dlt schema, so a table added to a source is delivered without a change here); a table without
one is replaced whole. dlt's bookkeeping (`_dlt_*` tables and columns) stays home.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from pipelines.deliver.changes import Tracked
from pipelines.warehouse_reads import first_column


@dataclass(frozen=True)
class RawTable:
    schema: str  # raw_ai_squared
    table: str  # sync_runs
    key: tuple[str, ...]  # () when the source declared none

    def tracked(self) -> Tracked:
        return Tracked(f"{self.schema}_{self.table}", f'"{self.schema}"."{self.table}"', self.key)


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[RawTable]:
    """Every raw table of the warehouse with its primary key, in a stable order."""
    schemas = first_column(
        con,
        "select schema_name from duckdb_schemas() where database_name = current_database() "
        "and schema_name like 'raw\\_%' escape '\\' and schema_name not like '%\\_staging' escape '\\' "
        "order by 1",
    )
    found = []
    for schema in schemas:
        keys = _primary_keys(con, schema)
        tables = first_column(
            con,
            "select table_name from duckdb_tables() where database_name = current_database() "
            "and schema_name = ? and table_name not like '\\_dlt\\_%' escape '\\' order by 1",
            [schema],
        )
        found += [RawTable(schema, t, keys.get(t, ())) for t in tables]
    return found


def _primary_keys(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, tuple[str, ...]]:
    """table -> primary key columns, from the newest dlt schema stored in the dataset."""
    try:
        rows = con.execute(
            f'select schema from "{schema}"._dlt_version order by inserted_at desc limit 1'
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    if not rows:
        return {}
    tables = json.loads(rows[0][0]).get("tables", {})
    return {
        name: tuple(c for c, spec in table.get("columns", {}).items() if spec.get("primary_key"))
        for name, table in tables.items()
    }

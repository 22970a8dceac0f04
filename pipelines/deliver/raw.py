"""Raw datasets, delivered on request (`deliver.what = "marts,raw"`): not yet implemented."""

from __future__ import annotations

import duckdb


def raw_tables(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """dlt resources for the raw tables to deliver; none yet."""
    return {}

"""PostgreSQL: a table sent whole is `COPY`ed straight into the live table, inside the final transaction.

Through dlt every row of a table sent whole was written three times on its way: dlt's extract and
normalize (Arrow, then a CSV file), `COPY` into `<dataset>_load`, then `insert ... select` into
the live table (bench/RESULTS.md case 8: ~60% of a first delivery). `COPY` is transactional in
PostgreSQL: rows copied into the live table after its `DELETE`, in the one final transaction,
stay invisible to readers until it commits, exactly like the `insert ... select` they replace
(pipelines/deliver/swap.py). So DuckDB writes each such table as a CSV file from the delivery's
snapshot and the final transaction reads it with `COPY ... FROM STDIN`. dlt still creates and
evolves the live tables (from zero rows), and still loads the changed and deleted rows of an
incremental delivery into `<dataset>_load` (few rows; they are merged by key).

DuckDB's CSV is what PostgreSQL's CSV `COPY` reads: NULL unquoted and empty, an empty string
quoted, `inf`/`nan`, ISO dates, timestamps with their offset (the session's TimeZone is UTC).
Tables with any other column type (JSON, lists, decimals) go through dlt as before.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

DESTINATIONS = ("postgres",)  # COPY FROM STDIN through psycopg2 (Redshift has no COPY FROM STDIN)
# DuckDB column types whose CSV text PostgreSQL reads back as the type dlt gave the live column.
TYPES = frozenset(
    {"VARCHAR", "BIGINT", "INTEGER", "SMALLINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP WITH TIME ZONE"}
)


def copyable(columns: list[tuple[str, str]]) -> bool:
    """Every column of a table (name, DuckDB type) travels as CSV unchanged."""
    return all(kind in TYPES for _, kind in columns)


def write(con: duckdb.DuckDBPyConnection, select: str, path: Path) -> int:
    """The rows of `select` as a headerless CSV file; how many (inside the caller's snapshot)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    literal = "'" + str(path).replace("'", "''") + "'"
    return con.execute(f"copy ({select}) to {literal} (format csv, header false)").fetchall()[0][0]


def write_arrow(table: pa.Table, path: Path) -> int:
    """A small Arrow table (the `delivery` rows) as the same CSV, through DuckDB."""
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'").fetchall()
        con.register("rows_to_copy", table)
        return write(con, "select * from rows_to_copy", path)


def copy(cursor: object, live: str, columns: str, path: Path) -> None:
    """`COPY` one file into `live` (qualified) on a psycopg2 cursor of the open transaction."""
    with path.open("rb") as rows:
        cursor.copy_expert(f"COPY {live} ({columns}) FROM STDIN WITH (FORMAT csv)", rows)  # type: ignore[attr-defined]

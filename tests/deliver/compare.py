"""Marts in the DuckDB warehouse against the delivered copy in PostgreSQL, row for row."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import psycopg2


def mart_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The warehouse's mart tables, as its catalog lists them (no list kept by hand to go stale)."""
    query = "select table_name from duckdb_tables() where schema_name = 'marts'"
    return [r[0] for r in con.execute(query).fetchall()]


def warehouse_marts(db: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every mart: its column names and rows."""
    with duckdb.connect(str(db), read_only=True) as con:
        out = {}
        for name in mart_names(con):
            columns = [r[0] for r in con.execute(f"describe marts.{name}").fetchall()]
            out[name] = (columns, con.execute(f"select * from marts.{name}").fetchall())
    return out


def pg_query(url: str, sql: str) -> list[tuple]:
    with psycopg2.connect(url) as con, con.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    con.close()
    return rows


def pg_columns(url: str, dataset: str, table: str) -> list[tuple[str, str]]:
    return pg_query(
        url,
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = '{dataset}' and table_name = '{table}' order by ordinal_position",
    )


def _sort_key(row: tuple) -> tuple:
    return tuple((v is None, _sortable(v)) for v in row)


def _sortable(value: object) -> object:
    if value is None:
        return 0
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def same_rows(left: list[tuple], right: list[tuple]) -> str:
    """'' when equal as multisets (floats to 1e-9, timestamps as instants), else what differs."""
    if len(left) != len(right):
        return f"{len(left)} rows against {len(right)}"
    for a, b in zip(sorted(left, key=_sort_key), sorted(right, key=_sort_key), strict=True):
        if not all(_same(x, y) for x, y in zip(a, b, strict=True)):
            return f"{a} against {b}"
    return ""


def _same(x: object, y: object) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(x, str) and isinstance(y, dict | list):  # DuckDB JSON text against a parsed json column
        return json.loads(x) == y
    return x == y


def duckdb_query(path: str, sql: str) -> list[tuple]:
    with duckdb.connect(path, read_only=True) as con:
        return con.execute(sql).fetchall()


def differences(db: Path, url: str, dataset: str = "syncscope") -> dict[str, str]:
    """Per mart what differs between the warehouse and the destination (empty: equal).

    `url` is a PostgreSQL URL, or the path of a DuckDB destination file.
    """
    query = pg_query if url.startswith("postgresql://") else duckdb_query
    found = {}
    for name, (columns, rows) in warehouse_marts(db).items():
        cols = ", ".join(f'"{c}"' for c in columns)
        delivered = query(url, f'select {cols} from "{dataset}"."{name}"')
        if diff := same_rows(rows, delivered):
            found[name] = diff
    return found


def raw_differences(db: Path, url: str, dataset: str = "syncscope") -> dict[str, str]:
    """Per raw table what differs between the warehouse and `<dataset>_<raw schema>` (empty: equal)."""
    from pipelines.deliver.changes import columns_of
    from pipelines.deliver.raw import raw_tables

    found = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for raw in raw_tables(con):
            cols = ", ".join(f'"{c}"' for c in columns_of(con, raw.tracked().source))
            rows = con.execute(f"select {cols} from {raw.tracked().source}").fetchall()
            delivered = pg_query(url, f'select {cols} from "{dataset}_{raw.schema}"."{raw.table}"')
            if diff := same_rows(rows, delivered):
                found[f"{raw.schema}.{raw.table}"] = diff
    return found

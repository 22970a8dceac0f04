"""Read the warehouse back in the vendors' own shapes, to compare it with the sandbox's truth."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb


def iso_ms(value: datetime) -> str:
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def rows(db: Path, schema: str, table: str, json_columns: tuple[str, ...] = ()) -> list[dict]:
    """Every row without dlt's bookkeeping columns; timestamps as ISO-ms strings, JSON parsed."""
    with duckdb.connect(str(db), read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
        if not exists:  # dlt creates a table with its first row
            return []
        relation = con.sql(f"select * from {schema}.{table}")
        names, data = relation.columns, relation.fetchall()
    out = []
    for values in data:
        row = {}
        for name, value in zip(names, values, strict=True):
            if name.startswith("_dlt"):
                continue
            if isinstance(value, datetime):
                value = iso_ms(value)
            elif name in json_columns and value is not None:
                value = json.loads(value)
            row[name] = value
        out.append(row)
    return out


def flatten(resource: dict, json_columns: tuple[str, ...] = ("record", "logs")) -> dict:
    """A JSON:API resource as the warehouse keeps it: integer id, nested objects as a__b columns
    except the JSON columns, which stay whole."""
    row: dict = {"id": int(resource["id"])}
    for name, value in resource["attributes"].items():
        if isinstance(value, dict) and name not in json_columns:
            row.update({f"{name}__{k}": v for k, v in value.items()})
        else:
            row[name] = value
    return row


def all_text(db: Path) -> str:
    """Every value of every table in every schema, as one string (for leak checks)."""
    parts = []
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.sql("select table_schema, table_name from information_schema.tables").fetchall()
        for schema, table in tables:
            parts.append(str(con.sql(f'select * from "{schema}"."{table}"').fetchall()))
    return "\n".join(parts)

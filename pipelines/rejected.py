"""Rows a source set aside (sources/validate.py) written to `raw_<vendor>._rejected`.

One table per raw dataset, beside the vendor's tables but outside dlt's schema (dlt never
reads or drops it): resource, reason (naming the field), the row's key ids as JSON, the raw
row cut to 4,096 characters, and when it was seen. Rows accumulate across loads; a person
reading them decides what the vendor sent wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.warehouse import connect
from sources.validate import Rejected

TABLE = "_rejected"


def write_rejected(db: Path, vendor: str, rows: list[Rejected]) -> None:
    if not rows:
        return
    schema = f"raw_{vendor}"
    with connect(db) as con:
        con.execute(f'create schema if not exists "{schema}"')
        con.execute(
            f'create table if not exists "{schema}"."{TABLE}" (resource varchar, reason varchar, '
            "key_ids json, raw varchar, seen_at timestamptz)"
        )
        con.executemany(
            f'insert into "{schema}"."{TABLE}" values (?, ?, ?, ?, ?)',
            [(r.resource, r.reason, json.dumps(r.key_ids), r.raw, r.seen_at) for r in rows],
        )


def describe(vendor: str, rows: list[Rejected]) -> str:
    """One line for the run's output: how many rows, where, and the first reason."""
    first = rows[0]
    ids = ", ".join(f"{k} {v}" for k, v in first.key_ids.items())
    more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
    noun = "row" if len(rows) == 1 else "rows"
    return (
        f"{len(rows)} {noun} set aside in raw_{vendor}.{TABLE}: {first.resource}"
        f"{f' ({ids})' if ids else ''}: {first.reason}{more}"
    )

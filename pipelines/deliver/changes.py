"""Which rows of a big table changed since the last delivery: a content hash per row, kept locally.

The destination holds millions of runs, of which a run changes a few (new runs, running ones
finishing). Each delivery remembers `(key..., row hash)` of every row it delivered of every
tracked table (`marts.sync_runs`, and the raw tables when they are delivered) in Parquet files
beside the warehouse; the next one sends only rows whose hash differs or whose key is new, and the
keys that vanished. The record is replaced only after the destination committed, so a failed or
killed delivery leaves the previous one and its rows go out with the next run. It is tied to the
version it describes: when the destination's `delivery` table names another version (a reset
destination, a lost commit), the next delivery sends everything.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.deliver import transport
from pipelines.models import row_hash

STATE_FILE = "state.json"
# Columns of the warehouse's own load bookkeeping: they change when dlt rewrites a row, not its content.
BOOKKEEPING = ("_dlt_load_id", "_dlt_id")


@dataclass(frozen=True)
class Tracked:
    """A table sent by its changes: `source` in the warehouse, `name` in the delivery record."""

    name: str  # e.g. sync_runs, raw_ai_squared_sync_runs (unique; names its state and load tables)
    source: str  # schema.table in the warehouse
    key: tuple[str, ...]


@dataclass
class SentState:
    """What the last committed delivery sent: its version and the hash file of each tracked table,
    the fingerprint of the warehouse it came from and what it left in the destination
    (pipelines/deliver/unchanged.py)."""

    version: str | None = None
    hashes: dict[str, Path] = field(default_factory=dict)
    fingerprint: str | None = None
    tables: list[dict] = field(default_factory=list)  # dataset, table, columns, rows of each live table
    loads: list[str] = field(default_factory=list)  # the names its `sent` counts were reported under
    files: list | None = None  # the warehouse files as they were before it was read (unchanged.files_of)


def state_directory(db: Path, destination: str, dataset: str) -> Path:
    """`.<db name>.deliver/<destination>__<dataset>/` beside the warehouse, like dlt's own state."""
    db = Path(os.path.abspath(db))
    return db.with_name(f".{db.name}.deliver") / f"{destination}__{dataset}"


def read_state(directory: Path) -> SentState:
    try:
        saved = json.loads((directory / STATE_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return SentState()
    hashes = {name: directory / file for name, file in saved.get("hashes", {}).items()}
    if not all(path.exists() for path in hashes.values()):
        return SentState()
    return SentState(
        saved.get("version"),
        hashes,
        saved.get("fingerprint"),
        saved.get("tables", []),
        saved.get("loads", []),
        saved.get("files"),
    )


def columns_of(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    return [name for name, _ in transport.described(con, source, BOOKKEEPING)]


@dataclass
class Changes:
    changed: pa.Table  # rows to upsert, the delivered columns only
    deleted: pa.Table  # keys to delete
    full: bool  # True: everything is sent and the destination table is replaced
    total: int  # rows in the warehouse table
    schema: pa.Schema  # the delivered columns' own types (`changed` may carry timestamps as text)
    hints: dict[str, dict]  # dlt column hints for `changed`


def compute(
    con: duckdb.DuckDBPyConnection, table: Tracked, previous: Path | None, as_text: bool = False
) -> Changes:
    """Rows changed since `previous` (all when None), inside the caller's read transaction.

    `as_text`: timestamps travel as text (pipelines/deliver/transport.py). Leaves the current
    hashes in a temp table for `prepare_state`.
    """
    described = transport.described(con, table.source, BOOKKEEPING)
    columns = [name for name, _ in described]
    current = _temp(table)
    cols = ", ".join(_ident(c) for c in columns)
    con.execute(
        f"create or replace temp table {current} as "
        f"select {cols}, {row_hash(columns)} as _row_hash from {table.source}"
    ).fetchall()
    select = transport.select_list(described, "c", as_text)
    keys = ", ".join(_ident(k) for k in table.key)
    total = con.execute(f"select count(*) from {current}").fetchall()[0][0]
    schema = con.sql(f"select {cols} from {current} limit 0").to_arrow_table().schema
    hints = transport.hints(described, as_text)
    if previous is None:
        changed = con.sql(f"select {select} from {current} c").to_arrow_table()
        deleted = con.sql(f"select {keys} from {current} where false").to_arrow_table()
        return Changes(changed, deleted, True, total, schema, hints)
    old = f"read_parquet({_literal(str(previous))})"
    changed = con.sql(
        f"select {select} from {current} c left join {old} p using ({keys}) "
        "where p._row_hash is distinct from c._row_hash"
    ).to_arrow_table()
    old_keys = ", ".join(f"p.{_ident(k)}" for k in table.key)
    deleted = con.sql(f"select {old_keys} from {old} p anti join {current} c using ({keys})").to_arrow_table()
    return Changes(changed, deleted, False, total, schema, hints)


def prepare_state(
    con: duckdb.DuckDBPyConnection, directory: Path, table: Tracked, version: str, computed: bool = True
) -> Path:
    """Write this delivery's hashes of `table` beside the current record (not yet in force).

    `computed`: from the temp table `compute` left; else hashed here straight from the source
    (a table sent whole by `COPY`, pipelines/deliver/direct.py, needs no temp table).
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"hashes-{table.name}-{version}.parquet"
    keys = ", ".join(_ident(k) for k in table.key)
    if computed:
        rows = f"select {keys}, _row_hash from {_temp(table)}"
    else:
        rows = f"select {keys}, {row_hash(columns_of(con, table.source))} as _row_hash from {table.source}"
    con.execute(f"copy ({rows}) to {_literal(str(target))} (format parquet)").fetchall()
    return target


def commit_state(
    directory: Path,
    version: str,
    hashes: dict[str, Path],
    fingerprint: str | None = None,
    tables: list[dict] | None = None,
    loads: list[str] | None = None,
    files: list | None = None,
) -> None:
    """Put the prepared hashes in force (after the destination committed), drop older files."""
    tmp = directory / f".{STATE_FILE}.tmp"
    saved = {
        "version": version,
        "hashes": {n: p.name for n, p in hashes.items()},
        "fingerprint": fingerprint,
        "tables": tables or [],
        "loads": loads or [],
        "files": files,
    }
    tmp.write_text(json.dumps(saved))
    os.replace(tmp, directory / STATE_FILE)
    keep = set(hashes.values())
    for old in directory.glob("hashes-*.parquet"):
        if old not in keep:
            old.unlink(missing_ok=True)


def discard(hashes: dict[str, Path]) -> None:
    """Prepared hash files whose delivery failed."""
    for path in hashes.values():
        path.unlink(missing_ok=True)


def _temp(table: Tracked) -> str:
    return f"_deliver_{table.name}"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

"""Which `sync_runs` rows changed since the last delivery: a content hash per row, kept locally.

The destination holds millions of runs, of which a run changes a few (new runs, running ones
finishing). Each delivery remembers `(vendor, sync_id, run_id, row hash)` of what it delivered in
a Parquet file beside the warehouse; the next one sends only rows whose hash differs or whose key
is new, and the keys that vanished. The file is replaced only after the destination committed, so
a failed or killed delivery leaves the previous state and its rows go out with the next run.
The state is tied to the version it describes: when the destination's `delivery` table names
another version (a reset destination, a lost commit), the next delivery sends everything.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

KEY = ("vendor", "sync_id", "run_id")
TABLE = "sync_runs"
STATE_FILE = "state.json"


@dataclass
class SentState:
    """What the last committed delivery sent: its version and the hash file of its rows."""

    version: str | None
    hashes: Path | None


def state_directory(db: Path, destination: str, dataset: str) -> Path:
    """`.<db name>.deliver/<destination>__<dataset>/` beside the warehouse, like dlt's own state."""
    db = Path(os.path.abspath(db))
    return db.with_name(f".{db.name}.deliver") / f"{destination}__{dataset}"


def read_state(directory: Path) -> SentState:
    try:
        saved = json.loads((directory / STATE_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return SentState(None, None)
    hashes = directory / saved["hashes"]
    return SentState(saved["version"], hashes) if hashes.exists() else SentState(None, None)


def hashed_rows_sql(columns: list[str]) -> str:
    """Every sync_runs row with `_row_hash` over all its columns (nulls told apart from values)."""
    cols = ", ".join(_ident(c) for c in columns)
    nulls = ", ".join(f"{_ident(c)} is null" for c in columns)
    return f"select *, hash({cols}, [{nulls}]) as _row_hash from marts.{TABLE}"


@dataclass
class Changes:
    changed: pa.Table  # rows to upsert, the mart's columns only
    deleted: pa.Table  # keys to delete
    full: bool  # True: everything is sent and the destination table is replaced
    total: int  # rows in the mart


def compute(con: duckdb.DuckDBPyConnection, sent: SentState, full: bool) -> Changes:
    """Rows changed since `sent` (all of them when `full`), inside the caller's read transaction."""
    columns = [r[0] for r in con.execute(f"describe marts.{TABLE}").fetchall()]
    con.execute(f"create or replace temp table _deliver_current as {hashed_rows_sql(columns)}").fetchall()
    select = ", ".join(f"c.{_ident(c)}" for c in columns)
    keys = ", ".join(KEY)
    total = con.execute("select count(*) from _deliver_current").fetchall()[0][0]
    if full or sent.hashes is None:
        changed = con.sql(f"select {select} from _deliver_current c").to_arrow_table()
        deleted = con.sql(f"select {keys} from _deliver_current where false").to_arrow_table()
        return Changes(changed, deleted, True, total)
    previous = f"read_parquet({_literal(str(sent.hashes))})"
    changed = con.sql(
        f"select {select} from _deliver_current c left join {previous} p using ({keys}) "
        "where p._row_hash is distinct from c._row_hash"
    ).to_arrow_table()
    old_keys = ", ".join(f"p.{k}" for k in KEY)
    deleted = con.sql(
        f"select {old_keys} from {previous} p anti join _deliver_current c using ({keys})"
    ).to_arrow_table()
    return Changes(changed, deleted, False, total)


def prepare_state(con: duckdb.DuckDBPyConnection, directory: Path, version: str) -> Path:
    """Write the hashes of this delivery beside the current state (not yet in force)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"hashes-{version}.parquet"
    keys = ", ".join(KEY)
    con.execute(
        f"copy (select {keys}, _row_hash from _deliver_current) to {_literal(str(target))} (format parquet)"
    ).fetchall()
    return target


def commit_state(directory: Path, version: str, hashes: Path) -> None:
    """Put the prepared hashes in force (after the destination committed), drop older files."""
    tmp = directory / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps({"version": version, "hashes": hashes.name}))
    os.replace(tmp, directory / STATE_FILE)
    for old in directory.glob("hashes-*.parquet"):
        if old != hashes:
            old.unlink(missing_ok=True)


def discard(hashes: Path | None) -> None:
    """A prepared hash file whose delivery failed."""
    if hashes is not None:
        hashes.unlink(missing_ok=True)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

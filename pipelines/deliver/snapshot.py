"""What one delivery sends, read from one DuckDB snapshot of the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.deliver import changes, transport
from pipelines.deliver.raw import raw_tables
from pipelines.deliver.settings import DeliverConfigError, DeliverSettings
from pipelines.deliver.swap import Target
from pipelines.warehouse_reads import first_column, marts_as_of

RUNS = changes.Tracked("sync_runs", "marts.sync_runs", ("vendor", "sync_id", "run_id"))


@dataclass
class Item:
    """One live table: how the final transaction fills it, and what dlt loads for it."""

    target: Target
    ddl: pa.Schema  # the live table's columns (dlt creates or evolves it from zero rows)
    loads: dict[str, tuple[pa.Table, dict]]  # load-dataset table -> rows, dlt column hints


@dataclass
class Snapshot:
    items: list[Item]
    as_of: datetime | None
    prepared: dict[str, Path] = field(default_factory=dict)  # tracked table -> hashes to commit
    full: bool = False  # sync_runs sent whole


def read(
    db: Path, settings: DeliverSettings, sent: changes.SentState, full: bool, state_dir: Path, version: str
) -> Snapshot:
    """Every mart (and raw table when asked) and the changes of the big ones, in one read transaction."""
    as_text = settings.destination in transport.CSV_DESTINATIONS
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'").fetchall()
        con.execute("begin transaction").fetchall()
        marts = _mart_names(con)
        snapshot = Snapshot([], None)
        for name in marts:
            if name == RUNS.name:
                continue
            snapshot.items.append(_whole(con, f'marts."{name}"', settings.dataset, name, name, name, as_text))
        context = (con, sent, full, state_dir, version, snapshot, as_text)
        snapshot.items.append(_tracked(RUNS, settings.dataset, RUNS.name, RUNS.name, *context))
        snapshot.full = not snapshot.items[-1].target.merge
        if "raw" in settings.what:
            for raw in raw_tables(con):
                dataset, label = f"{settings.dataset}_{raw.schema}", f"{raw.schema}.{raw.table}"
                if raw.key:
                    item = _tracked(raw.tracked(), dataset, raw.table, label, *context)
                else:
                    tracked = raw.tracked()
                    item = _whole(con, tracked.source, dataset, raw.table, tracked.name, label, as_text)
                snapshot.items.append(item)
        if "as_of" in marts:
            snapshot.as_of = marts_as_of(con)
        con.execute("commit").fetchall()
    return snapshot


def _tracked(
    tracked: changes.Tracked,
    dataset: str,
    table: str,
    label: str,
    con: duckdb.DuckDBPyConnection,
    sent: changes.SentState,
    full: bool,
    state_dir: Path,
    version: str,
    snapshot: Snapshot,
    as_text: bool,
) -> Item:
    """A table sent by its changes; its new hashes are prepared for commit once delivered."""
    previous = None if full else sent.hashes.get(tracked.name)
    found = changes.compute(con, tracked, previous, as_text)
    snapshot.prepared[tracked.name] = changes.prepare_state(con, state_dir, tracked, version)
    columns = found.changed.column_names
    target = Target(dataset, table, columns, tracked.name, found.total, label, tracked.key, not found.full)
    loads = {
        f"changed_{tracked.name}": (found.changed, found.hints),
        f"deleted_{tracked.name}": (found.deleted, {}),
    }
    return Item(target, found.schema, loads)


def _whole(
    con: duckdb.DuckDBPyConnection,
    source: str,
    dataset: str,
    table: str,
    load: str,
    label: str,
    as_text: bool,
) -> Item:
    """A table sent whole (small marts, raw tables without a key)."""
    described = transport.described(con, source, changes.BOOKKEEPING)
    rows = con.sql(f"select {transport.select_list(described, '', as_text)} from {source}").to_arrow_table()
    schema = (
        con.sql(f"select {transport.select_list(described)} from {source} limit 0").to_arrow_table().schema
    )
    target = Target(dataset, table, rows.column_names, load, rows.num_rows, label)
    return Item(target, schema, {load: (rows, transport.hints(described, as_text))})


def _mart_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    names = first_column(
        con,
        "select distinct table_name from duckdb_columns() where database_name = current_database() "
        "and schema_name = 'marts' order by 1",
    )
    if "sync_runs" not in names:
        raise DeliverConfigError("the warehouse has no marts.sync_runs to deliver: build the models first")
    return names

"""What one delivery sends, read from one DuckDB snapshot of the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.deliver import changes, direct, transport, unchanged
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
    fingerprint: str | None = None  # of the warehouse this was read from (pipelines/deliver/unchanged.py)
    copied: dict[str, int] = field(default_factory=dict)  # load name -> rows written for `COPY`


@dataclass(frozen=True)
class Context:
    """What every table of one snapshot is read with."""

    con: duckdb.DuckDBPyConnection
    as_text: bool  # timestamps as text (pipelines/deliver/transport.py)
    copy_dir: Path | None  # tables sent whole become CSV files here (pipelines/deliver/direct.py)


def read(
    db: Path,
    settings: DeliverSettings,
    sent: changes.SentState,
    full: bool,
    state_dir: Path,
    version: str,
    copy_dir: Path | None = None,
) -> Snapshot:
    """Every mart (and raw table when asked) and the changes of the big ones, in one read transaction.

    `copy_dir`: tables sent whole (small marts, a tracked table sent in full) are written there as
    CSV files for the final transaction's `COPY`, not handed to dlt.
    """
    as_text = settings.destination in transport.CSV_DESTINATIONS
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'").fetchall()
        con.execute("begin transaction").fetchall()
        marts = _mart_names(con)
        snapshot = Snapshot([], None, fingerprint=unchanged.fingerprint(con, settings))
        ctx = Context(con, as_text, copy_dir)
        for name in marts:
            if name == RUNS.name:
                continue
            snapshot.items.append(
                _whole(ctx, snapshot, f'marts."{name}"', settings.dataset, name, name, name)
            )
        context = (ctx, sent, full, state_dir, version, snapshot)
        snapshot.items.append(_tracked(RUNS, settings.dataset, RUNS.name, RUNS.name, *context))
        snapshot.full = not snapshot.items[-1].target.merge
        if "raw" in settings.what:
            for raw in raw_tables(con):
                dataset, label = f"{settings.dataset}_{raw.schema}", f"{raw.schema}.{raw.table}"
                if raw.key:
                    item = _tracked(raw.tracked(), dataset, raw.table, label, *context)
                else:
                    tracked = raw.tracked()
                    item = _whole(ctx, snapshot, tracked.source, dataset, raw.table, tracked.name, label)
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
    ctx: Context,
    sent: changes.SentState,
    full: bool,
    state_dir: Path,
    version: str,
    snapshot: Snapshot,
) -> Item:
    """A table sent by its changes; its new hashes are prepared for commit once delivered."""
    previous = None if full else sent.hashes.get(tracked.name)
    changed, deleted = f"changed_{tracked.name}", f"deleted_{tracked.name}"
    described = transport.described(ctx.con, tracked.source, changes.BOOKKEEPING)
    if previous is None and ctx.copy_dir is not None and direct.copyable(described):
        # Sent whole: straight from the source to a CSV file, hashed straight into the record.
        path, rows = _copy_file(ctx, described, tracked.source, changed)
        snapshot.prepared[tracked.name] = changes.prepare_state(
            ctx.con, state_dir, tracked, version, computed=False
        )
        snapshot.copied.update({changed: rows, deleted: 0})
        columns = [name for name, _ in described]
        target = Target(dataset, table, columns, tracked.name, rows, label, tracked.key, False, path)
        return Item(target, _schema(ctx.con, described, tracked.source), {})
    found = changes.compute(ctx.con, tracked, previous, ctx.as_text)
    snapshot.prepared[tracked.name] = changes.prepare_state(ctx.con, state_dir, tracked, version)
    columns = found.changed.column_names
    target = Target(dataset, table, columns, tracked.name, found.total, label, tracked.key, not found.full)
    loads = {changed: (found.changed, found.hints), deleted: (found.deleted, {})}
    return Item(target, found.schema, loads)


def _whole(
    ctx: Context, snapshot: Snapshot, source: str, dataset: str, table: str, load: str, label: str
) -> Item:
    """A table sent whole (small marts, raw tables without a key)."""
    described = transport.described(ctx.con, source, changes.BOOKKEEPING)
    schema = _schema(ctx.con, described, source)
    columns = [name for name, _ in described]
    if ctx.copy_dir is not None and direct.copyable(described):
        path, rows = _copy_file(ctx, described, source, load)
        snapshot.copied[load] = rows
        return Item(Target(dataset, table, columns, load, rows, label, file=path), schema, {})
    select = transport.select_list(described, "", ctx.as_text)
    data = ctx.con.sql(f"select {select} from {source}").to_arrow_table()
    target = Target(dataset, table, data.column_names, load, data.num_rows, label)
    return Item(target, schema, {load: (data, transport.hints(described, ctx.as_text))})


def _schema(con: duckdb.DuckDBPyConnection, described: list[tuple[str, str]], source: str) -> pa.Schema:
    """The delivered columns' own types, for dlt to create the live table from."""
    return con.sql(f"select {transport.select_list(described)} from {source} limit 0").to_arrow_table().schema


def _copy_file(ctx: Context, described: list[tuple[str, str]], source: str, name: str) -> tuple[Path, int]:
    """`source` as the CSV file `<name>.csv` in the copy folder, for `COPY`; its path and rows."""
    assert ctx.copy_dir is not None  # (callers check: only destinations that take COPY have one)
    path = ctx.copy_dir / f"{name}.csv"
    return path, direct.write(ctx.con, f"select {transport.select_list(described)} from {source}", path)


def _mart_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    names = first_column(
        con,
        "select distinct table_name from duckdb_columns() where database_name = current_database() "
        "and schema_name = 'marts' order by 1",
    )
    if "sync_runs" not in names:
        raise DeliverConfigError("the warehouse has no marts.sync_runs to deliver: build the models first")
    return names

"""What one delivery sends, read from one DuckDB snapshot of the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.deliver import changes
from pipelines.deliver.raw import raw_tables
from pipelines.deliver.settings import DeliverConfigError, DeliverSettings
from pipelines.deliver.swap import Target

RUNS = changes.Tracked("sync_runs", "marts.sync_runs", ("vendor", "sync_id", "run_id"))


@dataclass
class Item:
    """One live table: how the final transaction fills it, and what dlt loads for it."""

    target: Target
    ddl: pa.Schema  # the live table's columns (dlt creates or evolves it from zero rows)
    loads: dict[str, pa.Table]  # load-dataset table -> rows


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
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("begin transaction").fetchall()
        marts = _mart_names(con)
        snapshot = Snapshot([], None)
        for name in marts:
            if name == RUNS.name:
                continue
            table = con.sql(f'select * from marts."{name}"').to_arrow_table()
            target = Target(settings.dataset, name, table.column_names, name, table.num_rows, name)
            snapshot.items.append(Item(target, table.schema, {name: table}))
        context = (con, sent, full, state_dir, version, snapshot)
        snapshot.items.append(_tracked(RUNS, settings.dataset, RUNS.name, RUNS.name, *context))
        snapshot.full = not snapshot.items[-1].target.merge
        if "raw" in settings.what:
            for raw in raw_tables(con):
                dataset, label = f"{settings.dataset}_{raw.schema}", f"{raw.schema}.{raw.table}"
                if raw.key:
                    item = _tracked(raw.tracked(), dataset, raw.table, label, *context)
                else:
                    cols = ", ".join(f'"{c}"' for c in changes.columns_of(con, raw.tracked().source))
                    table = con.sql(f"select {cols} from {raw.tracked().source}").to_arrow_table()
                    source = raw.tracked().name
                    target = Target(dataset, raw.table, table.column_names, source, table.num_rows, label)
                    item = Item(target, table.schema, {source: table})
                snapshot.items.append(item)
        if "as_of" in marts:
            snapshot.as_of = con.execute("select max(as_of) from marts.as_of").fetchall()[0][0]
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
) -> Item:
    """A table sent by its changes; its new hashes are prepared for commit once delivered."""
    previous = None if full else sent.hashes.get(tracked.name)
    found = changes.compute(con, tracked, previous)
    snapshot.prepared[tracked.name] = changes.prepare_state(con, state_dir, tracked, version)
    target = Target(
        dataset,
        table,
        found.changed.column_names,
        tracked.name,
        found.total,
        label,
        tracked.key,
        not found.full,
    )
    loads = {f"changed_{tracked.name}": found.changed, f"deleted_{tracked.name}": found.deleted}
    return Item(target, found.changed.schema, loads)


def _mart_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    names = [
        r[0]
        for r in con.execute(
            "select distinct table_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = 'marts' order by 1"
        ).fetchall()
    ]
    if "sync_runs" not in names:
        raise DeliverConfigError("the warehouse has no marts.sync_runs to deliver: build the models first")
    return names

"""Put a delivery in force in the destination with one transaction of plain DML.

dlt loads everything into `<dataset>_load`, which readers never query. Then one transaction
replaces the rows of every small table (`delete` + `insert ... select`), applies the changed and
deleted rows of the big ones by key, and rewrites `<dataset>.delivery`, checking every table's
row count before it commits. Readers therefore see the previous delivery or the new one, never a
mix (on destinations with transactions: README, Delivery).

Why not dlt's own `replace` with `staging-optimized`: on PostgreSQL it runs one follow-up job per
table (drop the live table, move the staging one in), each its own transaction, so between two
tables a reader sees a new `sync_runs` beside an old `sync_health`; and dropping a table is not
MVCC-safe (a REPEATABLE READ reader that first touches it after the swap sees it empty). Rows
deleted and inserted in one transaction are MVCC-safe, take no lock a reader waits on, and the
tables keep their identity, so views and grants a team put on them survive every delivery.
On PostgreSQL a table sent whole is `COPY`ed from a file into the live table instead of
inserted from the load dataset (pipelines/deliver/direct.py), in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dlt.destinations.sql_client import SqlClientBase

from pipelines.deliver import direct

DELIVERY_TABLE = "delivery"
DELIVERY_COLUMNS = ("version", "as_of", "delivered_at", "table_name", "row_count", "warehouse")


class CountMismatch(Exception):
    """The destination would not equal the warehouse after this delivery (rolled back)."""


@dataclass
class Target:
    """One live table and how this delivery fills it from the load dataset."""

    dataset: str  # the live dataset (schema) it is in
    table: str
    columns: list[str]
    source: str  # in the load dataset: the whole table, or `changed_<source>` / `deleted_<source>`
    rows: int  # rows it must hold after the transaction
    label: str  # its name in `delivery`
    key: tuple[str, ...] = ()  # merged by this key; () replaces it whole
    merge: bool = False  # False: replaced whole (from `source`, or `changed_<source>` when keyed)
    file: Path | None = None  # replaced whole by `COPY` from this CSV file, not from the load dataset


@dataclass
class Copy:
    """A step of the transaction that is no SQL statement: `COPY` a file into a live table."""

    live: str  # qualified
    columns: str  # quoted, comma-separated
    file: Path


def statements(
    client: SqlClientBase, load_dataset: str, targets: list[Target], stamp: Path | None = None
) -> list[str | Copy]:
    """The transaction's statements, qualified for the destination's dialect and plain enough for all.

    No literals: `delivery`'s new rows come from the load dataset too (or the `stamp` file).
    `WHERE 1 = 1` because BigQuery refuses a DELETE without WHERE.
    """
    q = client.capabilities.escape_identifier
    out: list[str | Copy] = []
    with client.with_alternative_dataset_name(load_dataset):
        staged_delivery = client.make_qualified_table_name(DELIVERY_TABLE)
    for t in targets:
        with client.with_alternative_dataset_name(t.dataset):
            live = client.make_qualified_table_name(t.table)
        with client.with_alternative_dataset_name(load_dataset):
            whole = client.make_qualified_table_name(t.source)
            changed = client.make_qualified_table_name(f"changed_{t.source}")
            deleted = client.make_qualified_table_name(f"deleted_{t.source}")
        cols = ", ".join(q(c) for c in t.columns)
        source = changed if t.key else whole
        if t.merge:
            same = " AND ".join(f"s.{q(k)} = {live}.{q(k)}" for k in t.key)
            out += [
                f"DELETE FROM {live} WHERE EXISTS (SELECT 1 FROM {s} s WHERE {same})"
                for s in (deleted, changed)
            ]
        else:
            out.append(f"DELETE FROM {live} WHERE 1 = 1")
        if t.file is not None:
            out.append(Copy(live, cols, t.file))
        else:
            out.append(f"INSERT INTO {live} ({cols}) SELECT {cols} FROM {source}")
    delivery = client.make_qualified_table_name(DELIVERY_TABLE)
    cols = ", ".join(q(c) for c in DELIVERY_COLUMNS)
    out.append(f"DELETE FROM {delivery} WHERE 1 = 1")
    if stamp is not None:
        out.append(Copy(delivery, cols, stamp))
    else:
        out.append(f"INSERT INTO {delivery} ({cols}) SELECT {cols} FROM {staged_delivery}")
    return out


def apply(client: SqlClientBase, load_dataset: str, targets: list[Target], stamp: Path | None = None) -> None:
    """Run the transaction; raise CountMismatch (rolled back) if any table would differ in size."""
    steps = statements(client, load_dataset, targets, stamp)
    with client.begin_transaction():  # an exception inside rolls it all back
        for step in steps:
            if isinstance(step, Copy):  # PostgreSQL only (direct.DESTINATIONS)
                with client.native_connection.cursor() as cursor:
                    direct.copy(cursor, step.live, step.columns, step.file)
            else:
                client.execute_sql(step)
        for t in targets:
            with client.with_alternative_dataset_name(t.dataset):
                live = client.make_qualified_table_name(t.table)
            found = client.execute_sql(f"SELECT COUNT(*) FROM {live}")[0][0]
            if found != t.rows:
                raise CountMismatch(f"{t.label}: {found} rows after the delivery, the warehouse has {t.rows}")


def delivered_version(client: SqlClientBase) -> str | None:
    """The version `<dataset>.delivery` names, None when there is none yet."""
    if not client.has_dataset():
        return None
    try:
        rows = client.execute_sql(
            f"SELECT MAX(version) FROM {client.make_qualified_table_name(DELIVERY_TABLE)}"
        )
    except Exception as exc:  # no delivery table yet: dlt raises its own undefined-relation error
        if "UndefinedRelation" in type(exc).__name__:
            return None
        raise
    return rows[0][0] if rows else None

"""Put a delivery in force in the destination with one transaction of plain DML.

dlt loads everything into `<dataset>_load`, which readers never query. Then one transaction
replaces the rows of every small mart (`delete` + `insert ... select`), applies the changed and
deleted `sync_runs` rows by key, and rewrites `<dataset>.delivery`. Readers therefore see the
previous delivery or the new one, never a mix.

Why not dlt's own `replace` with `staging-optimized`: on PostgreSQL it runs one follow-up job per
table (drop the live table, move the staging one in), each its own transaction, so between two
tables a reader sees a new `sync_runs` beside an old `sync_health`; and dropping a table is not
MVCC-safe (a REPEATABLE READ reader that first touches it after the swap sees it empty). Rows
deleted and inserted in one transaction are MVCC-safe, take no lock a reader waits on, and the
tables keep their identity, so views and grants a team put on them survive every delivery.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlt.destinations.sql_client import SqlClientBase

DELIVERY_TABLE = "delivery"


class CountMismatch(Exception):
    """The destination would not equal the warehouse after this delivery (rolled back)."""


@dataclass
class Plan:
    marts: dict[str, list[str]]  # small mart -> columns, replaced whole
    runs_columns: list[str]  # sync_runs columns
    runs_key: tuple[str, ...]
    full: bool  # sync_runs replaced whole instead of merged
    expected: dict[str, int]  # table -> rows it must hold after the transaction
    delivery_row: tuple  # (version, as_of, delivered_at, warehouse) -> one row per table


def apply(client: SqlClientBase, load_dataset: str, plan: Plan) -> None:
    """Run the transaction; raise CountMismatch (after rollback) if any count is off."""
    q = client.capabilities.escape_identifier
    live = client.make_qualified_table_name
    with client.with_alternative_dataset_name(load_dataset):
        staged = client.make_qualified_table_name
        sources = {name: staged(name) for name in [*plan.marts, "changed_sync_runs", "deleted_sync_runs"]}
    statements: list[str] = []
    for mart, columns in plan.marts.items():
        cols = ", ".join(q(c) for c in columns)
        statements += [
            f"DELETE FROM {live(mart)}",
            f"INSERT INTO {live(mart)} ({cols}) SELECT {cols} FROM {sources[mart]}",
        ]
    runs = live("sync_runs")
    cols = ", ".join(q(c) for c in plan.runs_columns)
    if plan.full:
        statements.append(f"DELETE FROM {runs}")
    else:
        for source in ("deleted_sync_runs", "changed_sync_runs"):
            same = " AND ".join(f"s.{q(k)} = {runs}.{q(k)}" for k in plan.runs_key)
            statements.append(
                f"DELETE FROM {runs} WHERE EXISTS (SELECT 1 FROM {sources[source]} s WHERE {same})"
            )
    statements.append(f"INSERT INTO {runs} ({cols}) SELECT {cols} FROM {sources['changed_sync_runs']}")
    statements.append(f"DELETE FROM {live(DELIVERY_TABLE)}")
    version, as_of, delivered_at, warehouse = plan.delivery_row
    columns = "version, as_of, delivered_at, table_name, row_count, warehouse"
    for table, rows in sorted(plan.expected.items()):
        values = (
            f"{_lit(version)}, {_ts(as_of)}, {_ts(delivered_at)}, {_lit(table)}, {rows}, {_lit(warehouse)}"
        )
        statements.append(f"INSERT INTO {live(DELIVERY_TABLE)} ({columns}) VALUES ({values})")
    with client.begin_transaction():  # an exception inside rolls it all back
        for statement in statements:
            client.execute_sql(statement)
        for table, rows in plan.expected.items():
            found = client.execute_sql(f"SELECT COUNT(*) FROM {live(table)}")[0][0]
            if found != rows:
                raise CountMismatch(f"{table}: {found} rows after the delivery, the warehouse has {rows}")


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


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _ts(moment: object) -> str:
    return "NULL" if moment is None else f"CAST({_lit(moment.isoformat())} AS TIMESTAMP WITH TIME ZONE)"

"""Build the SQL models in `sql/`: staging views, then mart tables, in dependency order.

Each file is one model named after its folder and file (`sql/marts/sync_health.sql` ->
`marts.sync_health`). What a model reads is parsed from its SQL (sqlglot), so the build order
needs no hand-kept list. Everything is built in one transaction: a failing model leaves the
previous marts untouched. Raw tables of a vendor never loaded (or columns a load has not
created yet, as dlt creates a column with its first non-null value) are stood in for by empty
typed-null relations, so staging views exist, empty, before the first load.

Every model states its grain in its first line (`-- grain: ...`) and its key, machine-readable,
in the second: `-- key: vendor, sync_id` (or `-- key: one row`). A model without them is refused;
a key column the model does not have fails the build. The data tests (pipelines/data_tests.py) check each key.
"""

from __future__ import annotations

import contextlib
import graphlib
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.optimizer.scope import traverse_scope

from pipelines.warehouse import connect as open_warehouse

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
LAYERS = {"staging": "view", "marts": "table"}
RAW_PREFIX = "raw_"
KEY_LINE = re.compile(r"--\s*key:\s*(.*?)\s*$")
ONE_ROW = "one row"  # `-- key: one row`: the model holds exactly one row
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
STAMP = "meta.build"  # one row: `inputs`, the fingerprint of what the marts were built from


class ModelError(Exception):
    """A model cannot be built; the message names the file."""


@dataclass
class Model:
    name: str  # schema.table
    path: Path
    materialized: str  # view | table
    tree: exp.Expression
    reads: set[str] = field(default_factory=set)  # schema.table of everything it selects from
    key: tuple[str, ...] = ()  # from the header's key line; () means exactly one row

    @property
    def schema(self) -> str:
        return self.name.split(".")[0]


@dataclass
class BuildResult:
    models: list[str]
    seconds: float
    stubbed: list[str]  # raw tables (or table.column) stood in for because not loaded yet


def discover(sql_dir: Path = SQL_DIR) -> list[Model]:
    models = []
    for layer, materialized in LAYERS.items():
        for path in sorted((sql_dir / layer).glob("*.sql")):
            models.append(_parse(path, f"{layer}.{path.stem}", materialized, sql_dir))
    return models


def _parse(path: Path, name: str, materialized: str, sql_dir: Path) -> Model:
    where = path.relative_to(sql_dir.parent) if sql_dir.parent in path.parents else path
    text = path.read_text()
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        line = f" line {first.get('line')}" if first.get("line") else ""
        raise ModelError(f"{where}:{line} syntax error: {first.get('description', exc)}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ModelError(f"{where}: a model is exactly one SELECT statement")
    tree = statements[0]
    key = _key(text, where)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    reads = {
        f"{t.db}.{t.name}" if t.db else t.name for t in tree.find_all(exp.Table) if t.name not in ctes or t.db
    }
    return Model(name, path, materialized, tree, reads, key)


def _key(text: str, where: Path) -> tuple[str, ...]:
    """The columns of the key line, the header's second line (the first states the grain)."""
    header = [line.strip() for line in text.splitlines()[:2]]
    if not header or not header[0].startswith("-- grain:"):
        raise ModelError(f"{where}: no grain line; the first line is `-- grain: one row per ...`")
    declared = KEY_LINE.fullmatch(header[1]) if len(header) > 1 else None
    if declared is None:
        raise ModelError(
            f"{where}: no key line; add `-- key: <column>, ...` (or `-- key: {ONE_ROW}`) after the grain line"
        )
    if declared.group(1) == ONE_ROW:
        return ()
    columns = tuple(c.strip() for c in declared.group(1).split(","))
    bad = [c for c in columns if not IDENTIFIER.fullmatch(c)]
    if bad:
        raise ModelError(f"{where}: key line: {bad[0]!r} is not a column name")
    return columns


def order(models: list[Model]) -> list[Model]:
    by_name = {m.name: m for m in models}
    graph = {m.name: {r for r in m.reads if r in by_name} for m in models}
    try:
        return [by_name[name] for name in graphlib.TopologicalSorter(graph).static_order()]
    except graphlib.CycleError as exc:
        raise ModelError(f"models read each other in a cycle: {' -> '.join(exc.args[1])}") from None


DEGRADED_BELOW = 0.9  # success_rate_7d under this is "degraded"
ANOMALY_SENSITIVITY = 3.0  # |z| at or above this is an anomaly (marts.sync_anomalies)


def build(
    db: Path,
    sql_dir: Path = SQL_DIR,
    as_of: datetime | None = None,
    degraded_below: float = DEGRADED_BELOW,
    anomaly_sensitivity: float = ANOMALY_SENSITIVITY,
    sensitivity_overrides: dict[tuple[str, str], float] | None = None,
) -> BuildResult:
    """(Re)build every model in one transaction; raise ModelError naming the failing file.

    `sensitivity_overrides` maps (vendor, sync_id) to that sync's own anomaly sensitivity;
    None reads them from `[anomalies.syncs]` in the config (pipelines/anomaly_settings.py).
    """
    if sensitivity_overrides is None:
        from pipelines.anomaly_settings import sensitivity_overrides as configured  # imports this module

        sensitivity_overrides = configured()
    started = time.perf_counter()
    models = order(discover(sql_dir))
    built: list[str] = []
    with connect(db) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("begin transaction")
        try:
            stubbed: list[str] = []
            for schema in (*LAYERS, "meta"):
                con.execute(f"create schema if not exists {schema}")
            con.execute(
                "create or replace table meta.params "
                "(as_of_override timestamptz, degraded_below double, anomaly_sensitivity double)"
            )
            con.execute(
                "insert into meta.params values (?, ?, ?)", [as_of, degraded_below, anomaly_sensitivity]
            )
            _write_overrides(con, sensitivity_overrides)
            existing = raw_columns(con)
            for model in models:
                tree = stub_missing(model.tree, existing, stubbed)
                kind = "view" if model.materialized == "view" else "table"
                where = model.path.relative_to(sql_dir.parent)
                built.append(f"create or replace {kind} {model.name} as {tree.sql(dialect='duckdb')}")
                try:
                    con.execute(built[-1])
                except duckdb.Error as exc:
                    raise ModelError(f"{where}: {str(exc).splitlines()[0]}") from None
                columns = {d[0] for d in con.execute(f"select * from {model.name} limit 0").description}
                missing = [c for c in model.key if c not in columns]
                if missing:
                    raise ModelError(f"{where}: key column {missing[0]} is not a column of {model.name}")
            sources = sorted(set().union(*(m.reads for m in models)) - {m.name for m in models})
            inputs = digest([duckdb.__version__, built, table_states(con, sources)])
            con.execute(f"create or replace table {STAMP} as select ?::varchar as inputs", [inputs])
            con.execute("commit")
        except BaseException as exc:
            # After a failed commit (e.g. the disk is full) DuckDB has no transaction left, and a
            # failing rollback would hide the real error behind "cannot rollback".
            with contextlib.suppress(duckdb.Error):
                con.execute("rollback")
            if isinstance(exc, duckdb.Error):
                raise ModelError(f"cannot build the models in {db}: {str(exc).splitlines()[0]}") from None
            raise
    return BuildResult([m.name for m in models], round(time.perf_counter() - started, 3), stubbed)


def table_states(con: duckdb.DuckDBPyConnection, tables: list[str]) -> list[list]:
    """What identifies the content of each of `tables` (schema.table; absent ones are skipped).

    Tables dlt writes carry `_dlt_load_id` on every row it writes, so their row count and newest
    load id change with any load, even one killed before dlt recorded it (an scd2 table's rows
    retired in place: by how many are retired); any other table (`_dlt_loads`, `meta.params`,
    small and rewritten in place) by a hash of all its rows.
    """
    found: dict[str, list[str]] = {}
    for schema, table, column in con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = current_database() order by schema_name, table_name, column_index"
    ).fetchall():
        found.setdefault(f"{schema}.{table}", []).append(column)
    states = []
    for name in tables:
        columns = found.get(name)
        if columns is None:
            continue
        quoted = ".".join(f'"{part}"' for part in name.split("."))
        if "_dlt_load_id" in columns:
            probe = "count(*), max(_dlt_load_id)"
            if "_dlt_valid_to" in columns:  # scd2: retiring a row sets it, in place
                probe += ", count(_dlt_valid_to)"
        else:
            probe = f"count(*), sum({row_hash(columns)}::hugeint)"
        states.append([name, columns, *map(str, con.execute(f"select {probe} from {quoted}").fetchone())])
    return states


def row_hash(columns: list[str]) -> str:
    """SQL hashing each row's `columns` (the build stamp here, the delivery's changed rows)."""
    quoted = ['"' + c.replace('"', '""') + '"' for c in columns]
    nulls = ", ".join(f"{c} is null" for c in quoted)  # a null and a value never hash alike
    return f"hash({', '.join(quoted)}, [{nulls}])"


def digest(value: object) -> str:
    """A stable hash of a JSON-able value (the build stamp and the delivery's fingerprint)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _write_overrides(con: duckdb.DuckDBPyConnection, overrides: dict[tuple[str, str], float]) -> None:
    """meta.anomaly_sensitivity: per-sync sensitivities that replace the global one."""
    con.execute(
        "create or replace table meta.anomaly_sensitivity "
        "(vendor varchar, sync_id varchar, sensitivity double, primary key (vendor, sync_id))"
    )
    rows = [[vendor, sync_id, value] for (vendor, sync_id), value in sorted(overrides.items())]
    if rows:
        con.executemany("insert into meta.anomaly_sensitivity values (?, ?, ?)", rows)


def connect(db: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The warehouse (waiting a bounded time for another process to let go of it: WarehouseHeld
    after that), or a one-line ModelError."""
    try:
        return open_warehouse(db, read_only=read_only)
    except duckdb.Error as exc:
        raise ModelError(f"cannot open {db}: {str(exc).splitlines()[0]}") from None


def raw_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema like 'raw\\_%' escape '\\'"
    ).fetchall()
    out: dict[str, set[str]] = {}
    for schema, table, column in rows:
        out.setdefault(f"{schema}.{table}", set()).add(column)
    return out


def stub_missing(tree: exp.Expression, existing: dict[str, set[str]], stubbed: list[str]) -> exp.Expression:
    """Replace raw tables (or add raw columns) that do not exist yet with typed-null stand-ins.

    The stand-in columns are NULL VARCHARs; staging casts every raw column, so downstream types
    are the same whether the vendor was loaded or not.
    """
    tree = tree.copy()
    needed: dict[int, tuple[exp.Table, set[str]]] = {}
    for scope in traverse_scope(tree):
        selected = {alias: source for alias, (_, source) in scope.selected_sources.items()}
        tables = {
            a: s for a, s in selected.items() if isinstance(s, exp.Table) and s.db.startswith(RAW_PREFIX)
        }
        for column in scope.columns:
            if column.table in tables:
                table = tables[column.table]
            elif not column.table and len(tables) == 1 and len(selected) == 1:
                table = next(iter(tables.values()))
            else:
                continue
            needed.setdefault(id(table), (table, set()))[1].add(column.name)
        for table in tables.values():
            needed.setdefault(id(table), (table, set()))
    for table, columns in needed.values():
        name = f"{table.db}.{table.name}"
        have = existing.get(name)
        missing = sorted(columns - (have or set()))
        if have is not None and not missing:
            continue
        nulls = ", ".join(f"cast(null as varchar) as {exp.to_identifier(c).sql('duckdb')}" for c in missing)
        if have is None:
            stubbed.append(name)
            select = f"select {nulls or 'cast(null as varchar) as _stub'} where false"
        else:
            stubbed.extend(f"{name}.{c}" for c in missing)
            select = f"select *, {nulls} from {name}"
        alias = table.alias_or_name
        table.replace(exp.paren(sqlglot.parse_one(select, read="duckdb")).as_(alias))
    return tree

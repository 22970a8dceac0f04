"""Know that a delivery would change nothing without reading the marts, and then send nothing.

Finding the changed `sync_runs` rows means hashing every row (pipelines/deliver/changes.py): a
delivery with nothing to send cost a third of a full one (bench/RESULTS.md case 8). But the marts
change only when the models are built, and `models.build` stamps `meta.build` in the same
transaction with a fingerprint of everything they were built from: the SQL it ran, the DuckDB
version, the content of every table the models read (raw tables by row count and newest
`_dlt_load_id`, `_dlt_loads` and `meta.params` by a hash of their rows; so a new load, a rebuild
at another `--as-of` or with another setting, an edited model all change it). A delivery records
the fingerprint of what it sent beside its hashes; the next one whose warehouse has the same
fingerprint, and whose destination still holds what the last one left there (the same
version in `delivery`, every live table with its columns and row count), has nothing to send.
Otherwise it runs as before: a changed warehouse sends exactly its changed rows, a destination
that lost rows is sent everything, a dropped table fails the delivery as it always did.

Reading the fingerprint means opening the warehouse; a warehouse file (and WAL) whose device,
inode, size, mtime and ctime are those recorded before the last delivery read it was not written
since, so it is not even opened (as git trusts its index: not for a file written within
QUIET_NS of the record, which a coarse file-system clock could not tell apart).

Marts changed by anything but `models.build` (by hand, by a syncscope older than the stamp)
are caught only as far as their row counts, which are part of the fingerprint.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
from dlt.common.schema import Schema
from dlt.destinations.sql_client import SqlClientBase

from pipelines.deliver import transport
from pipelines.deliver.raw import raw_tables
from pipelines.deliver.settings import DeliverSettings, destination_for
from pipelines.models import STAMP, digest, table_states
from pipelines.warehouse_reads import first_column

FORMAT = 1  # what a delivery makes of the same marts; a change here must re-deliver them
QUIET_NS = 2_000_000_000


def files_of(db: Path) -> list | None:
    """The warehouse file's and its WAL's identity and times; None when written too recently."""
    now = time.time_ns()
    found: list = []
    for path in (db, db.with_name(f"{db.name}.wal")):
        try:
            st = path.stat()
        except FileNotFoundError:
            found.append(None)
            continue
        if max(st.st_mtime_ns, st.st_ctime_ns) > now - QUIET_NS:
            return None
        found.append([st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns])
    return found


def fingerprint(con: duckdb.DuckDBPyConnection, settings: DeliverSettings) -> str | None:
    """What this warehouse would deliver to `settings`, inside the caller's read transaction.

    None when the marts carry no build stamp (built by an older syncscope): no delivery is
    then known to change nothing.
    """
    tables = first_column(
        con,
        "select schema_name || '.' || table_name from duckdb_tables() "
        "where database_name = current_database() and schema_name in ('marts', 'meta') order by 1",
    )
    if STAMP not in tables:  # asked, not tried: an error would end the caller's transaction
        return None
    stamp = first_column(con, f"select inputs from {STAMP}")
    if len(stamp) != 1:
        return None
    marts = [name.split(".", 1)[1] for name in tables if name.startswith("marts.")]
    counts = [first_column(con, f'select count(*) from marts."{name}"')[0] for name in marts]
    parts: list[object] = [
        FORMAT,
        stamp[0],
        settings.what,
        settings.destination in transport.CSV_DESTINATIONS,
    ]
    parts.append(list(zip(marts, counts, strict=True)))
    if "raw" in settings.what:  # raw tables load between builds too
        raw = raw_tables(con)
        parts.append([[r.schema, r.table, list(r.key)] for r in raw])
        parts.append(table_states(con, [f"{r.schema}.{r.table}" for r in raw]))
    return digest(parts)


def sql_client(settings: DeliverSettings, config: object) -> SqlClientBase:
    """A client of the live dataset from the resolved configuration, to use in a `with` block.

    What `dlt.pipeline(...).sql_client()` gives, without setting up two pipelines first: that
    took most of a delivery with nothing to send.
    """
    destination = destination_for(settings)
    schema = Schema(f"syncscope_deliver_{settings.dataset}")
    client = destination.client_class(schema, config, destination.capabilities(config, schema.naming))
    return client.sql_client  # type: ignore[attr-defined]


def of_warehouse(db: Path, settings: DeliverSettings) -> str | None:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("begin transaction").fetchall()
        return fingerprint(con, settings)


def destination_holds(client: SqlClientBase, tables: list[dict]) -> bool:
    """Every live table still has the columns and row count the last delivery left (one query)."""
    if not tables:
        return False
    q = client.capabilities.escape_identifier
    counts = []
    for i, t in enumerate(tables):
        with client.with_alternative_dataset_name(t["dataset"]):
            live = client.make_qualified_table_name(t["table"])
        cols = ", ".join(q(c) for c in t["columns"])  # a column dropped by hand fails the query
        counts.append(f"SELECT {i} AS n, COUNT(*) AS c FROM (SELECT {cols} FROM {live}) s{i}")
    try:
        found = dict(client.execute_sql(" UNION ALL ".join(counts)) or [])
    except Exception:  # a table dropped or altered by hand; the delivery itself says what is wrong
        return False
    return all(found.get(i) == t["rows"] for i, t in enumerate(tables))

"""Deliver the finished marts from the DuckDB warehouse to the team's warehouse (any dlt destination).

Computing stays local; this copies the result. Steps, all after the models and data tests passed:
1. read every mart from one DuckDB snapshot as Arrow, and the `sync_runs` rows changed since the
   last delivery (pipelines/deliver/changes.py);
2. a dlt pipeline creates or evolves the live tables in `<dataset>` (zero rows: DDL only), and a
   second one loads the data into `<dataset>_load`, where readers never look;
3. one transaction puts it in force (pipelines/deliver/swap.py) and rewrites `<dataset>.delivery`;
4. only then the local record of what was sent moves on, so a failed delivery is resent next run.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dlt
import duckdb
import pyarrow as pa

from pipelines.deliver import changes, swap
from pipelines.deliver.raw import raw_tables
from pipelines.deliver.settings import (
    DeliverConfigError,
    DeliverSettings,
    check_driver,
    resolve_configuration,
)

__all__ = ["DeliverConfigError", "DeliverSettings", "Delivery", "DeliveryError", "deliver"]

DELIVERY_SCHEMA = pa.schema(
    [
        ("version", pa.string()),
        ("as_of", pa.timestamp("us", tz="UTC")),
        ("delivered_at", pa.timestamp("us", tz="UTC")),
        ("table_name", pa.string()),
        ("row_count", pa.int64()),
        ("warehouse", pa.string()),
    ]
)
VERSION_FORMAT = "v%Y%m%dT%H%M%S%fZ"
SECRET_FIELDS = (
    "password",
    "private_key",
    "private_key_passphrase",
    "access_token",
    "client_secret",
    "token",
)


class DeliveryError(Exception):
    """The delivery did not happen; one line naming the destination, never a credential."""


@dataclass
class Delivery:
    destination: str
    dataset: str
    version: str
    rows: dict[str, int]  # table -> rows it holds in the destination now
    sent: dict[str, int] = field(default_factory=dict)  # table -> rows dlt loaded (its load info)
    full: bool = False  # sync_runs sent whole (first delivery, or the destination was reset)
    seconds: float = 0.0


def deliver(db: Path, settings: DeliverSettings) -> Delivery:
    """Copy the marts (and raw tables when asked) of `db` to the configured destination.

    Call it with no other writer on the warehouse (`run_all` holds the lock). Raises
    DeliverConfigError (a setting: exit 2) or DeliveryError (the destination: exit 12).
    """
    started = time.perf_counter()
    config = resolve_configuration(settings)
    check_driver(settings)
    state_dir = changes.state_directory(db, settings.destination, settings.dataset)
    live, staged = _pipelines(settings, state_dir.parent / "pipelines")
    prepared: Path | None = None
    try:
        with live.sql_client() as client:
            in_destination = swap.delivered_version(client)
        sent_state = changes.read_state(state_dir)
        full = in_destination is None or in_destination != sent_state.version
        now = datetime.now(UTC)
        version = now.strftime(VERSION_FORMAT)
        with duckdb.connect(str(db), read_only=True) as con:
            con.execute("begin transaction").fetchall()
            marts = _read_marts(con)
            found = changes.compute(con, sent_state, full)
            raw = raw_tables(con) if "raw" in settings.what else {}
            as_of = (
                con.execute("select max(as_of) from marts.as_of").fetchall()[0][0]
                if "as_of" in marts
                else None
            )
            prepared = changes.prepare_state(con, state_dir, version)
            con.execute("commit").fetchall()
        runs_schema = found.changed.schema
        ddl = [dlt.resource(t.slice(0, 0), name=n, write_disposition="append") for n, t in marts.items()]
        ddl.append(dlt.resource(runs_schema.empty_table(), name="sync_runs", write_disposition="append"))
        ddl.append(
            dlt.resource(DELIVERY_SCHEMA.empty_table(), name=swap.DELIVERY_TABLE, write_disposition="append")
        )
        data = [dlt.resource(t, name=n, write_disposition="replace") for n, t in marts.items()]
        data.append(dlt.resource(found.changed, name="changed_sync_runs", write_disposition="replace"))
        data.append(dlt.resource(found.deleted, name="deleted_sync_runs", write_disposition="replace"))
        file_format = "csv" if settings.destination == "postgres" else None
        for pipeline in (live, staged):
            if pipeline.has_pending_data:  # a killed delivery's package would reload an old snapshot
                pipeline.abort_packages()
        live.run(ddl, loader_file_format=file_format)
        if raw:
            live.run(list(raw.values()), loader_file_format=file_format)
        staged.run(data, loader_file_format=file_format)
        sent = dict(staged.last_trace.last_normalize_info.row_counts)
        expected = {name: t.num_rows for name, t in marts.items()} | {"sync_runs": found.total}
        plan = swap.Plan(
            marts={name: t.column_names for name, t in marts.items()},
            runs_columns=runs_schema.names,
            runs_key=changes.KEY,
            full=found.full,
            expected=expected,
            delivery_row=(version, as_of, now, str(Path(os.path.abspath(db)))),
        )
        with live.sql_client() as client:
            swap.apply(client, settings.load_dataset, plan)
        changes.commit_state(state_dir, version, prepared)
    except (DeliverConfigError, KeyboardInterrupt):
        changes.discard(prepared)
        raise
    except Exception as exc:
        changes.discard(prepared)
        raise DeliveryError(_one_line(settings, exc, config)) from exc
    return Delivery(
        settings.destination, settings.dataset, version, expected, sent, found.full,
        round(time.perf_counter() - started, 3),
    )  # fmt: skip


def _pipelines(settings: DeliverSettings, pipelines_dir: Path) -> tuple[dlt.Pipeline, dlt.Pipeline]:
    """The live dataset's pipeline (DDL, raw merges, the final transaction) and the load dataset's."""
    name = f"syncscope_deliver_{settings.destination}_{settings.dataset}"
    common = {"destination": settings.destination, "pipelines_dir": str(pipelines_dir)}
    live = dlt.pipeline(name, dataset_name=settings.dataset, **common)
    staged = dlt.pipeline(f"{name}_load", dataset_name=settings.load_dataset, **common)
    return live, staged


def _read_marts(con: duckdb.DuckDBPyConnection) -> dict[str, pa.Table]:
    """Every mart but sync_runs (sent by its changes), whole, from the caller's snapshot."""
    names = [
        r[0]
        for r in con.execute(
            "select distinct table_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = 'marts' order by 1"
        ).fetchall()
    ]
    if changes.TABLE not in names:
        raise DeliverConfigError("the warehouse has no marts.sync_runs to deliver: build the models first")
    return {n: con.sql(f'select * from marts."{n}"').to_arrow_table() for n in names if n != changes.TABLE}


def _one_line(settings: DeliverSettings, exc: BaseException, config: object) -> str:
    """The innermost cause's first line, every credential value masked."""
    cause = exc
    while cause.__cause__ is not None or (cause.__context__ is not None and not cause.__suppress_context__):
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    text = (str(cause).strip().splitlines() or [type(cause).__name__])[0].strip()
    credentials = getattr(config, "credentials", None)
    for name in SECRET_FIELDS:
        value = getattr(credentials, name, None)
        if isinstance(value, str) and value:
            text = text.replace(value, "***")
    return f"{settings.destination} (dataset {settings.dataset}): {text}; the next run delivers again"

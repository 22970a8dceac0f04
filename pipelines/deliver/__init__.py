"""Deliver the finished marts from the DuckDB warehouse to the team's warehouse (any dlt destination).

Computing stays local; this copies the result. Steps, all after the models and data tests passed:
1. read every mart (and raw table when asked) from one DuckDB snapshot as Arrow, the big tables
   as their rows changed since the last delivery (pipelines/deliver/snapshot.py, changes.py);
2. dlt creates or evolves the live tables in `<dataset>` (and `<dataset>_raw_<vendor>`) from zero
   rows, then loads the data into `<dataset>_load`, where readers never look;
3. one transaction puts it in force and rewrites `<dataset>.delivery` (pipelines/deliver/swap.py);
   on PostgreSQL the tables sent whole are `COPY`ed into the live tables there instead of going
   through dlt and `<dataset>_load` (pipelines/deliver/direct.py);
4. only then the local record of what was sent moves on, so a failed delivery is resent next run.
Before all this, a warehouse whose fingerprint is the one last delivered, to a destination that
still holds that delivery, is known to have nothing to send: nothing is read or sent
(pipelines/deliver/unchanged.py).
"""

from __future__ import annotations

import os
import shutil
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dlt
import pyarrow as pa

from pipelines.deliver import changes, direct, snapshot, swap, transport, unchanged
from pipelines.deliver.settings import (
    DeliverConfigError,
    DeliverSettings,
    check_driver,
    resolve_configuration,
)
from pipelines.logs import quiet_arrow_merge_warnings

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
    sent: dict[str, int] = field(default_factory=dict)  # load table -> rows sent (by dlt, or by COPY)
    full: bool = False  # sync_runs sent whole (first delivery, or the destination was reset)
    seconds: float = 0.0
    unchanged: bool = False  # nothing to send: the destination holds this warehouse's marts already


def deliver(db: Path, settings: DeliverSettings) -> Delivery:
    """Copy the marts (and raw tables when asked) of `db` to the configured destination.

    Call it with no other writer on the warehouse (`run_all` holds the lock). Raises
    DeliverConfigError (a setting: exit 2) or DeliveryError (the destination: exit 12).
    """
    started = time.perf_counter()
    config = resolve_configuration(settings)
    check_driver(settings)
    state_dir = changes.state_directory(db, settings.destination, settings.dataset)
    try:
        sent_state = changes.read_state(state_dir)
        with unchanged.sql_client(settings, config) as client:
            in_destination = swap.delivered_version(client)
            full = in_destination is None or in_destination != sent_state.version
            known = not full and sent_state.fingerprint is not None
            files = unchanged.files_of(db)
            untouched = files is not None and files == sent_state.files
            if known and (untouched or sent_state.fingerprint == unchanged.of_warehouse(db, settings)):
                if unchanged.destination_holds(client, sent_state.tables):
                    return _nothing_to_send(settings, sent_state, started)
                full = True  # the destination lost rows or a table: the changes cannot mend it
        try:
            done = _once(db, settings, state_dir, sent_state, full)
        except swap.CountMismatch:
            # Rows changed in the destination behind syncscope's back (deleted by hand, a restore):
            # the changes alone cannot mend that, everything can.
            done = _once(db, settings, state_dir, sent_state, True)
    except (DeliverConfigError, KeyboardInterrupt):
        raise
    except Exception as exc:
        raise DeliveryError(_one_line(settings, exc, config)) from exc
    done.seconds = round(time.perf_counter() - started, 3)
    return done


def _once(
    db: Path, settings: DeliverSettings, state_dir: Path, sent_state: changes.SentState, full: bool
) -> Delivery:
    """One attempt: snapshot, DDL, load, final transaction, then the local record moves on."""
    pipelines_dir = state_dir.parent / "pipelines"
    live, staged = _pipelines(settings, pipelines_dir)
    now = datetime.now(UTC)
    version = now.strftime(VERSION_FORMAT)
    for leftover in state_dir.glob("copy-*"):  # of a killed delivery
        shutil.rmtree(leftover, ignore_errors=True)
    copy_dir = state_dir / f"copy-{version}" if settings.destination in direct.DESTINATIONS else None
    files = unchanged.files_of(db)  # before reading: a write after it must not look unread
    try:
        read = snapshot.read(db, settings, sent_state, full, state_dir, version, copy_dir)
        try:
            sent = _send(settings, db, read, live, staged, pipelines_dir, version, now, copy_dir)
        except BaseException:
            changes.discard(read.prepared)
            raise
    finally:
        if copy_dir is not None:
            shutil.rmtree(copy_dir, ignore_errors=True)
    targets = [item.target for item in read.items]
    tables = [
        {"dataset": t.dataset, "table": t.table, "columns": t.columns, "rows": t.rows, "label": t.label}
        for t in targets
    ]
    tables.append(
        {"dataset": settings.dataset, "table": swap.DELIVERY_TABLE, "columns": list(swap.DELIVERY_COLUMNS),
         "rows": len(targets), "label": None}
    )  # fmt: skip
    changes.commit_state(state_dir, version, read.prepared, read.fingerprint, tables, sorted(sent), files)
    rows = {t.label: t.rows for t in targets}
    return Delivery(settings.destination, settings.dataset, version, rows, sent, read.full)


def _send(
    settings: DeliverSettings,
    db: Path,
    read: snapshot.Snapshot,
    live: dlt.Pipeline,
    staged: dlt.Pipeline,
    pipelines_dir: Path,
    version: str,
    now: datetime,
    copy_dir: Path | None,
) -> dict[str, int]:
    """DDL, dlt's load of what is not copied, the final transaction; the rows sent by load name."""
    file_format = "csv" if settings.destination in transport.CSV_DESTINATIONS else None
    ddl: dict[str, list] = defaultdict(list)
    for item in read.items:
        ddl[item.target.dataset].append(_resource(item.ddl.empty_table(), item.target.table, "append"))
    ddl[settings.dataset].append(_resource(DELIVERY_SCHEMA.empty_table(), swap.DELIVERY_TABLE, "append"))
    data = [_resource(t, name, "replace", hints) for i in read.items for name, (t, hints) in i.loads.items()]
    warehouse = str(Path(os.path.abspath(db)))
    rows = [(version, read.as_of, now, i.target.label, i.target.rows, warehouse) for i in read.items]
    stamp = pa.Table.from_pylist(
        [dict(zip(DELIVERY_SCHEMA.names, r, strict=True)) for r in rows], DELIVERY_SCHEMA
    )
    stamp_file = None
    sent = dict(read.copied)
    if copy_dir is not None:
        stamp_file = copy_dir / f"{swap.DELIVERY_TABLE}.csv"
        sent[swap.DELIVERY_TABLE] = direct.write_arrow(stamp, stamp_file)
    else:
        data.append(_resource(stamp, swap.DELIVERY_TABLE, "replace"))
    for dataset, resources in ddl.items():
        pipeline = live if dataset == settings.dataset else _pipeline(settings, dataset, pipelines_dir)
        _run(pipeline, resources, file_format)
    if data:
        _run(staged, data, file_format)
        sent.update(staged.last_trace.last_normalize_info.row_counts)
    with live.sql_client() as client:
        swap.apply(client, settings.load_dataset, [item.target for item in read.items], stamp_file)
    return sent


def _nothing_to_send(settings: DeliverSettings, state: changes.SentState, started: float) -> Delivery:
    """The delivery the destination holds already, as `deliver` reports it: no row sent."""
    rows = {t["label"]: t["rows"] for t in state.tables if t.get("label")}
    done = Delivery(
        settings.destination, settings.dataset, state.version or "", rows, dict.fromkeys(state.loads, 0)
    )
    done.unchanged = True
    done.seconds = round(time.perf_counter() - started, 3)
    return done


def _resource(table: pa.Table, name: str, disposition: str, hints: dict | None = None) -> object:
    return dlt.resource(table, name=name, write_disposition=disposition, columns=hints or None)


def _run(pipeline: dlt.Pipeline, resources: list, file_format: str | None) -> None:
    if pipeline.has_pending_data:  # a killed delivery's package would load an old snapshot
        pipeline.abort_packages()
    pipeline.run(resources, loader_file_format=file_format)


def _pipeline(settings: DeliverSettings, dataset: str, pipelines_dir: Path) -> dlt.Pipeline:
    """One dlt pipeline per destination dataset; its load files are not gzipped.

    dlt gzips CSV and JSONL load files by default: 27 of the 31 s its normalize step took for
    1 M `sync_runs` rows (bench/RESULTS.md case 6), for files that only cross loopback or the
    local disk before `COPY`. Scoped to these pipelines by name (a user's setting still wins).
    """
    quiet_arrow_merge_warnings()  # timestamps travel to PostgreSQL as text, by design
    name = f"syncscope_deliver_{settings.destination}_{dataset}"
    key = f"{name}.normalize.data_writer.disable_compression"
    if dlt.config.get(key, bool) is None:
        dlt.config[key] = True
    return dlt.pipeline(
        name, destination=settings.destination, dataset_name=dataset, pipelines_dir=str(pipelines_dir)
    )


def _pipelines(settings: DeliverSettings, pipelines_dir: Path) -> tuple[dlt.Pipeline, dlt.Pipeline]:
    """The live dataset's pipeline (DDL and the final transaction) and the load dataset's."""
    return (
        _pipeline(settings, settings.dataset, pipelines_dir),
        _pipeline(settings, settings.load_dataset, pipelines_dir),
    )


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

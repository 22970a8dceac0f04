"""Opening the warehouse file when another process may have it open: wait a bounded time, then
say so in one line.

DuckDB lets one process hold a file for writing, or any number of processes for reading, never
both. A `syncscope check` or `report`, a BI tool or a `duckdb -readonly` shell that opens the
warehouse between two steps of a run would make the run's next open fail; a run's open file
would make a reader fail. Neither is a vendor failure: each side retries its open for up to
`warehouse.busy_timeout_seconds` (default 30; env WAREHOUSE__BUSY_TIMEOUT_SECONDS), then gives
up with `WarehouseHeld`, which every command reports as one line and exit 10.

dlt opens its own connections (`duckdb.connect` inside its connection pool), so a run wraps
its vendor loads in `patient_connections()`, which makes every `duckdb.connect` of the process
wait the same way while it is active.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import dlt
import duckdb

BUSY_TIMEOUT_S = 30.0
POLL_S = 0.2
DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file
T = TypeVar("T")


class WarehouseHeld(Exception):
    """Another process has the warehouse file open; the message is one line."""


class WarehousePathError(ValueError):
    """`--db` names something that cannot be a warehouse; the message is one line naming --db."""


def is_lock_conflict(exc: BaseException) -> bool:
    """DuckDB's "Could not set lock on file ... Conflicting lock is held in ..." error."""
    text = str(exc)
    return isinstance(exc, duckdb.Error) and ("Could not set lock" in text or "Conflicting lock" in text)


def lock_conflict_in(exc: BaseException) -> BaseException | None:
    """The lock-conflict error anywhere in an exception chain (dlt wraps it several times)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, WarehouseHeld) or is_lock_conflict(current):
            return current
        current = current.__cause__ or current.__context__
    return None


def held_message(db: Path | str, exc: BaseException, waited_s: float) -> str:
    holder = re.search(r"\(PID (\d+)\)", str(exc))
    who = f"another process (pid {holder[1]})" if holder else "another process"
    return (
        f"{db}: warehouse held by {who} for more than {waited_s:g}s; "
        "try again when it closes the file (BI tools should read the published copy)"
    )


def busy_timeout() -> float:
    """`warehouse.busy_timeout_seconds`, else 30; a bad value is a one-line WarehousePathError."""
    value = dlt.config.get("warehouse.busy_timeout_seconds")
    if value is None or value == "":
        return BUSY_TIMEOUT_S
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds >= 0:
        raise WarehousePathError(
            f"warehouse.busy_timeout_seconds: {value!r} is not a number of seconds (0 or more)"
        )
    return seconds


def wait_for(open_: Callable[[], T], db: Path | str, timeout_s: float | None = None) -> T:
    """`open_()`, retried while another process holds the file, for up to `timeout_s`."""
    limit = busy_timeout() if timeout_s is None else timeout_s
    deadline = time.monotonic() + limit
    while True:
        try:
            return open_()
        except duckdb.Error as exc:
            if not is_lock_conflict(exc):
                raise
            if time.monotonic() >= deadline:
                raise WarehouseHeld(held_message(db, exc, limit)) from None
        _pause(POLL_S)


def _pause(seconds: float) -> None:
    """Between two tries to open a held file (a seam for tests)."""
    time.sleep(seconds)


def connect(db: Path, read_only: bool = False, timeout_s: float | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse, waiting (bounded) for another process to let go of it."""
    return wait_for(lambda: _ORIGINAL_CONNECT(str(db), read_only=read_only), db, timeout_s)


_ORIGINAL_CONNECT = duckdb.connect
_patch_lock = threading.Lock()
_patch_depth = 0


@contextlib.contextmanager
def patient_connections(timeout_s: float | None = None) -> Iterator[None]:
    """While active, every `duckdb.connect` in this process (dlt's included) waits for a holder."""
    global _patch_depth
    limit = busy_timeout() if timeout_s is None else timeout_s

    def patient(database: Any = ":memory:", *args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        return wait_for(lambda: _ORIGINAL_CONNECT(database, *args, **kwargs), database, limit)

    with _patch_lock:
        _patch_depth += 1
        duckdb.connect = patient
    try:
        yield
    finally:
        with _patch_lock:
            _patch_depth -= 1
            if _patch_depth == 0:
                duckdb.connect = _ORIGINAL_CONNECT


def check_path(db: Path) -> None:
    """Fail up front, in one line naming --db, when `db` cannot be a writable warehouse."""
    if db.exists():
        if db.is_dir():
            raise WarehousePathError(f"--db {db}: is a directory, not a DuckDB file")
        try:
            with db.open("rb") as handle:
                header = handle.read(12)
        except OSError as exc:
            raise WarehousePathError(f"--db {db}: cannot read it ({exc.strerror})") from None
        if header and header[8:12] != DUCKDB_MAGIC:
            raise WarehousePathError(f"--db {db}: not a DuckDB database file")
        if not os.access(db, os.W_OK):
            raise WarehousePathError(f"--db {db}: the file is not writable")
    folder = db.resolve().parent
    if not folder.is_dir():
        raise WarehousePathError(f"--db {db}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise WarehousePathError(f"--db {db}: folder {folder} is not writable")

"""One writer per warehouse: a second `syncscope run` on the same database exits at once.

DuckDB itself lets one process write a file; without this lock the second run would wait or
fail half-way with a cryptic IO error. An advisory `flock` on `<db>.lock` is released by the OS
when the holder dies, so a killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.warehouse import WarehousePathError


class LockHeld(Exception):
    pass


@contextmanager
def warehouse_lock(db: Path) -> Iterator[None]:
    resolved = db.resolve()  # two names (symlinks) for one file must share one lock
    path = resolved.with_name(resolved.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:  # e.g. a read-only file system: one line naming --db, not a traceback
        raise WarehousePathError(f"--db {db}: cannot create {path.name} ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise LockHeld(f"{db} is being loaded by {holder}; try again when it finishes") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        yield
    finally:
        os.close(fd)

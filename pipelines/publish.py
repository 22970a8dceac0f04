"""Publish the marts for BI tools, so no BI session ever holds the warehouse itself.

DuckDB lets one process write a file: a BI tool with the warehouse open would make a scheduled
`syncscope run` fail, and a run would break the BI session. So after every build each mart is
written to Parquet in a new version folder, with a small DuckDB file of views over those files
(`marts.<name>`, same names and types as the warehouse, plus `meta.publication`):

    <db stem>_published/
        syncscope_bi.duckdb            <- what BI tools open (read-only); a hard link to the current one
        v20261118T110640123456Z/       <- one folder per publication: <mart>.parquet + syncscope_bi.duckdb

The top-level file is swapped with `os.replace`, so a reader opening it gets the old version or
the new one, never a mix. A reader that already has it open keeps its version (the open inode
survives the replace) until it reconnects. Views use absolute paths because DuckDB resolves a
relative path in a view against the reader's working directory, not against the database file.

Old versions are removed once they are neither current nor previous and no reader holds their
file: DuckDB read-only connections hold a POSIX read lock on the database file, which
`F_GETLK` sees through the version folder's hard link, so a long-lived BI connection never loses
the Parquet files under its views, however many runs pass.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import struct
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.warehouse import connect

BI_FILE = "syncscope_bi.duckdb"
# The oldest storage format DuckDB 2 writes: BI tools often bundle an older DuckDB (JDBC, drivers).
STORAGE_VERSION = "v1.0.0"
VERSION_FORMAT = "v%Y%m%dT%H%M%S%fZ"
VERSION_NAME = re.compile(r"^v\d{8}T\d{12}Z$")
TMP_SUFFIX = ".tmp"


class PublishError(Exception):
    """Nothing to publish; the message says why."""


@dataclass
class Publication:
    directory: Path
    version: str
    rows: dict[str, int]  # mart -> rows published
    seconds: float
    pruned: list[str] = field(default_factory=list)  # old versions deleted
    held: list[str] = field(default_factory=list)  # old versions kept because a reader has them open

    @property
    def bi_file(self) -> Path:
        return self.directory / BI_FILE


def default_directory(db: Path) -> Path:
    """`<db stem>_published/` beside the warehouse: one publish folder per warehouse."""
    return _absolute(db).with_name(f"{db.stem}_published")


def publish_marts(db: Path, directory: Path | None = None, now: datetime | None = None) -> Publication:
    """Publish every table and view of `marts` in `db` as a new version; prune unused old ones.

    Call it with no other writer on the warehouse (`run_all` holds the warehouse lock), and with
    one warehouse per publish folder. Raises PublishError, duckdb.Error or OSError; the live
    version is then untouched and the half-written one removed (os.replace is the last step).
    """
    started = time.perf_counter()
    directory = _absolute(directory or default_directory(db))
    directory.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(directory)
    live = directory / BI_FILE
    previous = _live_version(directory, live)
    published_at = now or datetime.now(UTC)
    version = _next_version(directory, published_at)
    staging, final = directory / f".{version}{TMP_SUFFIX}", directory / version
    try:
        staging.mkdir()
        rows, columns = _export(db, staging)
        _fsync_all(staging)
        staging.rename(final)
        _fsync(directory)
        _write_bi_file(final, columns, version, published_at, db)
        _swap_in(final / BI_FILE, live)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(final, ignore_errors=True)
        raise
    _fsync(directory)
    pruned, held = _prune(directory, keep={version, previous})
    return Publication(directory, version, rows, round(time.perf_counter() - started, 3), pruned, held)


def versions(directory: Path) -> list[str]:
    """The complete version folders, oldest first (names sort in publication order)."""
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if p.is_dir() and VERSION_NAME.match(p.name))


def _absolute(path: Path) -> Path:
    """Absolute without resolving symlinks: the path the operator chose is the one readers see."""
    return Path(os.path.abspath(path))


def _next_version(directory: Path, now: datetime) -> str:
    """A name after every existing one, even when the clock went back (pruning relies on order)."""
    name = now.astimezone(UTC).strftime(VERSION_FORMAT)
    existing = versions(directory)
    if existing and name <= existing[-1]:
        newest = datetime.strptime(existing[-1], VERSION_FORMAT).replace(tzinfo=UTC)
        name = (newest + timedelta(microseconds=1)).strftime(VERSION_FORMAT)
    return name


def _export(db: Path, folder: Path) -> tuple[dict[str, int], dict[str, list[tuple[str, str]]]]:
    """Every mart to `<folder>/<mart>.parquet` from one snapshot; rows and column types by mart."""
    rows: dict[str, int] = {}
    columns: dict[str, list[tuple[str, str]]] = {}
    with connect(db, read_only=True) as con:  # waits (bounded) for another process holding it
        con.execute("begin transaction")
        described = con.execute(
            "select table_name, column_name, data_type from duckdb_columns() "
            "where database_name = current_database() and schema_name = 'marts' "
            "order by table_name, column_index"
        ).fetchall()
        for table, column, data_type in described:
            columns.setdefault(table, []).append((column, data_type))
        if not columns:
            raise PublishError(f"{db} has no marts to publish: build the models first")
        for table in columns:
            target = _literal(str(folder / f"{table}.parquet"))
            copied = con.execute(
                f"copy (select * from marts.{_ident(table)}) to {target} (format parquet, compression zstd)"
            ).fetchone()
            rows[table] = int(copied[0]) if copied else 0
        con.execute("commit")
    return rows, columns


def _write_bi_file(
    folder: Path, columns: dict[str, list[tuple[str, str]]], version: str, published_at: datetime, db: Path
) -> None:
    """`<folder>/syncscope_bi.duckdb`: views casting each Parquet column back to its warehouse type."""
    target, tmp = folder / BI_FILE, folder / f"{BI_FILE}{TMP_SUFFIX}"
    with duckdb.connect() as con:
        con.execute(f"attach {_literal(str(tmp))} as bi (storage_version '{STORAGE_VERSION}')")
        con.execute("create schema bi.marts")
        con.execute("create schema bi.meta")
        for table, cols in columns.items():
            select = ", ".join(f"cast({_ident(c)} as {t}) as {_ident(c)}" for c, t in cols)
            source = f"read_parquet({_literal(str(folder / f'{table}.parquet'))})"
            con.execute(f"create view bi.marts.{_ident(table)} as select {select} from {source}")
        con.execute(
            f"create view bi.meta.publication as select {_literal(version)} as version, "
            f"timestamptz {_literal(published_at.isoformat())} as published_at, "
            f"{_literal(str(_absolute(db)))} as warehouse"
        )
        con.execute("detach bi")
    os.chmod(tmp, 0o444)  # a BI tool opening it read-write fails at once instead of locking others out
    _fsync(tmp)
    tmp.rename(target)
    _fsync(folder)


def _swap_in(version_file: Path, live: Path) -> None:
    """Make `live` the version's file in one step: a hard link renamed over it (a copy if no links)."""
    tmp = live.with_name(f".{live.name}{TMP_SUFFIX}")
    tmp.unlink(missing_ok=True)
    try:
        os.link(version_file, tmp)
    except OSError:
        shutil.copy2(version_file, tmp)
    # A WAL left by someone who opened the live file read-write must not be replayed onto the new one.
    live.with_name(f"{live.name}.wal").unlink(missing_ok=True)
    os.replace(tmp, live)


def _live_version(directory: Path, live: Path) -> str | None:
    """The version whose file `live` is (same inode), else the newest complete one."""
    try:
        stat = live.stat()
    except FileNotFoundError:
        return None
    found = versions(directory)
    for name in reversed(found):
        try:
            own = (directory / name / BI_FILE).stat()
        except FileNotFoundError:
            continue
        if (own.st_ino, own.st_dev) == (stat.st_ino, stat.st_dev):
            return name
    return found[-1] if found else None


def _prune(directory: Path, keep: set[str | None]) -> tuple[list[str], list[str]]:
    pruned, held = [], []
    for name in versions(directory):
        if name in keep:
            continue
        if reader_holds(directory / name / BI_FILE):
            held.append(name)
        else:
            shutil.rmtree(directory / name, ignore_errors=True)
            pruned.append(name)
    return pruned, held


def reader_holds(path: Path) -> bool:
    """Whether another process has this DuckDB file open (DuckDB locks it, read-only or not).

    Linux only (the `struct flock` layout is the platform's); elsewhere False, so only the
    current and the previous version are kept.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        query = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
        return struct.unpack("hhqqi", answer)[0] != fcntl.F_UNLCK
    finally:
        os.close(fd)


def _remove_leftovers(directory: Path) -> None:
    """What a publish killed half-way left: staging folders and temporary files."""
    for path in directory.glob(f".*{TMP_SUFFIX}"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _fsync_all(folder: Path) -> None:
    for path in folder.iterdir():
        _fsync(path)
    _fsync(folder)


def _fsync(path: Path) -> None:
    """Durable before it is renamed into place, so a power cut never publishes empty files."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

"""Publishing the marts for BI tools: what a BI reader sees while `syncscope run` keeps loading.

BI tools open `<db stem>_published/syncscope_bi.duckdb` read-only (views over Parquet), never the
warehouse. These tests hold a reader open in another process across runs and publishes, and
check the replace, the pruning and that the views equal the warehouse marts row for row.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines import publish
from pipelines.exit_codes import EXIT_MODELS, EXIT_OK, EXIT_PARTIAL, EXIT_PUBLISH
from pipelines.publish import BI_FILE, PublishError, default_directory, publish_marts, versions
from pipelines.run import RunOutcome
from pipelines.runner import VendorResult
from pipelines.warehouse_reads import load_health
from sandbox.service import Sandbox
from tests.cli.test_run_and_check import syncscope

# A separate process that keeps the published file open read-only and queries every view in a
# loop, one JSON line per pass; `reconnect` and `stop` arrive on stdin. Any error ends it non-zero.
READER = r"""
import json, os, queue, sys, threading, time
import duckdb

path, log = sys.argv[1], open(sys.argv[2], "a")
commands = queue.Queue()
threading.Thread(target=lambda: [commands.put(line.strip()) for line in sys.stdin], daemon=True).start()

def snapshot(con, event):
    marts = [r[0] for r in con.execute(
        "select view_name from duckdb_views() where schema_name = 'marts' order by 1").fetchall()]
    counts = {m: con.execute(f'select count(*) from marts."{m}"').fetchone()[0] for m in marts}
    version = con.execute("select version from meta.publication").fetchone()[0]
    as_of = con.execute("select max(as_of) from marts.as_of").fetchone()[0] if "as_of" in marts else None
    line = {"event": event, "t": time.time(), "version": version, "as_of": str(as_of), "counts": counts}
    log.write(json.dumps(line) + "\n")
    log.flush()

con = duckdb.connect(path, read_only=True)
snapshot(con, "open")
while True:
    try:
        command = commands.get(timeout=0.05)
    except queue.Empty:
        command = "query"
    if command == "stop":
        break
    if command == "reconnect":
        con.close()
        con = duckdb.connect(path, read_only=True)
    snapshot(con, command)
con.close()
log.close()
os._exit(0)  # skips duckdb's extension-type leak report at interpreter exit, which is not an error
"""


class Reader:
    """A BI session in its own process (DuckDB's file locks only show between processes)."""

    def __init__(self, bi_file: Path, log: Path) -> None:
        self.bi_file, self.log = bi_file, log
        self.process = subprocess.Popen(
            [sys.executable, "-c", READER, str(bi_file), str(log)],
            stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def wait_open(self) -> None:
        deadline = time.monotonic() + 30
        while not self.lines() and self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.lines(), f"the reader did not open {self.bi_file}: {self.process.stderr.read()}"

    def lines(self) -> list[dict]:
        """Every complete line so far (the reader may be half-way through writing the last)."""
        text = self.log.read_text() if self.log.exists() else ""
        return [json.loads(line) for line in text.split("\n")[:-1]]

    def send(self, command: str) -> None:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def stop(self) -> list[dict]:
        self.send("stop")
        _, errors = self.process.communicate(timeout=30)
        assert (self.process.returncode, errors) == (0, "")
        return self.lines()


def make_warehouse(db: Path, runs: int) -> None:
    """A warehouse whose marts say which state it is in: `runs` rows and an as_of `runs` hours in."""
    with duckdb.connect(str(db)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.as_of as select timestamptz '2026-11-18 00:00:00+00' "
            f"+ interval {runs} hour as as_of, false as is_overridden, 0.9 as degraded_below"
        )
        con.execute(
            "create or replace table marts.sync_runs as select 'ai_squared' as vendor, "
            f"cast(i as varchar) as run_id, i * 1.5 as duration_s from range({runs}) t(i)"
        )


def bi_query(bi_file: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(bi_file), read_only=True) as con:
        return con.execute(sql).fetchall()


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.name.endswith((".tmp", ".wal")))


@pytest.fixture
def start_reader(tmp_path: Path) -> Iterator[Callable[[Path], Reader]]:
    """Readers that have the BI file open once started; any left running are killed at teardown."""
    started: list[Reader] = []

    def start(bi_file: Path) -> Reader:
        started.append(Reader(bi_file, tmp_path / f"reader{len(started)}.jsonl"))
        started[-1].wait_open()
        return started[-1]

    yield start
    for reader in started:
        if reader.process.poll() is None:
            reader.process.kill()
            reader.process.wait()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    make_warehouse(path, runs=1)
    return path


def test_the_default_folder_is_named_after_the_warehouse_beside_it(tmp_path: Path) -> None:
    assert default_directory(tmp_path / "syncscope.duckdb") == tmp_path / "syncscope_published"


def test_a_publish_writes_one_version_folder_and_a_bi_file_of_views_only(db: Path) -> None:
    first = publish_marts(db)
    folder = db.parent / "w_published"
    assert (first.directory, first.rows, first.pruned, first.held) == (
        folder,
        {"as_of": 1, "sync_runs": 1},
        [],
        [],
    )
    assert sorted(p.name for p in folder.iterdir()) == [BI_FILE, first.version]
    parquet_and_bi = ["as_of.parquet", "sync_runs.parquet", BI_FILE]
    assert sorted(p.name for p in (folder / first.version).iterdir()) == parquet_and_bi
    assert os.path.samefile(folder / BI_FILE, folder / first.version / BI_FILE)
    assert (folder / BI_FILE).stat().st_mode & 0o777 == 0o444
    assert bi_query(first.bi_file, "select count(*) from duckdb_tables()") == [(0,)]
    views = bi_query(
        first.bi_file, "select schema_name, view_name, sql from duckdb_views() where not internal"
    )
    assert [(s, v) for s, v, _ in views] == [
        ("marts", "as_of"),
        ("marts", "sync_runs"),
        ("meta", "publication"),
    ]
    assert f"read_parquet('{folder}/{first.version}/sync_runs.parquet')" in views[1][2]
    assert bi_query(first.bi_file, "select version, warehouse from meta.publication") == [
        (first.version, str(db))
    ]  # fmt: skip


def test_an_empty_mart_is_published_as_an_empty_view_of_the_same_columns(db: Path) -> None:
    make_warehouse(db, runs=0)
    published = publish_marts(db)
    assert published.rows == {"as_of": 1, "sync_runs": 0}
    assert bi_query(published.bi_file, "select count(*) from marts.sync_runs") == [(0,)]
    with duckdb.connect(str(db), read_only=True) as con:
        columns = con.execute("describe marts.sync_runs").fetchall()
    assert bi_query(published.bi_file, "describe marts.sync_runs") == columns
    assert [c[0] for c in columns] == ["vendor", "run_id", "duration_s"]


def test_views_resolve_from_any_working_directory(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    published = publish_marts(db)
    monkeypatch.chdir("/")
    assert bi_query(published.bi_file, "select run_id, duration_s from marts.sync_runs") == [("0", 0.0)]


def test_a_reader_keeps_its_version_across_a_replace_and_sees_the_new_one_after_reconnecting(
    db: Path,
) -> None:
    first = publish_marts(db)
    reader = duckdb.connect(str(first.bi_file), read_only=True)
    make_warehouse(db, runs=5)
    second = publish_marts(db)
    state = "select count(*), max(version) from marts.sync_runs, meta.publication"
    assert reader.execute(state).fetchall() == [(1, first.version)]
    reader.close()
    assert bi_query(second.bi_file, state) == [(5, second.version)]
    assert versions(second.directory) == [first.version, second.version]


def test_versions_older_than_the_previous_are_pruned(db: Path) -> None:
    published = [publish_marts(db) for _ in range(4)]
    assert versions(published[-1].directory) == [published[2].version, published[3].version]
    assert [p.pruned for p in published] == [[], [], [published[0].version], [published[1].version]]


def test_a_version_a_reader_holds_is_kept_until_the_reader_closes(
    db: Path, start_reader: Callable[[Path], Reader]
) -> None:
    first = publish_marts(db)
    reader = start_reader(first.bi_file)
    make_warehouse(db, runs=3)
    later = [publish_marts(db) for _ in range(3)]
    assert [p.held for p in later] == [[], [first.version], [first.version]]
    assert versions(first.directory) == [first.version, later[1].version, later[2].version]
    lines = reader.stop()
    assert {(line["version"], line["counts"]["sync_runs"]) for line in lines} == {(first.version, 1)}
    last = publish_marts(db)
    assert last.pruned == [first.version, later[1].version]
    assert versions(first.directory) == [later[2].version, last.version]


def test_a_failed_publish_leaves_the_live_version_and_nothing_half_written(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = publish_marts(db)
    make_warehouse(db, runs=2)

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    for step in ("_write_bi_file", "_swap_in"):
        with monkeypatch.context() as patch:
            patch.setattr(publish, step, disk_full)
            with pytest.raises(OSError, match="No space left on device"):
                publish_marts(db)
        assert versions(first.directory) == [first.version]
        assert leftovers(first.directory) == []
        assert bi_query(first.bi_file, "select version from meta.publication") == [(first.version,)]


def test_leftovers_of_a_killed_publish_are_removed_by_the_next(db: Path) -> None:
    folder = default_directory(db)
    (folder / ".v20261118T000000000000Z.tmp").mkdir(parents=True)
    (folder / ".v20261118T000000000000Z.tmp" / "sync_runs.parquet").write_bytes(b"half")
    (folder / f".{BI_FILE}.tmp").write_bytes(b"half")
    published = publish_marts(db)
    assert sorted(p.name for p in folder.iterdir()) == [BI_FILE, published.version]


def test_version_names_keep_increasing_when_the_clock_goes_back(db: Path) -> None:
    now = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    first = publish_marts(db, now=now)
    second = publish_marts(db, now=now - timedelta(hours=1))
    assert (first.version, second.version) == ("v20261118T120000000000Z", "v20261118T120000000001Z")
    assert bi_query(second.bi_file, "select version from meta.publication") == [(second.version,)]


def test_without_hard_links_the_bi_file_is_copied_into_place(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*_: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(publish.os, "link", no_links)
    published = [publish_marts(db) for _ in range(3)]
    assert not os.path.samefile(
        published[-1].bi_file, published[-1].directory / published[-1].version / BI_FILE
    )
    assert bi_query(published[-1].bi_file, "select version from meta.publication") == [
        (published[-1].version,)
    ]
    assert versions(published[-1].directory) == [published[1].version, published[2].version]


def test_a_warehouse_without_marts_is_not_published(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(PublishError, match="has no marts to publish: build the models first"):
        publish_marts(db)
    assert versions(default_directory(db)) == [] and leftovers(default_directory(db)) == []


def test_a_publish_failure_exits_7_only_when_nothing_worse_happened() -> None:
    loaded, failed = VendorResult("timbal", "loaded"), VendorResult("paragon", "failed", error_kind="auth")
    assert RunOutcome([loaded], publish_error="disk full").exit_code == EXIT_PUBLISH
    assert RunOutcome([loaded, failed], publish_error="disk full").exit_code == EXIT_PARTIAL
    assert RunOutcome([loaded], model_error="bad sql").exit_code == EXIT_MODELS


@pytest.fixture(scope="module")
def warehouse(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("run") / "w.duckdb"
    result = syncscope("run", "--db", str(db), env=sandbox.env())
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    last = result.stdout.splitlines()[-1]
    assert last.startswith("publish     9 marts, ") and last.endswith(
        f"s: {db.parent / 'w_published' / BI_FILE}"
    )
    return db


def test_syncscope_run_publishes_views_equal_to_the_warehouse_marts_row_for_row(warehouse: Path) -> None:
    bi_file = warehouse.parent / "w_published" / BI_FILE
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as w (read_only)")
        con.execute(f"attach '{bi_file}' as bi (read_only)")
        tables = "select table_name from duckdb_tables() where database_name = 'w' and schema_name = 'marts'"
        marts = sorted(r[0] for r in con.execute(tables).fetchall())
        assert marts == ["as_of", "history_coverage", "record_errors", "sync_anomalies",
                         "sync_config_changes", "sync_daily", "sync_health", "sync_runs",
                         "syncs"]  # fmt: skip
        for mart in marts:
            assert (
                con.execute(f"describe w.marts.{mart}").fetchall()
                == con.execute(f"describe bi.marts.{mart}").fetchall()
            )
            counts = [
                con.execute(f"select count(*) from {d}.marts.{mart}").fetchone()[0] for d in ("w", "bi")
            ]
            # One run sees no configuration change; every other mart has rows.
            assert counts[0] == counts[1] > (-1 if mart == "sync_config_changes" else 0), mart
            for a, b in (("w", "bi"), ("bi", "w")):
                only_in_a = f"select * from {a}.marts.{mart} except all select * from {b}.marts.{mart}"
                differing = con.execute(f"select count(*) from ({only_in_a})").fetchone()[0]
                assert differing == 0, f"{mart}: {differing} rows of {a} not in {b}"


def test_a_failed_publish_exits_7_and_keeps_the_load(sandbox: Sandbox, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    (tmp_path / "w_published").write_text("a file where the publish folder belongs")
    result = syncscope("run", "--db", str(db), env=sandbox.env())
    assert result.returncode == EXIT_PUBLISH, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"publish     failed: [Errno 17] File exists: '{tmp_path / 'w_published'}'; "
        "BI tools keep the previous version"
    ]
    assert len(load_health(db)) == 3 * len(sandbox.world.ai_squared.syncs)


def test_a_bi_reader_open_across_two_runs_never_errors_and_sees_new_data_after_reconnecting(
    fresh_sandbox: Sandbox, tmp_path: Path, start_reader: Callable[[Path], Reader]
) -> None:
    db, folder = tmp_path / "w.duckdb", tmp_path / "w_published"
    assert syncscope("run", "--db", str(db), env=fresh_sandbox.env()).returncode == EXIT_OK
    reader = start_reader(folder / BI_FILE)
    opened = reader.lines()[0]
    spans = []
    for _ in range(2):
        fresh_sandbox.advance(3 * 3600)
        started = time.time()
        result = syncscope("run", "--db", str(db), env=fresh_sandbox.env())
        spans.append((started, time.time()))
        assert result.returncode == EXIT_OK, result.stdout + result.stderr
    reader.send("reconnect")
    lines = reader.stop()

    before = [line for line in lines if line["event"] != "reconnect"]
    assert {(line["version"], line["as_of"], json.dumps(line["counts"])) for line in before} == {
        (opened["version"], opened["as_of"], json.dumps(opened["counts"]))
    }  # fmt: skip
    assert all(any(start <= line["t"] <= end for line in before) for start, end in spans)
    [after] = [line for line in lines if line["event"] == "reconnect"]
    newest = versions(folder)
    assert newest[0] == opened["version"] and len(newest) == 3  # held by the reader, previous, current
    assert after["version"] == newest[-1] and after["as_of"] != opened["as_of"]
    assert after["counts"]["sync_runs"] > opened["counts"]["sync_runs"]
    with duckdb.connect(str(db), read_only=True) as con:
        assert after["counts"] == {m: con.execute(f"select count(*) from marts.{m}").fetchone()[0]
                                   for m in after["counts"]}  # fmt: skip
        assert after["as_of"] == str(con.execute("select max(as_of) from marts.as_of").fetchone()[0])

"""Issue 13, case 5: readers never break a run, and a held warehouse is one line and exit 10.

DuckDB lets one process hold a file for writing or several for reading, never both. A reader
opening the warehouse between two steps of a run made the run fail as "vendor failed" with
hundreds of traceback lines; a run's open file made `check` fail as unreadable.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines import runner, warehouse
from pipelines.exit_codes import EXIT_HELD, EXIT_OK
from pipelines.lock import warehouse_lock
from pipelines.run import run_all
from sandbox.service import Sandbox
from tests.cli.test_run_and_check import syncscope
from tests.conftest import small_config


@pytest.fixture(scope="module")
def box() -> Sandbox:
    with Sandbox(small_config(days=2, records=500)) as sandbox:
        yield sandbox


class Reader:
    """Another process with the warehouse open read-only until `close()`."""

    def __init__(self, db: Path) -> None:
        code = (
            "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print('open', flush=True); sys.stdin.readline(); c.close()"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout and self.process.stdout.readline().strip() == "open"

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.communicate("\n", timeout=60)


def test_a_reader_between_two_steps_of_a_run_is_waited_for(
    monkeypatch: pytest.MonkeyPatch, box: Sandbox, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    for name, value in box.env().items():
        monkeypatch.setenv(name, value)
    assert run_all(db, ["timbal"], publish=False).exit_code == EXIT_OK  # the warehouse exists
    readers: list[Reader] = []
    waits: list[float] = []

    def reader_opens(info: object) -> None:  # between the extract and the load, as `syncscope check` may
        readers.append(Reader(db))

    def writer_waits(seconds: float) -> None:  # the run found the file held: the reader finishes
        waits.append(seconds)
        readers[-1].close()

    monkeypatch.setattr(runner, "release_memory_after", reader_opens)
    monkeypatch.setattr(warehouse, "_pause", writer_waits, raising=False)
    box.advance(3600)
    outcome = run_all(db, ["timbal", "paragon"], publish=False)
    assert [(r.vendor, r.status, r.message) for r in outcome.results] == [
        ("timbal", "loaded", ""),
        ("paragon", "loaded", ""),
    ]
    assert outcome.exit_code == EXIT_OK
    assert len(readers) == 2 and waits, "each load met a reader and waited for it"


def test_a_run_meeting_a_reader_that_never_lets_go_exits_10_in_one_line(box: Sandbox, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    reader = Reader(db)
    try:
        env = {**box.env(), "WAREHOUSE__BUSY_TIMEOUT_SECONDS": "0.5"}
        result = syncscope("run", "--vendor", "timbal", "--db", str(db), env=env)
    finally:
        reader.close()
    assert result.returncode == EXIT_HELD, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        f"run: {db}: warehouse held by another process (pid {reader.process.pid}) for more than 0.5s; "
        "try again when it closes the file (BI tools should read the published copy)\n"
    )
    with warehouse_lock(db):  # released
        pass


def test_check_waits_for_a_writer_then_exits_10_in_one_line(box: Sandbox, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    loaded = syncscope("run", "--vendor", "paragon", "--db", str(db), "--no-publish", env=box.env())
    assert loaded.returncode == EXIT_OK
    writer = duckdb.connect(str(db))  # this process writes, as a run's load step does
    try:
        held = syncscope("check", "--db", str(db), env={"WAREHOUSE__BUSY_TIMEOUT_SECONDS": "0"})
        report = syncscope("report", "--db", str(db), env={"WAREHOUSE__BUSY_TIMEOUT_SECONDS": "0"})
    finally:
        writer.close()
    line = (
        f"{db}: warehouse held by another process (pid {os.getpid()}) for more than 0s; "
        "try again when it closes the file (BI tools should read the published copy)\n"
    )
    assert (held.returncode, held.stdout, held.stderr) == (EXIT_HELD, "", f"check: {line}")
    assert (report.returncode, report.stdout, report.stderr) == (EXIT_HELD, "", f"report: {line}")
    after = syncscope("check", "--db", str(db))  # the writer let go: check reads
    assert after.returncode in (0, 1) and after.stderr == ""


def test_check_reads_the_published_copy_while_a_writer_holds_the_warehouse(
    box: Sandbox, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    assert syncscope("run", "--vendor", "paragon", "--db", str(db), env=box.env()).returncode == EXIT_OK
    direct = syncscope("check", "--db", str(db), "--json")
    writer = duckdb.connect(str(db))
    try:
        held = syncscope("check", "--db", str(db), "--json", env={"WAREHOUSE__BUSY_TIMEOUT_SECONDS": "0"})
    finally:
        writer.close()
    assert (held.returncode, held.stdout) == (direct.returncode, direct.stdout)
    published = tmp_path / "w_published" / "syncscope_bi.duckdb"
    assert held.stderr == (
        f"WARNING syncscope.report: {db} is held by another process: read the published copy {published}\n"
    )

"""Issue 13, case 10: settings checked before any request, each a one-line error naming the key."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from pipelines import models
from pipelines.exit_codes import EXIT_CONFIG
from pipelines.models import ModelError, build
from pipelines.run import run_all
from pipelines.warehouse import WarehousePathError
from sandbox.service import Sandbox
from tests.cli.test_run_and_check import syncscope
from tests.conftest import small_config


@pytest.fixture(scope="module")
def box() -> Sandbox:
    with Sandbox(small_config(days=1, records=100)) as sandbox:
        yield sandbox


BAD = [
    ("ai_squared", "HTTP_CONCURRENCY", "0", "sources.ai_squared.http_concurrency must be at least 1, not 0"),
    ("timbal", "BASE_URL", "ftp://example.com/api",
     "sources.timbal.base_url must be an http:// or https:// URL with a host, not 'ftp://example.com/api'"),
    ("paragon", "BASE_URL", "not_a_url",
     "sources.paragon.base_url must be an http:// or https:// URL with a host, not 'not_a_url'"),
    ("timbal", "TIMEOUT_SECONDS", "0", "sources.timbal.timeout_seconds must be greater than 0, not 0"),
    ("ai_squared", "LOOKBACK_SECONDS", "-7200",
     "sources.ai_squared.lookback_seconds must be at least 0, not -7200"),
    ("paragon", "MAX_ATTEMPTS", "0", "sources.paragon.max_attempts must be at least 1, not 0"),
    ("timbal", "HTTP_CONCURRENCY", "100000",
     "sources.timbal.http_concurrency must be at most 256, not 100000"),
    ("ai_squared", "MAX_ATTEMPTS", "2.5",
     "sources.ai_squared.max_attempts must be a whole number, not '2.5'"),
]  # fmt: skip


@pytest.mark.parametrize(("vendor", "key", "value", "error"), BAD, ids=[f"{v}-{k}={x}" for v, k, x, _ in BAD])
def test_a_bad_setting_fails_before_any_request_naming_the_key(
    box: Sandbox, tmp_path: Path, vendor: str, key: str, value: str, error: str
) -> None:
    box.reset_requests(vendor)
    env = {**box.env(), f"SOURCES__{vendor.upper()}__{key}": value}
    result = syncscope("run", "--vendor", vendor, "--db", str(tmp_path / "w.duckdb"), env=env)
    assert result.returncode == EXIT_CONFIG, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == f"{vendor:<11} failed: {vendor}: {error}"
    assert box.requests(vendor) == []
    assert "Traceback" not in result.stderr


def test_a_db_that_is_not_duckdb_is_one_line_and_exit_2(box: Sandbox, tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("not a warehouse, but somebody's notes\n" * 10)
    box.reset_requests("timbal")
    result = syncscope("run", "--vendor", "timbal", "--db", str(db), env=box.env())
    assert (result.returncode, result.stdout) == (EXIT_CONFIG, "")
    assert result.stderr == f"run: --db {db}: not a DuckDB database file\n"
    assert box.requests("timbal") == []
    assert db.read_text().startswith("not a warehouse")


def test_a_db_on_a_read_only_file_system_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Root ignores permission bits, so the read-only file system is what os.access reports."""
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path else real(p, mode))
    with pytest.raises(WarehousePathError) as caught:
        run_all(tmp_path / "w.duckdb", ["timbal"], publish=False)
    assert str(caught.value) == f"--db {tmp_path / 'w.duckdb'}: folder {tmp_path} is not writable"


def test_disk_full_during_models_reports_the_real_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """DuckDB ends the transaction when a commit fails; the rollback after it fails too."""
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()

    class DiskFull:
        def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
            self.con, self.failed = con, False

        def execute(self, sql: str, *args: object) -> object:
            if sql == "commit":
                self.failed = True
                raise duckdb.IOException('Could not write file "w.duckdb.wal": No space left on device')
            if sql == "rollback" and self.failed:
                raise duckdb.TransactionException("cannot rollback - no transaction is active")
            return self.con.execute(sql, *args)

        def __enter__(self) -> DiskFull:
            return self

        def __exit__(self, *exc: object) -> None:
            self.con.close()

    monkeypatch.setattr(models, "connect", lambda db, read_only=False: DiskFull(duckdb.connect(str(db))))
    with pytest.raises(ModelError) as caught:
        build(db)
    assert str(caught.value) == (
        f'cannot build the models in {db}: Could not write file "w.duckdb.wal": No space left on device'
    )


def test_an_error_inside_a_generator_is_named_not_the_stop_iteration_it_interrupted() -> None:
    from pipelines.runner import root_cause

    def pages() -> object:
        try:
            next(iter([]))
        except StopIteration:
            raise KeyError("updated_at") from None

    try:
        try:
            pages()
        except KeyError as exc:
            exc.__context__ = StopIteration()  # as dlt's pipe leaves it
            raise RuntimeError("Pipeline execution failed at stage extract") from exc
    except RuntimeError as wrapped:
        cause = root_cause(wrapped)
    assert (type(cause), str(cause)) == (KeyError, "'updated_at'")

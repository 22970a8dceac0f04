"""`syncscope run --deliver` against a real local PostgreSQL: the delivered marts equal the warehouse's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.deliver.raw import raw_tables
from pipelines.exit_codes import EXIT_OK
from sandbox.service import Sandbox
from tests.conftest import small_config
from tests.deliver.compare import differences, pg_columns, pg_query, raw_differences, warehouse_marts

OWN_PREFIXES = ("SOURCES__", "DESTINATION__", "DELIVER__")


def syncscope(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The CLI with exactly the vendor and delivery variables given (none from the calling shell)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
    environment.update({"RUNTIME__DLTHUB_TELEMETRY": "false", **env})
    command = [sys.executable, "-m", "pipelines.cli", *args]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)


def deliver_env(box: Sandbox, url: str) -> dict[str, str]:
    return {**box.env(), "DELIVER__DESTINATION": "postgres", "DESTINATION__POSTGRES__CREDENTIALS": url}


def delivered(result: subprocess.CompletedProcess) -> dict:
    """The `deliver` event of a `--log-format json` run."""
    events = [json.loads(line) for line in result.stdout.splitlines()]
    return next(e for e in events if e["event"] == "deliver")


@pytest.fixture
def box() -> Sandbox:
    with Sandbox(small_config()) as sandbox:
        yield sandbox


# What a DuckDB mart column becomes in PostgreSQL (README: Delivery, type mapping).
TYPE_MAPPING = {
    "VARCHAR": "character varying",
    "BIGINT": "bigint",
    "DOUBLE": "double precision",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
}


def test_run_deliver_leaves_every_mart_equal_row_for_row(box: Sandbox, pg_url: str, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    result = syncscope("run", "--db", str(db), "--deliver", env=deliver_env(box, pg_url))
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("deliver     postgres syncscope: v")
    marts = warehouse_marts(db)
    # Nothing compared empty against empty (config changes and anomalies need a clock that moved).
    may_be_empty = {"sync_config_changes", "sync_anomalies"}
    assert all(rows for name, (_, rows) in marts.items() if name not in may_be_empty)
    assert differences(db, pg_url) == {}
    with duckdb.connect(str(db), read_only=True) as con:
        types = con.execute(
            "select table_name, column_name, data_type from duckdb_columns() where schema_name = 'marts' "
            "order by table_name, column_index"
        ).fetchall()
    for table in marts:
        expected = [(c, TYPE_MAPPING[t]) for name, c, t in types if name == table]
        assert pg_columns(pg_url, "syncscope", table) == expected
    rows = pg_query(pg_url, "select table_name, row_count from syncscope.delivery order by 1")
    assert rows == sorted((name, len(r)) for name, (_, r) in marts.items())
    versions = pg_query(pg_url, "select count(distinct version), min(as_of) from syncscope.delivery")
    with duckdb.connect(str(db), read_only=True) as con:
        as_of = con.execute("select as_of from marts.as_of").fetchall()[0][0]
    assert versions == [(1, as_of)]


def test_a_run_that_changed_nothing_sends_no_sync_runs_and_a_moved_clock_only_the_changed_rows(
    box: Sandbox, pg_url: str, tmp_path: Path
) -> None:
    db, env = tmp_path / "w.duckdb", deliver_env(box, pg_url)
    first = syncscope("run", "--db", str(db), "--deliver", "--log-format", "json", env=env)
    assert first.returncode == EXIT_OK, first.stderr
    total = len(warehouse_marts(db)["sync_runs"][1])
    assert (delivered(first)["full"], delivered(first)["sent"]["changed_sync_runs"]) == (True, total)

    again = syncscope("run", "--db", str(db), "--deliver", "--log-format", "json", env=env)
    assert again.returncode == EXIT_OK, again.stderr
    sent = delivered(again)["sent"]
    assert delivered(again)["full"] is False
    assert sent["changed_sync_runs"] <= total // 100
    assert (sent["changed_sync_runs"], sent["deleted_sync_runs"]) == (0, 0)

    before = set(warehouse_marts(db)["sync_runs"][1])
    box.advance(3 * 3600)
    moved = syncscope("run", "--db", str(db), "--deliver", "--log-format", "json", env=env)
    assert moved.returncode == EXIT_OK, moved.stderr
    after = set(warehouse_marts(db)["sync_runs"][1])
    keys_after = {row[:3] for row in after}
    changed = after - before
    gone = {row[:3] for row in before} - keys_after
    assert changed  # the clock moved: new runs started, running ones finished
    sent = delivered(moved)["sent"]
    assert (sent["changed_sync_runs"], sent["deleted_sync_runs"]) == (len(changed), len(gone))
    assert differences(db, pg_url) == {}


def test_deliver_without_a_destination_is_exit_2_before_any_load(
    box: Sandbox, pg_url: str, tmp_path: Path
) -> None:
    env = {**box.env(), "DESTINATION__POSTGRES__CREDENTIALS": pg_url}
    result = syncscope("run", "--db", str(tmp_path / "w.duckdb"), "--deliver", env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        'run: deliver.destination is not set: add [deliver] destination = "postgres" to .dlt/config.toml'
    ]
    assert not (tmp_path / "w.duckdb").exists()


def test_raw_delivery_copies_every_raw_table_and_then_only_its_changed_rows(
    box: Sandbox, pg_url: str, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    env = {**deliver_env(box, pg_url), "DELIVER__WHAT": "marts,raw"}
    first = syncscope("run", "--db", str(db), "--deliver", "--log-format", "json", env=env)
    assert first.returncode == EXIT_OK, first.stderr
    assert raw_differences(db, pg_url) == {}
    assert differences(db, pg_url) == {}
    labels = [
        r[0]
        for r in pg_query(pg_url, "select table_name from syncscope.delivery where table_name like 'raw%'")
    ]
    with duckdb.connect(str(db), read_only=True) as con:
        raw = raw_tables(con)
    assert sorted(labels) == sorted(f"{r.schema}.{r.table}" for r in raw)
    assert len(raw) >= 6

    again = syncscope("run", "--db", str(db), "--deliver", "--log-format", "json", env=env)
    sent = delivered(again)["sent"]
    keyed = [f"{r.schema}_{r.table}" for r in raw if r.key]
    assert {name: sent[f"changed_{name}"] for name in keyed} == dict.fromkeys(keyed, 0)
    box.advance(3 * 3600)
    moved = syncscope("run", "--db", str(db), "--deliver", "--log-format", "json", env=env)
    assert moved.returncode == EXIT_OK, moved.stderr
    assert delivered(moved)["sent"]["changed_raw_ai_squared_sync_runs"] > 0
    assert raw_differences(db, pg_url) == {}


def test_deliver_alone_sends_the_marts_a_run_built(box: Sandbox, pg_url: str, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    assert syncscope("run", "--db", str(db), env=box.env()).returncode == EXIT_OK
    env = {"DESTINATION__POSTGRES__CREDENTIALS": pg_url}
    result = syncscope("deliver", "--db", str(db), "--destination", "postgres", env=env)
    assert (result.returncode, result.stderr) == (EXIT_OK, "")
    marts = warehouse_marts(db)
    total = sum(len(rows) for _, rows in marts.values())
    version = pg_query(pg_url, "select distinct version from syncscope.delivery")[0][0]
    assert result.stdout.startswith(
        f"deliver     postgres syncscope: {version}, {total:,} rows in {len(marts)} tables, "
    )
    assert differences(db, pg_url) == {}
    again = syncscope("deliver", "--db", str(db), "--destination", "postgres", env=env)
    assert (again.returncode, again.stderr) == (EXIT_OK, "")
    assert again.stdout.startswith(
        f"deliver     postgres syncscope: {version}, {total:,} rows in {len(marts)} tables, "
        "unchanged since the last delivery in "
    )

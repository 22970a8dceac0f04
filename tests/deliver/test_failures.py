"""A delivery that fails never undoes the local load or the BI copy, prints no secret, and heals next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg2
import pytest

from pipelines.exit_codes import EXIT_DELIVER, EXIT_OK
from pipelines.publish import BI_FILE
from sandbox.service import Sandbox
from tests.conftest import small_config
from tests.deliver.compare import differences, pg_query, warehouse_marts
from tests.deliver.conftest import require_postgres
from tests.deliver.pg_server import PASSWORD, PostgresServer, remove, start_server
from tests.deliver.test_postgres import OWN_PREFIXES, deliver_env, delivered, syncscope


@pytest.fixture
def box() -> Iterator[Sandbox]:
    with Sandbox(small_config()) as sandbox:
        yield sandbox


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A server this test may stop and start (the session's is shared)."""
    require_postgres()
    server = start_server()
    server.psql("create database d")
    yield server
    remove(server)


def bi_counts(db: Path) -> tuple[str, int]:
    bi = db.with_name(f"{db.stem}_published") / BI_FILE
    with duckdb.connect(str(bi), read_only=True) as con:
        version = con.execute("select version from meta.publication").fetchall()[0][0]
        return version, con.execute("select count(*) from marts.sync_runs").fetchall()[0][0]


def delivered_version(url: str) -> list[tuple]:
    return pg_query(url, "select distinct version from syncscope.delivery")


def test_postgres_down_exits_12_keeps_the_local_marts_and_bi_copy_and_the_next_run_catches_up(
    box: Sandbox, own_server: PostgresServer, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    first = syncscope("run", "--db", str(db), "--deliver", env=deliver_env(box, own_server.url("d")))
    assert first.returncode == EXIT_OK, first.stderr
    v1 = delivered_version(own_server.url("d"))
    own_server.stop()
    box.advance(3 * 3600)
    port = own_server.port
    down = syncscope("run", "--db", str(db), "--deliver", env=deliver_env(box, own_server.url("d")))
    assert down.returncode == EXIT_DELIVER, down.stdout + down.stderr
    assert down.stderr.splitlines() == [
        f'deliver     failed: postgres (dataset syncscope): connection to server at "127.0.0.1", port {port} '
        "failed: Connection refused; the next run delivers again"
    ]
    assert [line.split()[0] for line in down.stdout.splitlines()] == [
        "ai_squared", "timbal", "paragon", "models", "tests", "publish",
    ]  # fmt: skip
    local = len(warehouse_marts(db)["sync_runs"][1])
    assert bi_counts(db)[1] == local  # the BI copy was published from this run's marts

    own_server.start()
    url = own_server.url("d")
    assert delivered_version(url) == v1  # nothing of the failed run reached the destination
    assert differences(db, url)["sync_runs"] != ""
    caught_up = syncscope("run", "--db", str(db), "--deliver", env=deliver_env(box, url))
    assert caught_up.returncode == EXIT_OK, caught_up.stderr
    assert differences(db, url) == {}


def test_a_wrong_password_is_one_line_without_any_secret(box: Sandbox, pg_url: str, tmp_path: Path) -> None:
    wrong = "Wr0ng-and-secret"
    url = pg_url.replace(PASSWORD, wrong)
    result = syncscope("run", "--db", str(tmp_path / "w.duckdb"), "--deliver", env=deliver_env(box, url))
    assert result.returncode == EXIT_DELIVER
    port = url.split(":")[3].split("/")[0]
    assert result.stderr.splitlines() == [
        f'deliver     failed: postgres (dataset syncscope): connection to server at "127.0.0.1", port {port} '
        'failed: FATAL:  password authentication failed for user "postgres"; the next run delivers again'
    ]
    assert wrong not in result.stdout + result.stderr


def test_deliver_alone_names_the_missing_credential_and_prints_no_secret(tmp_path: Path) -> None:
    env = {"DELIVER__DESTINATION": "postgres", "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD": "Sec-ret-1"}
    result = syncscope("deliver", "--db", str(tmp_path / "w.duckdb"), env=env)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "deliver: destination.postgres.credentials.database is missing for the postgres delivery "
        "(env DESTINATION__POSTGRES__CREDENTIALS__DATABASE or .dlt/secrets.toml)"
    ]


def wait_for_a_blocked_backend(url: str, process: subprocess.Popen) -> None:
    """Until a backend of the delivering process waits on the test's lock."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        waiting = pg_query(
            url,
            "select count(*) from pg_stat_activity "
            "where wait_event_type = 'Lock' and datname = current_database()",
        )
        if waiting[0][0]:
            return
        time.sleep(0.05)
    raise AssertionError(f"the delivery never reached the lock: {process.communicate()}")


# Where the delivery is killed, and the lock that holds it there:
KILL_POINTS = {
    # its final transaction, after every mart's rows were replaced, waiting to rewrite `delivery`
    "final transaction": "select * from syncscope.delivery for update",
    # dlt loading the changed runs into the load schema (a package left half loaded); the load
    # schema exists once a delivery sent changes (a first delivery COPYs into the live tables)
    "dlt load": "lock table syncscope_load.changed_sync_runs in access exclusive mode",
}


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_a_delivery_killed_mid_way_changes_nothing_and_the_next_run_mends_it(
    point: str, box: Sandbox, pg_url: str, tmp_path: Path
) -> None:
    db, env = tmp_path / "w.duckdb", deliver_env(box, pg_url)
    assert syncscope("run", "--db", str(db), "--deliver", env=env).returncode == EXIT_OK
    box.advance(3600)
    assert syncscope("run", "--db", str(db), "--deliver", env=env).returncode == EXIT_OK  # sends changes
    v1 = delivered_version(pg_url)
    before = pg_query(pg_url, "select count(*) from syncscope.sync_runs")
    box.advance(3 * 3600)
    holder = psycopg2.connect(pg_url)
    holder.cursor().execute(KILL_POINTS[point])
    environment = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
    run = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--db", str(db), "--deliver"],
        env={**environment, "RUNTIME__DLTHUB_TELEMETRY": "false", **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for_a_blocked_backend(pg_url, run)
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=60)
    finally:
        holder.rollback()
        holder.close()
    assert run.returncode == -signal.SIGKILL
    assert delivered_version(pg_url) == v1
    assert pg_query(pg_url, "select count(*) from syncscope.sync_runs") == before
    assert differences(db, pg_url)  # the warehouse moved on; the destination did not

    mended = syncscope("run", "--db", str(db), "--deliver", env=env)
    assert mended.returncode == EXIT_OK, mended.stderr
    assert differences(db, pg_url) == {}


def test_rows_deleted_in_the_destination_by_hand_are_mended_by_the_next_delivery(
    box: Sandbox, pg_url: str, tmp_path: Path
) -> None:
    db, env = tmp_path / "w.duckdb", deliver_env(box, pg_url)
    assert syncscope("run", "--db", str(db), "--deliver", env=env).returncode == EXIT_OK
    with psycopg2.connect(pg_url) as con, con.cursor() as cur:
        cur.execute("delete from syncscope.sync_runs where vendor = 'timbal'")
        assert cur.rowcount > 0
    con.close()
    assert differences(db, pg_url)["sync_runs"]
    again = syncscope("run", "--db", str(db), "--deliver", "--log-format", "json", env=env)
    assert again.returncode == EXIT_OK, again.stderr
    assert delivered(again)["full"] is True  # the changes alone (none) could not mend it
    assert differences(db, pg_url) == {}

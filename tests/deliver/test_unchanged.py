"""A delivery with nothing changed reads and sends nothing; any change after it is still delivered.

In process (`deliver()`), on copies of one warehouse built by `syncscope run` per module.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import psycopg2
import pytest

from pipelines import models
from pipelines.deliver import DeliverSettings, Delivery, DeliveryError, changes, deliver, snapshot, unchanged
from pipelines.exit_codes import EXIT_OK
from pipelines.runner import run_vendor
from sandbox.service import Sandbox
from tests.conftest import small_config
from tests.deliver.compare import differences, pg_query, raw_differences, warehouse_marts
from tests.deliver.conftest import require_postgres
from tests.deliver.test_postgres import syncscope

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = DeliverSettings("postgres")


@pytest.fixture(scope="module")
def built(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_postgres()
    db = tmp_path_factory.mktemp("built") / "w.duckdb"
    result = syncscope("run", "--db", str(db), "--no-publish", env=sandbox.env())
    assert result.returncode == EXIT_OK, result.stderr
    return db


@pytest.fixture
def db(built: Path, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the module's warehouse, with no delivery record, delivering to a fresh database."""
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", pg_url)
    copy = tmp_path / "w.duckdb"
    shutil.copy(built, copy)
    return copy


def runs(db: Path) -> set[tuple]:
    return set(warehouse_marts(db)["sync_runs"][1])


def forbid_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """A delivery that reads the marts or hashes a row fails."""

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the marts were read")

    monkeypatch.setattr(snapshot, "read", refuse)
    monkeypatch.setattr(changes, "compute", refuse)


def loads_in(url: str) -> int:
    return pg_query(url, "select count(*) from syncscope._dlt_loads")[0][0]


def test_a_first_delivery_copies_straight_into_the_live_tables(db: Path, pg_url: str) -> None:
    first = deliver(db, POSTGRES)
    marts = warehouse_marts(db)
    assert first.full is True
    assert first.sent == {
        **{name: len(rows) for name, (_, rows) in marts.items() if name != "sync_runs"},
        "changed_sync_runs": len(marts["sync_runs"][1]),
        "deleted_sync_runs": 0,
        "delivery": len(marts),
    }
    # Nothing went through dlt's load dataset: no table was loaded twice.
    assert pg_query(pg_url, "select count(*) from pg_tables where schemaname = 'syncscope_load'") == [(0,)]
    assert differences(db, pg_url) == {}


def test_nothing_changed_reads_and_sends_nothing_even_after_a_rebuild_of_the_same_inputs(
    db: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = deliver(db, POSTGRES)
    loads = loads_in(pg_url)
    models.build(db, sensitivity_overrides={})  # the same raw tables, SQL and settings
    forbid_reading(monkeypatch)
    again = deliver(db, POSTGRES)
    assert again.unchanged is True
    assert (again.version, again.rows, again.full) == (first.version, first.rows, False)
    assert again.sent == dict.fromkeys(first.sent, 0)
    assert loads_in(pg_url) == loads  # no dlt run reached the destination
    assert pg_query(pg_url, "select distinct version from syncscope.delivery") == [(first.version,)]
    assert differences(db, pg_url) == {}


def test_a_warehouse_file_not_written_since_the_last_delivery_is_not_even_opened(
    db: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unchanged, "QUIET_NS", 0)  # the copy was just written; trust its times now
    deliver(db, POSTGRES)
    opened = []
    real = unchanged.of_warehouse
    monkeypatch.setattr(unchanged, "of_warehouse", lambda *a: opened.append(a) or real(*a))
    assert (deliver(db, POSTGRES).unchanged, opened) == (True, [])
    models.build(db, sensitivity_overrides={})  # written: opened, found the same
    assert (deliver(db, POSTGRES).unchanged, len(opened)) == (True, 1)
    models.build(db, as_of=first_as_of(db) - timedelta(days=1), sensitivity_overrides={})
    assert (deliver(db, POSTGRES).unchanged, len(opened)) == (False, 2)
    assert differences(db, pg_url) == {}


def first_as_of(db: Path) -> object:
    return warehouse_marts(db)["as_of"][1][0][0]


def test_a_rebuild_at_another_as_of_after_a_no_op_delivers_exactly_the_changed_rows(
    db: Path, pg_url: str
) -> None:
    deliver(db, POSTGRES)
    assert deliver(db, POSTGRES).unchanged is True
    before = runs(db)
    as_of = warehouse_marts(db)["as_of"][1][0][0]
    models.build(db, as_of=as_of - timedelta(days=2), sensitivity_overrides={})
    after = runs(db)
    moved = deliver(db, POSTGRES)
    assert moved.unchanged is False
    assert moved.sent["changed_sync_runs"] == len(after - before)
    assert moved.sent["sync_health"] == len(warehouse_marts(db)["sync_health"][1])
    assert pg_query(pg_url, "select distinct as_of from syncscope.delivery") == [(as_of - timedelta(days=2),)]
    assert differences(db, pg_url) == {}


def test_an_edited_mart_after_a_no_op_is_delivered(db: Path, pg_url: str, tmp_path: Path) -> None:
    deliver(db, POSTGRES)
    assert deliver(db, POSTGRES).unchanged is True
    sql = tmp_path / "sql"
    shutil.copytree(ROOT / "sql", sql)
    mart = sql / "marts" / "sync_runs.sql"
    mart.write_text(
        mart.read_text().replace("select * from final", "select * from final where vendor <> 'timbal'")
    )
    timbal = {r for r in runs(db) if r[0] == "timbal"}
    assert timbal
    models.build(db, sql_dir=sql, sensitivity_overrides={})
    edited = deliver(db, POSTGRES)
    assert edited.unchanged is False
    assert (edited.sent["changed_sync_runs"], edited.sent["deleted_sync_runs"]) == (0, len(timbal))
    assert differences(db, pg_url) == {}


def test_the_destination_losing_rows_a_table_or_everything_after_a_no_op_is_noticed(
    db: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(db, POSTGRES)
    assert deliver(db, POSTGRES).unchanged is True
    with psycopg2.connect(pg_url) as con, con.cursor() as cur:
        cur.execute("delete from syncscope.sync_runs where vendor = 'timbal'")
        assert cur.rowcount > 0
    con.close()
    mended = deliver(db, POSTGRES)
    assert (mended.unchanged, mended.full) == (False, True)
    assert differences(db, pg_url) == {}

    with psycopg2.connect(pg_url) as con, con.cursor() as cur:  # reset: the schema is gone
        cur.execute("drop schema syncscope cascade")
    con.close()
    reset = deliver(db, POSTGRES)
    assert (reset.unchanged, reset.full) == (False, True)
    assert differences(db, pg_url) == {}

    assert deliver(db, POSTGRES).unchanged is True
    with psycopg2.connect(pg_url) as con, con.cursor() as cur:
        cur.execute("drop table syncscope.sync_health")
    con.close()
    with pytest.raises(DeliveryError) as dropped:  # as a delivery always said
        deliver(db, POSTGRES)
    assert str(dropped.value) == (
        'postgres (dataset syncscope): relation "syncscope.sync_health" does not exist; '
        "the next run delivers again"
    )


def test_a_column_dropped_by_hand_after_a_no_op_fails_the_delivery(db: Path, pg_url: str) -> None:
    deliver(db, POSTGRES)
    assert deliver(db, POSTGRES).unchanged is True
    with psycopg2.connect(pg_url) as con, con.cursor() as cur:
        cur.execute("alter table syncscope.syncs drop column vendor")
    con.close()
    with pytest.raises(DeliveryError) as altered:
        deliver(db, POSTGRES)
    assert 'column "vendor" of relation "syncs" does not exist' in str(altered.value)


@pytest.fixture
def box() -> Iterator[Sandbox]:
    with Sandbox(small_config()) as sandbox:
        yield sandbox


def raw_runs(db: Path) -> set[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        cols = ", ".join(f'"{c}"' for c in changes.columns_of(con, "raw_timbal.sync_runs"))
        return set(con.execute(f"select {cols} from raw_timbal.sync_runs").fetchall())


def test_raw_rows_loaded_without_a_rebuild_are_delivered_and_the_marts_stay_unchanged(
    box: Sandbox, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_postgres()
    db = tmp_path / "w.duckdb"
    assert syncscope("run", "--db", str(db), "--no-publish", env=box.env()).returncode == EXIT_OK
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", pg_url)
    with_raw = DeliverSettings("postgres", what=("marts", "raw"))
    deliver(db, with_raw)
    assert deliver(db, with_raw).unchanged is True
    box.advance(3 * 3600)
    for name, value in box.env().items():
        monkeypatch.setenv(name, value)
    before = raw_runs(db)
    run_vendor("timbal", db)  # loads raw_timbal; the marts are not rebuilt
    after = raw_runs(db)
    assert after - before
    moved = deliver(db, with_raw)
    assert moved.unchanged is False
    assert moved.sent["changed_raw_timbal_sync_runs"] == len(after - before)
    assert raw_differences(db, pg_url) == {}
    assert differences(db, pg_url) == {}


def test_a_warehouse_without_a_build_stamp_is_always_delivered(db: Path, pg_url: str) -> None:
    with duckdb.connect(str(db)) as con:  # as built by a syncscope before the stamp
        con.execute(f"drop table {models.STAMP}")
    first: Delivery = deliver(db, POSTGRES)
    again = deliver(db, POSTGRES)
    assert (again.unchanged, again.full, again.sent["changed_sync_runs"]) == (False, False, 0)
    assert again.version != first.version
    assert differences(db, pg_url) == {}

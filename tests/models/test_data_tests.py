"""Data tests: key lines declared in every model header, generated key tests, and a negative
control for each test (a hand-made warehouse where it must fail, with the rows it must show)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.data_tests import SHOWN, DataTest, key_tests, run_tests
from pipelines.models import SQL_DIR, ModelError, build, discover

AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RECONCILE = "sql/tests/marts_reconcile_with_raw.sql"
RATES = "sql/tests/success_rates_in_range.sql"


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """AI Squared only: syncs 1 and 2, three runs, three failed records with an error (two written
    at the same instant, last), one without (it counts in a group of its own)."""
    db = tmp_path / "hand.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema raw_ai_squared")
        con.execute(
            "create table raw_ai_squared.syncs as select * from (values "
            "(1, 'a', 'healthy', 1, 'hours', timestamptz '2026-11-01 00:00:00+00'),"
            "(2, 'b', 'healthy', 1, 'hours', timestamptz '2026-11-01 00:00:00+00')"
            ") t(id, stream_name, status, sync_interval, sync_interval_unit, created_at)"
        )
        con.execute(
            "create table raw_ai_squared.sync_runs as select * from (values "
            "(11, 1, 'success', timestamptz '2026-11-20 09:00:00+00', timestamptz '2026-11-20 09:10:00+00'),"
            "(12, 1, 'failed', timestamptz '2026-11-20 10:00:00+00', null),"
            "(21, 2, 'success', timestamptz '2026-11-19 09:00:00+00', timestamptz '2026-11-19 09:05:00+00')"
            ") t(id, sync_id, status, created_at, finished_at)"
        )
        con.execute(
            "create table raw_ai_squared.sync_records as select * from (values "
            "(101, 1, 11, 'failed', 'row 7 rejected', timestamptz '2026-11-20 09:05:00+00'),"
            "(102, 1, 11, 'failed', 'row 8 rejected', timestamptz '2026-11-20 09:06:00+00'),"
            "(103, 1, 11, 'failed', null, timestamptz '2026-11-20 09:07:00+00'),"
            "(104, 1, 11, 'failed', 'row 6 rejected', timestamptz '2026-11-20 09:06:00+00')"
            ") t(id, sync_id, sync_run_id, status, error, updated_at)"
        )
    build(db, as_of=AS_OF)
    return db


def failing(db: Path, sql_dir: Path = SQL_DIR) -> dict[str, DataTest]:
    return {t.name: t for t in run_tests(db, sql_dir) if t.failed}


def tamper(db: Path, *statements: str) -> None:
    with duckdb.connect(str(db)) as con:
        for statement in statements:
            con.execute(statement)


def test_the_hand_made_warehouse_passes_every_test(warehouse: Path) -> None:
    tests = run_tests(warehouse)
    assert [t.summary() for t in tests if t.failed] == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for mart in ("sync_runs", "syncs", "sync_health", "sync_daily", "record_errors"):
            assert con.execute(f"select count(*) from marts.{mart}").fetchone()[0] > 0, mart


def test_the_example_error_is_the_newest_message_ties_broken_by_text(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select error_fingerprint, example_error, failed_records from marts.record_errors order by 1"
        )
        assert rows.fetchall() == [("(no error message)", None, 1), ("row <n> rejected", "row 8 rejected", 3)]


def test_every_model_declares_a_key_and_gets_its_tests() -> None:
    models = discover()
    names = {t.name for t in run_tests_names(models)}
    for model in models:
        if model.key:
            assert f"{model.name} key unique ({', '.join(model.key)})" in names
            assert f"{model.name} key not null ({', '.join(model.key)})" in names
        else:
            assert f"{model.name} one row" in names
    keys = {m.name: m.key for m in models}
    assert keys["marts.sync_runs"] == ("vendor", "sync_id", "run_id")
    assert keys["marts.as_of"] == ()
    assert keys["marts.sync_config_changes"] == ("vendor", "sync_id", "changed_at", "field")
    assert {m.name for m in models if m.schema == "staging"} <= set(keys)


def run_tests_names(models: list) -> list[DataTest]:
    return [DataTest(name) for model in models for name, _ in key_tests(model)]


def test_a_model_without_a_key_line_is_refused_naming_the_file(tmp_path: Path) -> None:
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    path = sql / "marts" / "syncs.sql"
    path.write_text(
        "\n".join(line for line in path.read_text().splitlines() if not line.startswith("-- key:"))
    )
    with pytest.raises(ModelError) as refused:
        discover(sql)
    assert str(refused.value) == (
        "sql/marts/syncs.sql: no key line; add `-- key: <column>, ...` (or `-- key: one row`) "
        "after the grain line"
    )
    path.write_text("-- key: vendor\n-- grain: one row per sync.\nselect 1 as vendor")
    with pytest.raises(ModelError) as refused:
        discover(sql)
    assert (
        str(refused.value)
        == "sql/marts/syncs.sql: no grain line; the first line is `-- grain: one row per ...`"
    )
    path.write_text("-- grain: one row per sync.\n-- key: vendor, sync id\nselect 1 as vendor")
    with pytest.raises(ModelError, match=r"^sql/marts/syncs\.sql: key line: 'sync id' is not a column name$"):
        discover(sql)


def test_a_key_column_the_model_lacks_fails_the_build(tmp_path: Path) -> None:
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    (sql / "marts" / "zz_extra.sql").write_text(
        "-- grain: one row.\n-- key: vendor, nope\nselect 'x' as vendor"
    )
    with pytest.raises(ModelError) as refused:
        build(tmp_path / "w.duckdb", sql_dir=sql)
    assert str(refused.value) == "sql/marts/zz_extra.sql: key column nope is not a column of marts.zz_extra"


def test_a_duplicated_key_fails_unique_and_shows_the_rows(warehouse: Path) -> None:
    tamper(
        warehouse, "insert into marts.sync_health (vendor, sync_id, health) values ('ai_squared', '1', 'x')"
    )
    failed = failing(warehouse)
    assert sorted(failed) == ["marts.sync_health key unique (vendor, sync_id)", RECONCILE]
    test = failed["marts.sync_health key unique (vendor, sync_id)"]
    assert test.report() == (
        "marts.sync_health key unique (vendor, sync_id): 1 offending row\n"
        "    vendor='ai_squared', sync_id='1', copies=2"
    )


def test_a_null_key_fails_not_null(warehouse: Path) -> None:
    tamper(
        warehouse,
        "insert into marts.sync_daily (vendor, sync_id, day, runs) values ('ai_squared', '1', null, 0)",
    )
    failed = failing(warehouse)
    assert sorted(failed) == ["marts.sync_daily key not null (vendor, sync_id, day)"]
    assert failed["marts.sync_daily key not null (vendor, sync_id, day)"].failures == 1


def test_a_second_row_fails_a_one_row_model(warehouse: Path) -> None:
    tamper(warehouse, "insert into marts.as_of select * from marts.as_of")
    failed = failing(warehouse)
    assert sorted(failed) == ["marts.as_of one row"]
    assert failed["marts.as_of one row"].shown_rows() == ["row_count=2"]


def test_a_duplicated_raw_row_fails_the_staging_view_key(warehouse: Path) -> None:
    """Staging views are tested too: nothing can be inserted into a view, so the raw table is."""
    tamper(
        warehouse, "insert into raw_ai_squared.sync_runs select * from raw_ai_squared.sync_runs where id = 12"
    )
    build(warehouse, as_of=AS_OF)
    failed = failing(warehouse)
    assert {
        "staging.stg_ai_squared__sync_runs key unique (vendor, run_id)",
        "marts.sync_runs key unique (vendor, sync_id, run_id)",
        RECONCILE,
    } == set(failed)
    assert failed["staging.stg_ai_squared__sync_runs key unique (vendor, run_id)"].rows == [
        ("ai_squared", "12", 2)
    ]


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (
            ["delete from marts.sync_runs where run_id = '21'"],
            [
                ("marts.sync_daily runs = marts.sync_runs rows with a time", "ai_squared", 2, 3),
                ("marts.sync_runs rows = raw runs", "ai_squared", 3, 2),
            ],
        ),
        (
            ["delete from marts.syncs where sync_id = '2'"],
            [
                ("marts.sync_health rows = marts.syncs rows", "ai_squared", 1, 2),
                ("marts.syncs rows = raw syncs", "ai_squared", 2, 1),
            ],
        ),
        (
            ["update marts.record_errors set failed_records = failed_records + 1"],
            [("marts.record_errors failed_records = raw failed records", "ai_squared", 4, 6)],
        ),
        (
            ["create schema raw_timbal", "create table raw_timbal.sync_runs as select 'job-1' as job_id"],
            [("marts.sync_runs rows = raw runs", "timbal", 1, 0)],
        ),
    ],
    ids=["a run lost", "a sync lost", "records miscounted", "a vendor's raw runs not modelled"],
)
def test_marts_that_disagree_with_raw_fail_the_reconciliation(
    warehouse: Path, statements: list[str], expected: list[tuple]
) -> None:
    tamper(warehouse, *statements)
    failed = failing(warehouse)
    assert set(failed) == {RECONCILE}
    assert sorted(failed[RECONCILE].rows) == expected
    assert failed[RECONCILE].columns == ["reconciliation", "vendor", "expected", "found"]


def test_a_rate_outside_zero_one_fails(warehouse: Path) -> None:
    tamper(warehouse, "update marts.sync_health set success_rate_7d = 1.5 where sync_id = '2'")
    failed = failing(warehouse)
    assert set(failed) == {RATES}
    assert failed[RATES].rows == [("sync_health.success_rate_7d", 1.5)]


def test_many_offending_rows_show_a_few_and_count_all(warehouse: Path) -> None:
    tamper(warehouse, "insert into marts.syncs (vendor, sync_id) select 'ai_squared', '1' from range(40)")
    test = failing(warehouse)["marts.syncs key unique (vendor, sync_id)"]
    assert test.failures == 1 and test.rows == [("ai_squared", "1", 41)]
    tamper(warehouse, "insert into marts.syncs (vendor, sync_id) select 'ai_squared', null from range(40)")
    test = failing(warehouse)["marts.syncs key not null (vendor, sync_id)"]
    assert test.failures == 40 and len(test.rows) == SHOWN
    assert test.report().splitlines()[-1] == f"    ... and {40 - SHOWN} more"


def test_a_test_file_that_cannot_run_fails_in_one_line_naming_it(warehouse: Path, tmp_path: Path) -> None:
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    (sql / "tests" / "broken.sql").write_text("select * form marts.syncs where")
    (sql / "tests" / "no_such_column.sql").write_text("select nope from marts.syncs")
    (sql / "tests" / "two.sql").write_text("select 1; select 2")
    failed = failing(warehouse, sql)
    assert set(failed) == {"sql/tests/broken.sql", "sql/tests/no_such_column.sql", "sql/tests/two.sql"}
    assert (
        failed["sql/tests/broken.sql"]
        .summary()
        .startswith("sql/tests/broken.sql cannot run: line 1 syntax error")
    )
    assert (
        failed["sql/tests/no_such_column.sql"]
        .summary()
        .startswith("sql/tests/no_such_column.sql cannot run: Binder Error: ")
    )
    assert failed["sql/tests/two.sql"].summary() == (
        "sql/tests/two.sql cannot run: a data test is exactly one SELECT of the offending rows"
    )
    assert all("\n" not in t.report() for t in failed.values())

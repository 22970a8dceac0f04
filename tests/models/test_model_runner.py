"""The model runner: dependency order from the SQL, one transaction, empty staging before loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.data_tests import run_tests
from pipelines.models import SQL_DIR, ModelError, build, discover, order

HEADER = "-- grain: one row.\n-- key: one row\n"  # what every model starts with


def copy_sql(tmp_path: Path) -> Path:
    target = tmp_path / "sql"
    shutil.copytree(SQL_DIR, target)
    return target


def test_build_order_follows_what_each_model_reads() -> None:
    names = [m.name for m in order(discover())]
    for model in discover():
        for read in model.reads:
            if read in names:
                assert names.index(read) < names.index(model.name), (read, model.name)
    assert names.index("marts.sync_runs") < names.index("marts.sync_health")


def test_a_warehouse_with_no_vendor_loaded_builds_empty_staging_and_marts(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    result = build(db)
    assert "staging.stg_ai_squared__sync_runs" in result.models
    assert "raw_ai_squared.sync_runs" in result.stubbed
    with duckdb.connect(str(db), read_only=True) as con:
        views = {
            r[0]
            for r in con.execute(
                "select view_name from duckdb_views() where schema_name = 'staging'"
            ).fetchall()
        }
        assert {m.name.split(".")[1] for m in discover() if m.schema == "staging"} <= views
        for table in ("sync_runs", "sync_health", "sync_daily", "record_errors", "syncs"):
            assert con.execute(f"select count(*) from marts.{table}").fetchall() == [(0,)]
        column_types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'sync_runs'"
            ).fetchall()
        )
    assert column_types["started_at"] == "TIMESTAMP WITH TIME ZONE"
    assert column_types["duration_s"] == "DOUBLE"
    assert column_types["rows_synced"] == "BIGINT"
    assert [t.summary() for t in run_tests(db) if t.failed] == []


def test_a_model_with_a_syntax_error_is_named_and_old_marts_stay(tmp_path: Path) -> None:
    """The old marts hold rows a rebuild would drop, so "they stay" is checked on their content."""
    db = tmp_path / "w.duckdb"
    build(db)
    with duckdb.connect(str(db)) as con:
        con.execute("insert into marts.sync_runs (vendor, sync_id, run_id) values ('x', '1', 'r1')")
        con.execute(
            "insert into marts.sync_daily (vendor, sync_id, day, runs) values ('x', '1', '2026-11-20', 1)"
        )
    sql = copy_sql(tmp_path)
    (sql / "marts" / "sync_daily.sql").write_text("-- grain: g\n-- key: vendor\nselect from from where")
    with pytest.raises(ModelError, match=r"^sql/marts/sync_daily\.sql: line 3 syntax error: "):
        build(db, sql_dir=sql)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select vendor, run_id from marts.sync_runs").fetchall() == [("x", "r1")]
        assert con.execute("select sync_id, runs from marts.sync_daily").fetchall() == [("1", 1)]


def test_a_model_failing_in_duckdb_rolls_back_every_model(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    build(db)
    with duckdb.connect(str(db)) as con:
        con.execute("create table marts.sentinel as select 1 as x")
    sql = copy_sql(tmp_path)
    (sql / "marts" / "zz_broken.sql").write_text(HEADER + "select no_such_column from marts.sync_runs")
    (sql / "marts" / "sync_daily.sql").write_text(HEADER + "select 42 as answer")
    with pytest.raises(ModelError, match=r"^sql/marts/zz_broken\.sql: Binder Error: .*no_such_column"):
        build(db, sql_dir=sql)
    with duckdb.connect(str(db), read_only=True) as con:
        query = "select column_name from information_schema.columns where table_name = 'sync_daily'"
        columns = [r[0] for r in con.execute(query).fetchall()]
    assert "answer" not in columns and "success_rate" in columns


def test_a_model_must_be_one_select(tmp_path: Path) -> None:
    sql = copy_sql(tmp_path)
    (sql / "marts" / "two.sql").write_text("select 1; select 2")
    with pytest.raises(ModelError, match=r"^sql/marts/two\.sql: a model is exactly one SELECT statement$"):
        discover(sql)


def test_models_reading_each_other_in_a_cycle_are_refused(tmp_path: Path) -> None:
    sql = copy_sql(tmp_path)
    (sql / "marts" / "a.sql").write_text(HEADER + "select * from marts.b")
    (sql / "marts" / "b.sql").write_text(HEADER + "select * from marts.a")
    with pytest.raises(ModelError, match="models read each other in a cycle"):
        order(discover(sql))

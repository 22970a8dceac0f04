"""Model helpers that need no warehouse: raw stand-ins (stub_missing), key tests, severity lines."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import sqlglot

from pipelines.data_tests import _severity, key_tests
from pipelines.models import Model, stub_missing


def stubbed(sql: str, existing: dict[str, set[str]]) -> tuple[str, list[str]]:
    out: list[str] = []
    tree = stub_missing(sqlglot.parse_one(sql, read="duckdb"), existing, out)
    return tree.sql(dialect="duckdb"), out


def test_a_missing_raw_table_becomes_an_empty_relation_with_the_columns_read() -> None:
    sql, out = stubbed("select r.id, r.name from raw_a.syncs as r", {})
    assert out == ["raw_a.syncs"]
    con = duckdb.connect()
    relation = con.execute(sql)
    assert [d[0] for d in relation.description] == ["id", "name"]
    assert relation.fetchall() == []


def test_missing_columns_of_an_existing_table_are_added_as_nulls() -> None:
    con = duckdb.connect()
    con.execute("create schema raw_a; create table raw_a.syncs as select 1 as id")
    sql, out = stubbed("select id, status from raw_a.syncs", {"raw_a.syncs": {"id"}})
    assert out == ["raw_a.syncs.status"]
    assert con.execute(sql).fetchall() == [(1, None)]


def test_tables_that_exist_whole_and_non_raw_tables_are_left_alone() -> None:
    sql = "select s.id, m.x from raw_a.syncs as s join marts.m as m on s.id = m.id"
    out_sql, out = stubbed(sql, {"raw_a.syncs": {"id"}})
    assert out == []
    assert out_sql == sqlglot.parse_one(sql, read="duckdb").sql(dialect="duckdb")


def test_the_input_tree_is_not_changed() -> None:
    tree = sqlglot.parse_one("select id from raw_a.syncs", read="duckdb")
    before = tree.sql()
    stub_missing(tree, {}, [])
    assert tree.sql() == before


def model(key: tuple[str, ...]) -> Model:
    return Model("marts.m", Path("m.sql"), "table", sqlglot.parse_one("select 1"), key=key)


def test_key_tests_of_a_key_and_of_one_row() -> None:
    assert key_tests(model(("a", "b"))) == [
        (
            "marts.m key unique (a, b)",
            "select a, b, count(*) as copies from marts.m group by a, b having count(*) > 1",
        ),
        ("marts.m key not null (a, b)", "select * from marts.m where a is null or b is null"),
    ]
    assert key_tests(model(())) == [
        ("marts.m one row", "select count(*) as row_count from marts.m having count(*) <> 1")
    ]


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("-- severity: warn\nselect 1", "warn"),
        ("-- what\n--severity:error  \nselect 1", "error"),
        ("select 1", "error"),
        ("-- severity: info\nselect 1", "error"),
        ("select 1 -- severity: warn", "error"),
    ],
)
def test_severity_line(tmp_path: Path, text: str, severity: str) -> None:
    path = tmp_path / "t.sql"
    path.write_text(text)
    assert _severity(path) == severity


def test_a_missing_table_read_without_columns_is_still_stood_in_for() -> None:
    sql, out = stubbed("select count(*) as n from raw_a.runs", {})
    assert out == ["raw_a.runs"]
    assert duckdb.connect().execute(sql).fetchall() == [(0,)]

"""The read side's helpers without a sandbox: warehouse_reads on a small DuckDB file written here,
and commands.exits on a click command."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
import duckdb
import pytest
from click.testing import CliRunner

from pipelines import warehouse_reads
from pipelines.commands.exits import exits
from pipelines.publish import BI_FILE, default_directory
from pipelines.warehouse import WarehouseHeld

AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# (vendor, sync_id, health, success_rate_7d): written in an order that is not the report's
HEALTH = [
    ("timbal", "b", "healthy", 1.0),
    ("paragon", "a", "failing", 0.5),
    ("ai_squared", "c", "healthy", 0.95),
    ("ai_squared", "a", "failing", 0.5),
    ("timbal", "a", "disabled", None),
    ("paragon", "z", "stale", 0.99),
    ("ai_squared", "d", "degraded", None),
]


def warehouse(path: Path, health: list[tuple]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.as_of as select ?::timestamptz as as_of", [AS_OF])
        con.execute(
            "create table marts.sync_health (vendor varchar, sync_id varchar, health varchar, "
            "success_rate_7d double)"
        )
        con.executemany("insert into marts.sync_health values (?, ?, ?, ?)", health)
    return path


def test_load_health_is_worst_first_then_lowest_rate_then_vendor_and_id(tmp_path: Path) -> None:
    rows = warehouse_reads.load_health(warehouse(tmp_path / "w.duckdb", HEALTH))
    assert [(r["vendor"], r["sync_id"]) for r in rows] == [
        ("ai_squared", "a"),  # failing 0.5, vendor before paragon
        ("paragon", "a"),  # failing 0.5
        ("paragon", "z"),  # stale
        ("ai_squared", "d"),  # degraded, no rate (as 0)
        ("ai_squared", "c"),  # healthy 0.95
        ("timbal", "b"),  # healthy 1.0
        ("timbal", "a"),  # disabled
    ]


def hold(monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    """Opening `db` fails as if a writer kept it past the busy timeout; other files open."""
    real = warehouse_reads.connect

    def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        if Path(path) == db:
            raise WarehouseHeld(f"{db}: warehouse held")
        return real(path, read_only=read_only)

    monkeypatch.setattr(warehouse_reads, "connect", connect)


def test_load_health_reads_the_published_copy_when_the_warehouse_stays_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = warehouse(tmp_path / "w.duckdb", HEALTH)
    default_directory(db).mkdir()
    warehouse(default_directory(db) / BI_FILE, HEALTH[:2])
    hold(monkeypatch, db)
    rows = warehouse_reads.load_health(db)
    assert [(r["vendor"], r["sync_id"]) for r in rows] == [("paragon", "a"), ("timbal", "b")]


def test_while_held_the_report_reads_anomalies_from_the_same_published_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = warehouse(tmp_path / "w.duckdb", HEALTH)
    default_directory(db).mkdir()
    copy = warehouse(default_directory(db) / BI_FILE, HEALTH[:2])
    for path, text in ((db, "from the held file"), (copy, "from the published copy")):
        with duckdb.connect(str(path)) as con:
            con.execute(
                "create table marts.sync_anomalies as select 'paragon' as vendor, 'a' as sync_id, "
                "? as explanation, ?::timestamptz as point_at, 'runs' as metric",
                [text, AS_OF],
            )
    hold(monkeypatch, db)
    source = warehouse_reads.readable(db)
    assert source == copy
    assert [a[2] for a in warehouse_reads.recent_anomalies(source)] == ["from the published copy"]


def test_load_health_without_a_published_copy_lets_the_held_error_stand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = warehouse(tmp_path / "w.duckdb", HEALTH)
    hold(monkeypatch, db)
    with pytest.raises(WarehouseHeld, match="^" + str(db) + ": warehouse held$"):
        warehouse_reads.load_health(db)


def test_load_health_without_marts_is_one_unreadable_line(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(warehouse_reads.WarehouseUnreadable) as caught:
        warehouse_reads.load_health(db)
    assert str(caught.value) == (
        f'cannot read {db}: Catalog Error: Table with name "marts.sync_health" does not exist '
        'because schema "marts" does not exist.'
    )


def test_tables_present_rows_of_and_first_column() -> None:
    with duckdb.connect() as con:
        con.execute("create schema alerts")
        con.execute("create table alerts.incidents (rule varchar, n integer)")
        con.execute("insert into alerts.incidents values ('staleness', 2), ('failing_streak', 1)")
        assert warehouse_reads.tables_present(con, "alerts", ["incidents", "notifications"]) == 1
        assert warehouse_reads.tables_present(con, "marts", ["incidents"]) == 0
        sql = "select rule, n from alerts.incidents where n >= ? order by n"
        assert warehouse_reads.rows_of(con, sql, [1]) == [
            {"rule": "failing_streak", "n": 1},
            {"rule": "staleness", "n": 2},
        ]
        assert warehouse_reads.first_column(con, sql, [2]) == ["staleness"]


def test_open_incidents_on_a_warehouse_never_alerted_on_is_empty(tmp_path: Path) -> None:
    db = warehouse(tmp_path / "w.duckdb", HEALTH)
    assert warehouse_reads.open_incidents(db, ["failing_streak"]) == []


class Held(Exception):
    pass


class Wrong(Exception):
    pass


@click.command()
@click.argument("what")
def command(what: str) -> None:
    with exits("demo", {Held: 10, (Wrong, KeyError): (2, "failed: ")}):
        if what == "held":
            raise Held("the file is held")
        if what == "wrong":
            raise Wrong("setting x: not a number")
        if what == "other":
            raise RuntimeError("not mine")
    click.echo("done")


@pytest.mark.parametrize(
    ("what", "code", "stderr"),
    [
        ("held", 10, "demo: the file is held\n"),
        ("wrong", 2, "demo: failed: setting x: not a number\n"),
        ("fine", 0, ""),
    ],
)
def test_exits_prints_one_line_and_exits_with_the_mapped_code(what: str, code: int, stderr: str) -> None:
    result = CliRunner().invoke(command, [what])
    assert (result.exit_code, result.stderr) == (code, stderr)
    assert result.stdout == ("done\n" if code == 0 else "")


def test_exits_lets_other_exceptions_through() -> None:
    result = CliRunner().invoke(command, ["other"])
    assert isinstance(result.exception, RuntimeError) and result.stderr == ""

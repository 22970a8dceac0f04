"""Edge cases the sandbox rarely shows, on a hand-made raw dataset with known answers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.data_tests import run_tests
from pipelines.models import build
from tests.models.compare import mart_rows

AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 20, hour, minute, tzinfo=UTC)


RUNS = [  # id, sync, status, started, finished, duration, successful rows, failed rows
    (21, 2, "canceled", at(9), at(9, 1), 60.0, 5, 0),
    (22, 2, "canceled", at(10), at(10, 2), 120.0, 0, 0),
    (31, 3, "success", at(9), at(9, 10), 600.0, 1200, 3),
    (32, 3, "failed", at(10), at(10), 0.0, 0, 0),
    (33, 3, "in_progress", at(11), None, None, 0, 0),
    (41, 4, "success", at(11, 58), at(11, 59).replace(second=1, microsecond=284_000), 61.284, 7, 0),
]


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """AI Squared syncs: 1 never ran; 2 only cancelled runs; 3 one zero-duration failure after a
    success, then a run still going; 4 succeeded 58.716 s before as_of; all hourly."""
    db = tmp_path / "edge.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema raw_ai_squared")
        con.execute(
            "create table raw_ai_squared.syncs as select * from (values "
            "(1, 'a', 'pending', 1, 'hours', 'S', 'D', timestamptz '2026-11-20 11:30:00+00'),"
            "(2, 'b', 'aborted', 1, 'hours', 'S', 'D', timestamptz '2026-11-01 00:00:00+00'),"
            "(3, 'c', 'failed', 1, 'hours', 'S', 'D', timestamptz '2026-11-01 00:00:00+00'),"
            "(4, 'd', 'healthy', 1, 'hours', 'S', 'D', timestamptz '2026-11-01 00:00:00+00')"
            ") t(id, stream_name, status, sync_interval, sync_interval_unit, source__name, destination__name,"
            " created_at)"
        )
        con.execute(
            "create table raw_ai_squared.sync_runs (id bigint, sync_id bigint, status varchar, "
            "started_at timestamptz, finished_at timestamptz, duration double, "
            "successful_rows bigint, failed_rows bigint)"
        )
        con.executemany("insert into raw_ai_squared.sync_runs values (?, ?, ?, ?, ?, ?, ?, ?)", RUNS)
    build(db, as_of=AS_OF)
    return db


def health(db: Path) -> dict[str, dict]:
    return {row["sync_id"]: row for row in mart_rows(db, "sync_health")}


def test_a_sync_that_never_ran_has_no_rates_and_is_healthy_while_young(warehouse: Path) -> None:
    row = health(warehouse)["1"]
    assert row["current_status"] is None and row["runs_7d"] == 0
    assert row["success_rate_7d"] is None and row["last_success_at"] is None
    assert row["is_stale"] is False and row["health"] == "healthy"  # 30 minutes old, hourly


def test_only_cancelled_runs_count_as_runs_but_not_in_success_rates(warehouse: Path) -> None:
    row = health(warehouse)["2"]
    assert row["runs_7d"] == 2 and row["success_rate_7d"] is None and row["consecutive_failures"] == 0
    assert row["duration_p50_s"] == 90.0
    assert row["is_stale"] is True and row["health"] == "stale"  # never succeeded, 19 days old


def test_a_zero_duration_run_has_no_throughput_and_a_running_run_no_finish(warehouse: Path) -> None:
    runs = {r["run_id"]: r for r in mart_rows(warehouse, "sync_runs")}
    assert runs["32"]["duration_s"] == 0.0 and runs["32"]["rows_per_s"] is None
    assert runs["31"]["rows_per_s"] == 2.0
    assert runs["33"]["status"] == "running" and runs["33"]["finished_at"] is None
    row = health(warehouse)["3"]
    assert row["current_status"] == "running"
    assert row["consecutive_failures"] == 1 and row["health"] == "failing"
    assert row["success_rate_7d"] == 0.5
    assert row["rows_per_s_p50"] == 2.0  # the zero-duration run has no rows_per_s to count
    assert row["duration_p50_s"] == 300.0 and row["duration_p95_s"] == pytest.approx(570.0)
    assert row["seconds_since_success"] == 3 * 3600 - 600


def test_seconds_since_success_is_exact_to_the_microsecond(warehouse: Path) -> None:
    """As a difference of two epochs (doubles near 1.8e9 s) it came out as 58.71600008."""
    row = health(warehouse)["4"]
    assert row["seconds_since_success"] == 58.716 and row["staleness_s"] == 58.716
    assert row["health"] == "healthy"


def test_daily_rollup_places_runs_on_their_finishing_day(warehouse: Path) -> None:
    daily = {(r["sync_id"], r["runs"]) for r in mart_rows(warehouse, "sync_daily")}
    assert daily == {("2", 2), ("3", 3), ("4", 1)}
    assert [t.summary() for t in run_tests(warehouse) if t.failed] == []

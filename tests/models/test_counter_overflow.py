"""Issue 19, case 8: vendor counters near the 64-bit limits (the specs' int64 counters allow them)
never take a mart down; totals that no longer fit a BIGINT are null and reported by the warn-level
data test sql/tests/aggregates_overflowing_64_bits.sql.

A hand-made raw dataset for all three vendors: every expected value is computed here in Python
with exact integers, not read back from the models.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.data_tests import run_tests
from pipelines.models import build

MAX = 2**63 - 1
MIN = -(2**63)
AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DAY1, DAY2 = datetime(2026, 11, 19, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)


def at(day: datetime, hour: int) -> datetime:
    return day + timedelta(hours=hour)


AI_SQUARED_SYNCS = [  # id, sync_interval, unit
    (1, 1, "hours"),
    (2, 2**62, "weeks"),  # x 604,800 s: beyond 64 bits
]
AI_SQUARED_RUNS = [  # id, sync, status, started, finished, duration s, successful rows, failed rows
    (11, 1, "success", at(DAY1, 1), at(DAY1, 2), 3600.0, MAX, MAX),
    (12, 1, "success", at(DAY1, 3), at(DAY1, 4), 3600.0, MAX - 1, 0),
    (13, 1, "success", at(DAY2, 1), at(DAY2, 2), 3600.0, 5, 1),
    (21, 2, "success", at(DAY2, 1), at(DAY2, 2), 10.0, MAX, MAX),  # alone on its day: fits
]
TIMBAL_RUNS = [  # job_id, sync, started, finished, duration ms, rows_emitted
    ("j1", "t1", at(DAY1, 5), at(DAY1, 6), 3_600_000, MAX),
    ("j2", "t1", at(DAY1, 7), at(DAY1, 8), 3_600_000, MAX),
]
PARAGON_SNAPSHOTS = [  # sync, first seen, synced records, last synced
    ("p1", at(DAY1, 9), -5, at(DAY1, 9)),
    ("p1", at(DAY2, 9), MAX, at(DAY2, 9)),  # growth MAX + 5: beyond 64 bits
    ("p2", at(DAY1, 9), 0, at(DAY1, 9)),
    ("p2", at(DAY2, 9), MAX, at(DAY2, 9)),  # growth MAX: fits
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("overflow") / "w.duckdb"
    created = datetime(2026, 11, 1, tzinfo=UTC)
    with duckdb.connect(str(db)) as con:
        for schema in ("raw_ai_squared", "raw_timbal", "raw_paragon"):
            con.execute(f"create schema {schema}")
        con.execute(
            "create table raw_ai_squared.syncs (id bigint, stream_name varchar, status varchar, "
            "sync_interval bigint, sync_interval_unit varchar, source__name varchar, "
            "destination__name varchar, created_at timestamptz)"
        )
        con.executemany(
            "insert into raw_ai_squared.syncs values (?, 's', 'active', ?, ?, 'S', 'D', ?)",
            [(i, n, unit, created) for i, n, unit in AI_SQUARED_SYNCS],
        )
        con.execute(
            "create table raw_ai_squared.sync_runs (id bigint, sync_id bigint, status varchar, "
            "started_at timestamptz, finished_at timestamptz, duration double, "
            "successful_rows bigint, failed_rows bigint, updated_at timestamptz)"
        )
        con.executemany(
            "insert into raw_ai_squared.sync_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*run, run[4]) for run in AI_SQUARED_RUNS],
        )
        con.execute(
            "create table raw_timbal.syncs (id varchar, name varchar, interval_secs bigint, enabled boolean, "
            "created_at timestamptz, _dlt_valid_from timestamptz, _dlt_valid_to timestamptz)"
        )
        con.execute(
            "insert into raw_timbal.syncs values ('t1', 'n', 3600, true, ?, ?, null)", [created, created]
        )
        con.execute(
            "create table raw_timbal.sync_runs (job_id varchar, sync_id varchar, state varchar, "
            "created_at timestamptz, started_at timestamptz, finished_at timestamptz, duration_ms bigint, "
            "rows_emitted bigint)"
        )
        con.executemany(
            "insert into raw_timbal.sync_runs values (?, ?, 'completed', ?, ?, ?, ?, ?)",
            [(j, s, start, start, end, ms, rows) for j, s, start, end, ms, rows in TIMBAL_RUNS],
        )
        con.execute(
            "create table raw_timbal.sync_snapshots (sync_id varchar, polled_at timestamptz, "
            "runs_total bigint, rows_total bigint)"
        )
        con.execute("insert into raw_timbal.sync_snapshots values ('t1', ?, ?, ?)", [at(DAY2, 9), MIN, MAX])
        con.execute(
            "create table raw_paragon.syncs (id varchar, frequency_seconds bigint, status varchar, "
            "first_seen_at timestamptz)"
        )
        con.executemany(
            "insert into raw_paragon.syncs values (?, 3600, 'IDLE', ?)", [("p1", created), ("p2", created)]
        )
        con.execute(
            "create table raw_paragon.sync_status_snapshots (sync_id varchar, first_seen_at timestamptz, "
            "status varchar, synced_records_count bigint, last_synced_at timestamptz)"
        )
        con.executemany(
            "insert into raw_paragon.sync_status_snapshots values (?, ?, 'IDLE', ?, ?)", PARAGON_SNAPSHOTS
        )
    build(db, as_of=AS_OF)
    return db


def rows(db: Path, sql: str) -> list[tuple]:
    """Exact values (Python ints, not pandas floats)."""
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()


def fits(value: int) -> int | None:
    return value if MIN <= value <= MAX else None


def paragon_growth() -> dict[str, int]:
    """Growth of syncedRecordsCount at each sync's second snapshot, as Python integers."""
    by_sync: dict[str, list[int]] = defaultdict(list)
    for sync, _, count, _ in PARAGON_SNAPSHOTS:
        by_sync[sync].append(count)
    return {sync: counts[1] - counts[0] for sync, counts in by_sync.items()}


def expected_daily() -> dict[tuple[str, str, date], int | None]:
    """The day's sum of each run's rows_synced (a run's own value null when it does not fit 64
    bits, so it adds nothing; 0 when no run of the day has one), null when the sum does not fit."""
    runs: list[tuple[str, str, date, int | None]] = []
    runs += [("ai_squared", str(r[1]), r[4].date(), r[6]) for r in AI_SQUARED_RUNS]
    runs += [("timbal", r[1], r[3].date(), r[5]) for r in TIMBAL_RUNS]
    for sync, growth in paragon_growth().items():
        runs += [("paragon", sync, DAY1.date(), None), ("paragon", sync, DAY2.date(), fits(growth))]
    totals: dict[tuple[str, str, date], int] = defaultdict(int)
    for vendor, sync, day, synced in runs:
        totals[vendor, sync, day] += synced or 0
    return {key: fits(total) for key, total in totals.items()}


def test_every_mart_builds_and_daily_rows_are_exact_or_null_when_beyond_64_bits(warehouse: Path) -> None:
    daily = rows(warehouse, "select vendor, sync_id, day, rows_synced from marts.sync_daily")
    expected = expected_daily()
    assert {(v, s, d): n for v, s, d, n in daily} == expected
    assert expected["ai_squared", "1", DAY1.date()] is None and expected["timbal", "t1", DAY1.date()] is None
    built = rows(warehouse, "select table_name from information_schema.tables where table_schema = 'marts'")
    assert {name for (name,) in built} >= {
        "sync_runs", "sync_daily", "sync_health", "sync_anomalies", "history_coverage", "syncs",
    }  # fmt: skip


def test_paragon_growth_beyond_64_bits_is_null_and_a_fitting_one_exact(warehouse: Path) -> None:
    inferred = rows(
        warehouse,
        "select sync_id, rows_synced from marts.sync_runs where vendor = 'paragon' "
        f"and finished_at = timestamptz '{at(DAY2, 9).isoformat()}'",
    )
    assert dict(inferred) == {sync: fits(growth) for sync, growth in paragon_growth().items()}
    assert dict(inferred) == {"p1": None, "p2": MAX}


def test_runs_keep_their_counters_and_throughput_and_intervals_beyond_64_bits_are_null(
    warehouse: Path,
) -> None:
    runs = rows(warehouse, "select run_id, rows_synced, rows_failed, rows_per_s from marts.sync_runs")
    by_id = {run_id: (synced, failed, rate) for run_id, synced, failed, rate in runs}
    for run_id, _, _, _, _, duration, synced, failed in AI_SQUARED_RUNS:
        assert by_id[str(run_id)] == (synced, failed, synced / duration)
    intervals = dict(rows(warehouse, "select sync_id, expected_interval_s from marts.syncs"))
    assert intervals == {"1": 3600, "2": None, "t1": 3600, "p1": 3600, "p2": 3600}
    [(runs_reported, runs_loaded, runs_missed)] = rows(
        warehouse, "select runs_reported, runs_loaded, runs_missed from marts.history_coverage"
    )
    assert (runs_reported, runs_loaded, runs_missed) == (MIN, len(TIMBAL_RUNS), 0)
    assert len(rows(warehouse, "select * from marts.sync_health")) == 5


def test_the_warn_test_names_each_total_beyond_64_bits_and_nothing_gates(warehouse: Path) -> None:
    results = {t.name: t for t in run_tests(warehouse)}
    assert [t.summary() for t in results.values() if t.failed] == []
    overflow = results["sql/tests/aggregates_overflowing_64_bits.sql"]
    assert overflow.warned and overflow.columns == ["value_of", "vendor", "sync_id", "point", "exact"]
    day1 = DAY1.date().isoformat()
    ai_day1 = sum(r[6] for r in AI_SQUARED_RUNS if r[4].date() == DAY1.date() and r[1] == 1)
    timbal_day1 = sum(r[5] for r in TIMBAL_RUNS)
    assert sorted(overflow.rows, key=str) == sorted(
        [
            ("marts.sync_daily.rows_synced", "ai_squared", "1", day1, str(ai_day1)),
            ("marts.sync_daily.rows_synced", "timbal", "t1", day1, str(timbal_day1)),
            ("marts.sync_runs.rows_synced", "paragon", "p1", "cycle@2026-11-20T09:00:00.000Z", str(MAX + 5)),
            ("marts.syncs.expected_interval_s", "ai_squared", "2", None, str(2**62 * 604_800)),
        ],
        key=str,
    )

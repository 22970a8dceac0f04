"""marts.sync_anomalies on a hand-made warehouse: what must not be flagged, what must, and the
settings that tune it (sensitivity flag, per-sync overrides, check --max-anomalies)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.models import ModelError, build
from tests.models.compare import mart_rows

AS_OF = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
SYNCS = {  # id -> (status, created_at)
    1: ("healthy", datetime(2026, 10, 1, tzinfo=UTC)),  # 6 runs only, the last wild
    2: ("healthy", datetime(2026, 10, 1, tzinfo=UTC)),  # constant
    3: ("healthy", datetime(2026, 10, 1, tzinfo=UTC)),  # moves no rows, ever
    4: ("pending", AS_OF - timedelta(hours=1)),  # brand new: no run yet
    5: ("disabled", datetime(2026, 10, 1, tzinfo=UTC)),  # ran daily, disabled on day 15
    6: ("healthy", datetime(2026, 10, 1, tzinfo=UTC)),  # steady, then 1% of the rows today
    7: ("healthy", datetime(2026, 10, 1, tzinfo=UTC)),  # daily, but not on day 15
}


def day(n: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, n, hour, tzinfo=UTC)


def runs() -> list[tuple]:
    """(id, sync, status, started, finished, duration, successful rows, failed rows), one a day."""
    out = []

    def run(sync: int, n: int, rows: int, duration: float = 60.0) -> None:
        start = day(n)
        out.append(
            (sync * 1000 + n, sync, "success", start, start + timedelta(seconds=duration), duration, rows, 0)
        )

    for n in range(1, 7):
        run(1, n, 1000 if n < 6 else 5)
    for n in range(1, 22):
        run(2, n, 1000)
        run(3, n, 0)
        run(6, n, 1000 if n < 21 else 10)
        if n != 15:
            run(7, n, 500)
    for n in range(1, 16):
        run(5, n, 800)
    return out


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    db = tmp_path / "anomalies.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema raw_ai_squared")
        con.execute(
            "create table raw_ai_squared.syncs (id bigint, stream_name varchar, status varchar, "
            "sync_interval bigint, sync_interval_unit varchar, source__name varchar, "
            "destination__name varchar, created_at timestamptz)"
        )
        con.executemany(
            "insert into raw_ai_squared.syncs values (?, 's', ?, 1, 'days', 'S', 'D', ?)",
            [(i, status, created) for i, (status, created) in SYNCS.items()],
        )
        con.execute(
            "create table raw_ai_squared.sync_runs (id bigint, sync_id bigint, status varchar, "
            "started_at timestamptz, finished_at timestamptz, duration double, "
            "successful_rows bigint, failed_rows bigint)"
        )
        con.executemany("insert into raw_ai_squared.sync_runs values (?, ?, ?, ?, ?, ?, ?, ?)", runs())
    return db


def flagged(db: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in mart_rows(db, "sync_anomalies"):
        out.setdefault(row["sync_id"], []).append(row["explanation"])
    return {k: sorted(v) for k, v in out.items()}


def test_only_real_deviations_are_flagged(warehouse: Path) -> None:
    """Fewer than 7 points, a constant series, all-zero rows, a new and a disabled sync: nothing."""
    build(warehouse, as_of=AS_OF, sensitivity_overrides={})
    assert flagged(warehouse) == {
        "6": [
            "rows synced 10 vs usual 1,000 ×/÷ 1.05 over 20 runs (z -92.1)",
            "rows/s 0.167 vs usual 16.7 ×/÷ 1.05 over 20 runs (z -92.1)",
        ],
        "7": ["runs per day 0 vs usual 1 ± 0.2 over 13 days (z -5.0)"],
    }
    rows = {r["sync_id"]: r for r in mart_rows(warehouse, "sync_anomalies") if r["metric"] == "runs_per_day"}
    assert rows["7"]["point"] == "2026-11-15" and rows["7"]["run_id"] is None
    assert rows["7"]["point_at"] == datetime(2026, 11, 16, tzinfo=UTC)
    assert rows["7"]["direction"] == "drop" and rows["7"]["sensitivity"] == 3.0
    health = {r["sync_id"]: r["open_anomalies"] for r in mart_rows(warehouse, "sync_health")}
    assert health == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "6": 2, "7": 0}


def test_sensitivity_flag_and_per_sync_overrides(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANOMALIES__SYNCS", json.dumps({"ai_squared/6": 100}))
    build(warehouse, as_of=AS_OF)  # overrides from the config
    assert list(flagged(warehouse)) == ["7"]
    result = CliRunner().invoke(
        main, ["models", "--db", str(warehouse), "--as-of", AS_OF.isoformat(), "--anomaly-sensitivity", "5.5"]
    )
    assert result.exit_code == 0, result.output
    assert flagged(warehouse) == {}
    monkeypatch.setenv("ANOMALIES__SYNCS", json.dumps({"ai_squared": 4}))
    with pytest.raises(ModelError) as error:
        build(warehouse, as_of=AS_OF)
    want = (
        'anomalies.syncs: key "ai_squared" is not "<vendor>/<sync_id>" (vendor: ai_squared, timbal, paragon)'
    )
    assert str(error.value) == want
    monkeypatch.setenv("ANOMALIES__SYNCS", json.dumps({"timbal/x": "high"}))
    with pytest.raises(
        ModelError, match=r"^anomalies.syncs: \"timbal/x\" = 'high' is not a positive number$"
    ):
        build(warehouse, as_of=AS_OF)


def test_check_max_anomalies(warehouse: Path) -> None:
    build(warehouse, as_of=AS_OF, sensitivity_overrides={})
    base = ["check", "--db", str(warehouse), "--min-success-rate", "0", "--max-staleness-factor", "1000"]
    assert CliRunner().invoke(main, base).exit_code == 0  # not checked unless asked
    result = CliRunner().invoke(main, [*base, "--max-anomalies", "1", "--json"])
    assert result.exit_code == 1
    breaches = json.loads(result.output)["breaches"]
    assert [(b["sync_id"], b["open_anomalies"], b["reasons"]) for b in breaches] == [
        ("6", 2, ["2 anomalies in the last 24 h > 1"])
    ]
    assert CliRunner().invoke(main, [*base, "--max-anomalies", "2"]).exit_code == 0

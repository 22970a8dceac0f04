"""marts.sync_anomalies equals the pandas computation of the same method on the default world."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from pipelines.data_tests import run_tests
from pipelines.models import build
from pipelines.runner import run_vendor
from sandbox.config import WorldConfig
from sandbox.service import Sandbox
from tests.conftest import START_MS
from tests.models import expected
from tests.models.compare import assert_mart_equals, mart
from tests.models.expected_anomalies import anomalies

KEYS = ["vendor", "sync_id", "metric", "point"]


def default_world() -> WorldConfig:
    """The default world's seed, syncs and 28 days, fewer records (they only scale row counts)."""
    return WorldConfig(start_ms=START_MS, records=20_000)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, datetime]:
    """The default world's AI Squared and Timbal runs in a warehouse, and the same runs from the truth."""
    db = tmp_path_factory.mktemp("anomalies") / "warehouse.duckdb"
    monkeypatch = pytest.MonkeyPatch()

    with Sandbox(default_world()) as box:
        for name, value in box.env().items():
            monkeypatch.setenv(name, value)
        for vendor in ("ai_squared", "timbal"):
            assert run_vendor(vendor, db).status == "loaded"
        runs = pd.concat(
            [expected.ai_squared_runs(box), expected.timbal_seen_runs([box.world.timbal.truth_syncs()])]
        )
        as_of = datetime.fromtimestamp(box.world.now / 1000, UTC)
    monkeypatch.undo()
    return db, expected.with_rows_per_s(runs), as_of


def test_anomalies_equal_the_pandas_computation_on_the_default_world(
    loaded: tuple[Path, pd.DataFrame, datetime],
) -> None:
    db, runs, as_of = loaded
    build(db, as_of=as_of)
    want = anomalies(runs, pd.Timestamp(as_of))
    assert {"rows_synced", "duration_s", "failed_record_share"} <= set(want["metric"]), "too few kinds"
    assert {"spike", "drop"} <= set(want["direction"])
    assert_mart_equals(mart(db, "sync_anomalies"), want, KEYS)
    recent = want[(want["point_at"] > pd.Timestamp(as_of) - pd.Timedelta(hours=24))]
    open_now = recent.groupby(["vendor", "sync_id"]).size().to_dict()
    health = mart(db, "sync_health")
    got = {
        (v, s): n
        for v, s, n in zip(health["vendor"], health["sync_id"], health["open_anomalies"], strict=True)
    }
    assert {k: n for k, n in got.items() if n} == open_now and sum(open_now.values()) > 0
    assert [t.summary() for t in run_tests(db) if t.failed] == []


def test_sensitivity_and_per_sync_overrides(loaded: tuple[Path, pd.DataFrame, datetime]) -> None:
    db, runs, as_of = loaded
    default = anomalies(runs, pd.Timestamp(as_of))
    noisiest = default.groupby(["vendor", "sync_id"]).size().idxmax()
    overrides = {noisiest: 2.5, ("ai_squared", "1"): 10.0}
    build(db, as_of=as_of, anomaly_sensitivity=4.0, sensitivity_overrides=overrides)
    want = anomalies(runs, pd.Timestamp(as_of), sensitivity=4.0, overrides=overrides)
    got = mart(db, "sync_anomalies")
    assert len(want) < len(default) and {2.5, 4.0} <= set(got["sensitivity"]) == set(want["sensitivity"])
    assert_mart_equals(got, want, KEYS)


def test_replaying_history_with_as_of_sees_only_runs_ended_by_then(
    loaded: tuple[Path, pd.DataFrame, datetime],
) -> None:
    db, runs, as_of = loaded
    earlier = pd.Timestamp(as_of) - pd.Timedelta(days=5, hours=3)
    build(db, as_of=earlier.to_pydatetime())
    got = mart(db, "sync_anomalies")
    assert (got["point_at"] <= earlier).all()
    assert_mart_equals(got, anomalies(runs, earlier), KEYS)

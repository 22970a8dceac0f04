"""Case 6 (marts.sync_anomalies build cost) runs end to end and compares like with like."""

from __future__ import annotations

from pathlib import Path

from bench.anomaly_build import case, sql_without
from pipelines.models import SQL_DIR, discover
from tests.models.test_anomaly_edge_cases import warehouse  # noqa: F401  (fixture)


def test_the_baseline_is_todays_models_without_the_mart(tmp_path: Path) -> None:
    without = sql_without(tmp_path)
    names = {m.name for m in discover(without)}
    assert names == {m.name for m in discover(SQL_DIR)} - {"marts.sync_anomalies"}
    health = (without / "marts" / "sync_health.sql").read_text()
    assert "anomal" not in health and "marts.sync_anomalies" not in {
        r for m in discover(without) for r in m.reads
    }


def test_case_6_at_toy_size(warehouse: Path) -> None:  # noqa: F811
    result = case(2, warehouse)
    assert (
        result.key == "anomalies" and result.rows and all(len(r) == len(result.headers) for r in result.rows)
    )
    assert result.targets[0].threshold == 1.5 and result.data["ratio"] > 0
    assert "## 6. marts.sync_anomalies" in result.markdown()

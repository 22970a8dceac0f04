"""On a world with injected anomalies: every injection of >= 5 sigma is found, and syncs with
none injected see few flags (the share is printed; bench/RESULTS.md reports it)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest

from pipelines.models import build
from pipelines.runner import run_vendor
from sandbox.config import WorldConfig
from sandbox.service import Sandbox
from tests.conftest import START_MS
from tests.models import expected
from tests.models.compare import mart
from tests.models.expected_anomalies import all_points, score

INJECTED = 30  # more than there are candidates: every sync that can carry one does


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, list[dict], dict, datetime]:
    """The default world with injections, loaded: (db, truth runs, injections, kinds, as_of)."""
    db = tmp_path_factory.mktemp("recall") / "warehouse.duckdb"
    monkeypatch = pytest.MonkeyPatch()
    with Sandbox(WorldConfig(start_ms=START_MS, anomalies=INJECTED)) as box:
        for name, value in box.env().items():
            monkeypatch.setenv(name, value)
        assert run_vendor("ai_squared", db).status == "loaded"
        injected = httpx.get(f"{box.url('ai_squared')}/_sandbox/truth/anomalies").json()["anomalies"]
        assert httpx.get(f"{box.url('timbal')}/_sandbox/truth/anomalies").json() == {"anomalies": []}
        runs = expected.with_rows_per_s(expected.ai_squared_runs(box))
        kinds = {str(s.id): s.profile.kind for s in box.world.ai_squared.syncs.values()}
        as_of = datetime.fromtimestamp(box.world.now / 1000, UTC)
    monkeypatch.undo()
    build(db, as_of=as_of)
    return db, runs, injected, kinds, as_of


def injected_points(runs: pd.DataFrame, injected: list[dict], points: pd.DataFrame) -> list[dict]:
    """Each injection with the point it made (None: no point, e.g. a drop to 0 rows) and its z
    measured on the truth's runs."""
    out = []
    for item in injected:
        if item["kind"] == "quiet_day":
            point = item["day"]
        else:
            created = pd.Timestamp(item["run_created_at"])
            hit = runs[(runs["sync_id"] == item["sync_id"]) & (runs["created_at"] == created)]
            assert len(hit) == 1, item
            point = hit["run_id"].iloc[0]
        row = points[
            (points["sync_id"] == item["sync_id"])
            & (points["metric"] == item["metric"])
            & (points["point"] == point)
        ]
        z = score(row.iloc[0].to_dict())[0] if len(row) else None
        out.append({**item, "point": point, "z": z})
    return out


def test_every_injected_anomaly_of_5_sigma_is_found(world: tuple) -> None:
    db, runs, injected, _, as_of = world
    points = all_points(runs, pd.Timestamp(as_of))
    measured = injected_points(runs, injected, points)
    strong = [m for m in measured if m["z"] is not None and abs(m["z"]) >= 5]
    assert {m["kind"] for m in strong} == {"volume_drop", "duration_spike", "quiet_day"}
    assert len(strong) >= 10, measured
    found = mart(db, "sync_anomalies")
    keys = set(zip(found["sync_id"], found["metric"], found["point"], strict=True))
    missed = [m for m in strong if (m["sync_id"], m["metric"], m["point"]) not in keys]
    weak = sorted(
        (m["kind"], m["z"] if m["z"] is None else round(m["z"], 1)) for m in measured if m not in strong
    )
    print(
        f"\ninjected {len(injected)}, of >= 5 sigma {len(strong)}, found {len(strong) - len(missed)}",
        f"weaker {weak}",
    )
    assert missed == []


def test_syncs_without_injections_are_rarely_flagged(world: tuple) -> None:
    """Healthy here: nothing injected (every kind of sync, failing and flaky ones included)."""
    db, runs, injected, kinds, as_of = world
    points = all_points(runs, pd.Timestamp(as_of))
    points = points[~points["sync_id"].isin({m["sync_id"] for m in injected})]
    found = mart(db, "sync_anomalies")
    found = found[found["sync_id"].isin(set(points["sync_id"]))]
    share = len(found) / len(points)
    by_kind = {
        kind: f"{(found['sync_id'].map(kinds) == kind).sum()}/{(points['sync_id'].map(kinds) == kind).sum()}"
        for kind in sorted(set(points["sync_id"].map(kinds)))
    }
    print(
        f"\nflagged share on syncs without injections: {share:.3%} of {len(points)} points; by kind {by_kind}"
    )
    assert len(points) > 10_000 and share <= 0.01

"""Injected anomalies: off by default, deterministic by seed, and the runs say what the truth says."""

from __future__ import annotations

import statistics

import pandas as pd

from sandbox.anomalies import world_truth
from sandbox.config import WorldConfig
from sandbox.world import World
from tests.conftest import START_MS


def world(**overrides: int) -> World:
    return World(WorldConfig(**{"start_ms": START_MS, "records": 2_000, **overrides}))


def test_off_by_default_and_the_same_world_without_them() -> None:
    plain, injected = world(), world(anomalies=6)
    assert world_truth(plain, "ai_squared") == [] and all(
        not s.profile.injected for s in plain.ai_squared.syncs.values()
    )
    touched = {int(t["sync_id"]) for t in world_truth(injected, "ai_squared")}
    assert len(touched) == 6
    same = [i for i in plain.ai_squared.syncs if i not in touched]
    assert [plain.ai_squared.truth_runs(i) for i in same[:5]] == [
        injected.ai_squared.truth_runs(i) for i in same[:5]
    ]


def test_deterministic_by_seed() -> None:
    assert world_truth(world(anomalies=6), "ai_squared") == world_truth(world(anomalies=6), "ai_squared")
    assert world_truth(world(anomalies=6), "ai_squared") != world_truth(
        world(anomalies=6, seed=3), "ai_squared"
    )
    assert world_truth(world(anomalies=6), "timbal") == []


def test_the_runs_carry_what_the_truth_lists() -> None:
    box = world(anomalies=30, records=200_000)
    truth = world_truth(box, "ai_squared")
    assert {t["kind"] for t in truth} == {"volume_drop", "duration_spike", "quiet_day"}
    for item in truth:
        runs = [r["attributes"] for r in box.ai_squared.truth_runs(int(item["sync_id"]))]
        if item["kind"] == "quiet_day":
            ended = {
                (r["finished_at"] or r["updated_at"])[:10]
                for r in runs
                if r["status"] in ("success", "failed")
            }
            assert item["day"] not in ended
            continue
        (run,) = [r for r in runs if pd.Timestamp(r["created_at"]) == pd.Timestamp(item["run_created_at"])]
        assert run["status"] == "success", item
        others = [r for r in runs if r["status"] == "success" and r is not run]
        if item["kind"] == "duration_spike":
            assert run["duration"] > 10 * statistics.median(r["duration"] for r in others)
        else:
            usual = statistics.median(r["successful_rows"] for r in others if r["successful_rows"])
            assert run["successful_rows"] < usual / 10

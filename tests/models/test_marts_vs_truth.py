"""Every mart column equals the metric computed independently from the sandbox's truth."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pipelines.data_tests import run_tests
from pipelines.models import build
from sandbox.service import Sandbox
from tests.conftest import Loader, small_config
from tests.models import expected
from tests.models.compare import assert_mart_equals, mart
from tests.sources.warehouse import rows

TERMINAL = {"success", "failed", "canceled"}


def world_now(box: Sandbox) -> datetime:
    return datetime.fromtimestamp(box.world.now / 1000, UTC)


def check_ai_squared_marts(box: Sandbox, db: Path, with_records: bool = True) -> None:
    as_of = world_now(box)
    build(db, as_of=as_of)
    runs, syncs = expected.ai_squared_runs(box), expected.ai_squared_syncs(box)
    assert_mart_equals(mart(db, "sync_runs"), expected.with_rows_per_s(runs), ["vendor", "sync_id", "run_id"])
    health = expected.health(runs, syncs, as_of)
    actual_health = mart(db, "sync_health")
    assert set(actual_health["as_of"]) == {as_of}
    assert_mart_equals(actual_health, health, ["vendor", "sync_id"])
    assert_mart_equals(mart(db, "sync_daily"), expected.daily(runs), ["vendor", "sync_id", "day"])
    if with_records:
        ended = {r["id"] for r in box.world.ai_squared.truth_runs() if r["attributes"]["status"] in TERMINAL}
        failed = [
            r
            for r in box.world.ai_squared.truth_records(status="failed")
            if str(r["attributes"]["sync_run_id"]) in ended
        ]
        assert_mart_equals(
            mart(db, "record_errors"),
            expected.record_errors(failed),
            ["vendor", "sync_id", "error_fingerprint"],
        )
    assert [t.summary() for t in run_tests(db) if t.failed] == []


def test_ai_squared_marts_equal_the_truth(load: Loader, db: Path) -> None:
    with Sandbox(small_config(records=20_000)) as box:
        assert load(box).status == "loaded"
        check_ai_squared_marts(box, db)
        health = mart(db, "sync_health")
        runs = expected.ai_squared_runs(box)
    assert {"disabled", "failing", "healthy"} <= set(health["health"])
    # The server stamps no finished_at on a failure: those must count, as DESIGN.md's ended_at says.
    unstamped = runs[(runs["status"] == "failed") & runs["finished_at"].isna()]
    assert len(unstamped) and unstamped["ended_at"].notna().all()
    failing = health[health["health"] == "failing"]["sync_id"]
    newest = runs[runs["ended_at"].notna()].sort_values("ended_at").groupby("sync_id").tail(1)
    assert set(failing) <= set(newest[newest["finished_at"].isna()]["sync_id"]), "failing by unstamped ends"


def test_ai_squared_marts_follow_the_clock(load: Loader, db: Path) -> None:
    with Sandbox(small_config(records=20_000)) as box:
        load(box)
        box.advance(3 * 86400)
        assert load(box).status == "loaded"
        check_ai_squared_marts(box, db, with_records=False)


def test_error_fingerprints_fold_varying_ids_together() -> None:
    assert (
        expected.fingerprint(
            "HTTP 400 from destination: INVALID_FIELD_FOR_INSERT_UPDATE on field Phone "
            "(request id 6f1c2e9a-1b2c-4d3e-a4f5-0123456789ab)"
        )
        == "HTTP <n> from destination: INVALID_FIELD_FOR_INSERT_UPDATE on field Phone (request id <uuid>)"
    )
    assert expected.fingerprint("Record 249540 rejected: duplicate value ('zoe.muller12@example.com')") == (
        "Record <n> rejected: duplicate value ('<value>')"
    )
    assert expected.fingerprint("Batch 8812 dropped after 3 retries at a1b2c3d4e5f6") == (
        "Batch <n> dropped after <n> retries at <id>"
    )


def test_timbal_marts_equal_the_runs_the_polls_saw(load: Loader, db: Path) -> None:
    with Sandbox(small_config()) as box:
        polls = []
        for _ in range(3):
            assert load(box, "timbal").status == "loaded"
            polls.append(box.world.timbal.truth_syncs())
            box.advance(1800)
        as_of = world_now(box)
        build(db, as_of=as_of)
    runs, syncs = expected.timbal_seen_runs(polls), expected.timbal_syncs(polls[-1])
    assert_mart_equals(mart(db, "sync_runs"), expected.with_rows_per_s(runs), ["vendor", "sync_id", "run_id"])
    assert_mart_equals(mart(db, "sync_health"), expected.health(runs, syncs, as_of), ["vendor", "sync_id"])
    assert_mart_equals(mart(db, "sync_daily"), expected.daily(runs), ["vendor", "sync_id", "day"])
    coverage = mart(db, "history_coverage").set_index("sync_id")
    for detail in polls[-1]:
        sync_id = detail["sync"]["id"]
        loaded = int((runs["sync_id"] == sync_id).sum())
        assert coverage.loc[sync_id, "runs_reported"] == detail["stats"]["runs_total"]
        assert coverage.loc[sync_id, "runs_missed"] == detail["stats"]["runs_total"] - loaded
    assert [t.summary() for t in run_tests(db) if t.failed] == []


def test_paragon_runs_are_inferred_from_the_snapshots(load: Loader, db: Path) -> None:
    with Sandbox(small_config(days=2)) as box:
        first_poll = pd.Timestamp(world_now(box))
        for _ in range(12):
            assert load(box, "paragon").status == "loaded"
            box.advance(600)
        as_of = world_now(box)
        build(db, as_of=as_of)
        syncs = expected.paragon_syncs(box, first_poll)
    snapshots = pd.DataFrame(rows(db, "raw_paragon", "sync_status_snapshots"))
    for column in ("first_seen_at", "last_synced_at"):
        snapshots[column] = snapshots[column].map(expected.ts)
    snapshots = snapshots.astype(object).where(snapshots.notna(), None)
    runs = expected.paragon_inferred_runs(snapshots)
    assert {"succeeded", "failed"} <= set(runs["status"]), "the world must show cycles and errors"
    assert runs["rows_synced"].notna().any(), "some cycles must be advances with a record growth"
    assert_mart_equals(mart(db, "sync_runs"), expected.with_rows_per_s(runs), ["vendor", "sync_id", "run_id"])
    assert_mart_equals(mart(db, "sync_health"), expected.health(runs, syncs, as_of), ["vendor", "sync_id"])
    assert_mart_equals(mart(db, "sync_daily"), expected.daily(runs), ["vendor", "sync_id", "day"])
    assert [t.summary() for t in run_tests(db) if t.failed] == []

"""A sync deleted at AI Squared leaves the sync marts (its runs stay), and only a full listing says so."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.models import build
from sandbox.ai_squared.world import AiSquaredWorld
from sandbox.service import Sandbox
from tests.conftest import Loader, box_fixture
from tests.sources.warehouse import rows

RAW = "raw_ai_squared"


box = box_fixture(syncs=6, records=2_000)


@pytest.fixture
def world(box: Sandbox, load: Loader) -> AiSquaredWorld:
    """The AI Squared world once a first full load has seen every sync."""
    load(box)
    return box.world.ai_squared


def marts(db: Path) -> dict[str, set[str]]:
    """The AI Squared sync ids each sync-grained mart lists, and those sync_runs has runs for."""
    build(db)
    with duckdb.connect(str(db), read_only=True) as con:
        ids = {}
        for mart in ("syncs", "sync_health", "sync_runs"):
            sql = f"select distinct sync_id from marts.{mart} where vendor = 'ai_squared'"
            ids[mart] = {r[0] for r in con.execute(sql).fetchall()}
    return ids


def test_a_deleted_sync_is_recorded_once_and_leaves_syncs_and_health_but_keeps_its_runs(
    box: Sandbox, load: Loader, db: Path, world: AiSquaredWorld
) -> None:
    gone = sorted(world.syncs)[2]
    runs_before = {r["id"] for r in rows(db, RAW, "sync_runs") if r["sync_id"] == gone}
    assert runs_before
    assert world.remove_sync(gone)
    result = load(box)
    assert result.status == "loaded" and result.rows == {"deleted_syncs": 1}
    [row] = rows(db, RAW, "deleted_syncs")
    assert (row["id"], row["listed_again"]) == (gone, False) and row["deleted_seen_at"] is not None
    assert load(box).rows == {}, "a deletion is recorded once"
    ids = marts(db)
    everyone = {str(s) for s in world.syncs}
    assert ids["syncs"] == ids["sync_health"] == everyone and str(gone) not in everyone
    assert ids["sync_runs"] == everyone | {str(gone)}, "its runs are history and stay"
    assert {r["id"] for r in rows(db, RAW, "sync_runs") if r["sync_id"] == gone} == runs_before


def test_a_deleted_sync_that_is_restored_leaves_deleted_syncs_again(
    box: Sandbox, load: Loader, db: Path, world: AiSquaredWorld
) -> None:
    restored_id = sorted(world.syncs)[0]
    restored = world.syncs[restored_id]
    assert world.remove_sync(restored_id)
    load(box)
    assert [r["id"] for r in rows(db, RAW, "deleted_syncs")] == [restored_id]
    assert str(restored_id) not in marts(db)["syncs"]
    world.syncs[restored_id] = restored
    world.edit_sync(restored_id)  # the listing shows it again
    result = load(box)
    assert result.rows.get("deleted_syncs") == 1
    assert rows(db, RAW, "deleted_syncs") == []
    assert str(restored_id) in marts(db)["sync_health"]


def test_a_listing_that_leaves_known_syncs_out_deletes_none(
    box: Sandbox, load: Loader, db: Path, world: AiSquaredWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sources.ai_squared.api.SYNCS_PER_PAGE", 2)
    # After page 1 of the list is answered, the syncs on page 2 are edited: they jump to page 1,
    # so page 2 shows the next ones and this crawl never lists the edited two.
    listed = [int(s["id"]) for s in world.truth_syncs()]
    for sync_id in listed[2:4]:
        world.hooks.arm(
            {"path": "/api/v1/syncs", "nth": 1, "action": {"type": "edit_sync", "sync_id": sync_id}}
        )
    box.reset_requests()
    result = load(box)
    assert result.status == "loaded", result.message
    asked = [r.target for r in box.requests("ai_squared")]
    assert {f"/api/v1/syncs/{i}" for i in listed[2:4]} <= set(asked), "missed syncs are asked for by id"
    assert rows(db, RAW, "deleted_syncs") == []
    assert marts(db)["syncs"] == {str(s) for s in world.syncs}


def test_a_load_narrowed_by_sync_ids_never_records_a_deletion(box: Sandbox, load: Loader, db: Path) -> None:
    world = box.world.ai_squared
    first, second, *_ = sorted(world.syncs)
    load(box)
    load(box, sync_ids=f"[{first}]")
    assert rows(db, RAW, "deleted_syncs") == [], "an unasked-for sync is not a deleted one"
    assert world.remove_sync(second)
    load(box, sync_ids=f"[{first}]")
    assert rows(db, RAW, "deleted_syncs") == []
    load(box, sync_ids=None)  # the full listing again
    assert [r["id"] for r in rows(db, RAW, "deleted_syncs")] == [second]

"""The AI Squared source is right on the server's verified behaviours (VENDORS.md), each placed by
the sandbox's admin hooks at the exact point of a crawl where it matters."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from sandbox.faults import Faults
from sandbox.service import Sandbox
from tests.conftest import Loader, box_fixture
from tests.sources.warehouse import rows

RAW = "raw_ai_squared"


box = box_fixture(syncs=6, records=3_000)


def runs_by_status(box: Sandbox) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for run in box.world.ai_squared.truth_runs():
        out.setdefault(run["attributes"]["status"], []).append(run)
    return out


@pytest.mark.parametrize("mode", ["failed", "all"])
def test_records_of_failed_and_canceled_runs_are_loaded_whatever_their_counters(
    box: Sandbox, load: Loader, db: Path, mode: str
) -> None:
    world = box.world.ai_squared
    ended = [r for s in ("failed", "canceled") for r in runs_by_status(box).get(s, [])]
    holding = {
        int(r["id"]): list(world.truth_records(run_id=int(r["id"]), sync_id=r["attributes"]["sync_id"],
                                               status="failed" if mode == "failed" else None))
        for r in ended
    }  # fmt: skip
    holding = {run: records for run, records in holding.items() if records}
    assert holding, "the world must have failed or canceled runs that hold records"
    assert all(r["attributes"]["failed_rows"] == 0 for r in ended), "counters stay 0 off success"
    assert load(box, records_mode=mode).status == "loaded"
    loaded: dict[int, set[int]] = {}
    for row in rows(db, RAW, "sync_records"):
        loaded.setdefault(row["sync_run_id"], set()).add(row["id"])
    for run_id, records in holding.items():
        assert loaded.get(run_id) == {int(r["id"]) for r in records}, run_id


def test_a_records_list_that_shrinks_between_two_pages_ends_and_loads_what_is_there(
    box: Sandbox, load: Loader, db: Path
) -> None:
    world = box.world.ai_squared
    # A terminal run with records enough for three pages of 5, whose sync has a newer run.
    candidates = []
    for run in world.truth_runs():
        a = run["attributes"]
        if a["status"] in ("success", "failed", "canceled"):
            records = list(world.truth_records(sync_id=a["sync_id"], run_id=int(run["id"])))
            if len(records) >= 15:
                candidates.append((a["sync_id"], int(run["id"]), records))
    sync_id, run_id, records = next(c for c in candidates if int(world.truth_runs(c[0])[0]["id"]) != c[1])
    path = f"/api/v1/syncs/{sync_id}/sync_runs/{run_id}/sync_records"
    # After page 1 is answered, all but 3 of the run's records move to a newer run: page 2 is
    # beyond the end, and the server's `next` would lead on for ever.
    move = {"type": "move_records", "sync_id": sync_id, "run_id": run_id, "count": len(records) - 3}
    world.hooks.arm({"path": path, "nth": 1, "action": move})
    box.reset_requests()
    result = load(box, records_mode="all", records_per_page=5)
    assert result.status == "loaded", result.message
    asked = [r.target for r in box.requests("ai_squared") if r.target.startswith(path)]
    assert len(asked) == 2, asked  # page 1, then an empty page 2 ends the crawl
    loaded = {r["id"] for r in rows(db, RAW, "sync_records") if r["sync_run_id"] == run_id}
    assert loaded == {int(r["id"]) for r in records[:5]}, "page 1 as it was when read"


def test_a_renamed_connector_shows_its_new_name_after_the_next_load(
    box: Sandbox, load: Loader, db: Path
) -> None:
    world = box.world.ai_squared
    load(box)
    sync = world.truth_syncs()[0]
    connector_id = int(sync["attributes"]["source"]["id"])
    using = {
        int(s["id"]) for s in world.truth_syncs() if int(s["attributes"]["source"]["id"]) == connector_id
    }
    before = {s["id"]: s["updated_at"] for s in rows(db, RAW, "syncs")}
    world.rename_connector(connector_id, "Orders warehouse (renamed)")
    result = load(box)
    assert result.rows.get("syncs") == len(using)
    after = {s["id"]: s for s in rows(db, RAW, "syncs")}
    assert {i for i, s in after.items() if s["source__name"] == "Orders warehouse (renamed)"} == using
    assert all(after[i]["updated_at"] == before[i] for i in using), "the rename left updated_at"


def test_big_integers_and_decimal_strings_in_record_round_trip_exactly(
    box: Sandbox, load: Loader, db: Path
) -> None:
    world = box.world.ai_squared
    assert load(box, records_mode="all").status == "loaded"
    exact = {}
    for record in world.truth_records():
        for key, literal in (record.get("truth", {}).get("exact") or {}).items():
            exact[(int(record["attributes"]["sync_run_id"]), int(record["id"]), key)] = literal
    big = {k: v for k, v in exact.items() if v.lstrip("-").isdigit()}
    decimals = {k: v for k, v in exact.items() if k not in big}
    assert any(int(v).bit_length() > 64 for v in big.values()), "the world must send big integers"
    assert decimals, "and decimal strings"
    with duckdb.connect(str(db), read_only=True) as con:
        sql = f"select sync_run_id, id, cast(record as varchar) from {RAW}.sync_records"
        found = {(run, rec): text for run, rec, text in con.execute(sql).fetchall()}
    for (run, rec, key), literal in big.items():
        assert json.loads(found[(run, rec)])[key] == int(literal), (key, literal, found[(run, rec)])
    for (run, rec, key), literal in decimals.items():
        assert json.loads(found[(run, rec)])[key] == literal, (key, literal, found[(run, rec)])


@pytest.mark.parametrize("workspace", ["999", "", "abc"])
def test_a_bad_workspace_id_is_a_setting_error_naming_the_key(
    box: Sandbox, load: Loader, workspace: str
) -> None:
    result = load(box, workspace_id=workspace or None)
    assert (result.status, result.error_kind, result.message) == (
        "failed",
        "config",
        "ai_squared: workspace not found (HTTP 400): check sources.ai_squared.workspace_id "
        "(the numeric id of a workspace the credentials belong to)",
    )


def test_an_empty_listing_deletes_nothing_and_the_next_load_equals_the_truth(
    box: Sandbox, load: Loader, db: Path
) -> None:
    assert load(box).status == "loaded"
    box.advance(3600)
    box.set_faults("ai_squared", Faults(empty_listing_once=True))
    result = load(box)
    assert result.status == "loaded", result.message
    assert rows(db, RAW, "deleted_syncs") == [], "a 200 with no syncs proves no deletion"
    loaded = {r["id"] for r in rows(db, RAW, "sync_runs")}
    assert loaded == {int(r["id"]) for r in box.world.ai_squared.truth_runs()}, "new runs of every sync"


def test_a_transient_404_on_a_runs_records_is_asked_again_next_load(
    box: Sandbox, load: Loader, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = box.world.ai_squared
    # One sync and one worker: the first records request is for the sync's newest wanted run
    # (runs come newest first); pick a sync where that run holds records.
    sync_id, run_id = next(
        (sync_id, first)
        for sync_id in sorted(world.syncs)
        for first in [_first_wanted_run(box, sync_id)]
        if first is not None and list(world.truth_records(sync_id=sync_id, run_id=first))
    )
    box.set_faults("ai_squared", Faults(records_404_once=True))
    narrowed = {"records_mode": "all", "sync_ids": f"[{sync_id}]", "http_concurrency": 1}
    assert load(box, **narrowed).status == "loaded"
    [missed] = [r for r in box.requests("ai_squared") if r.status == 404]
    assert f"/sync_runs/{run_id}/sync_records" in missed.target
    assert f"ai_squared: run {run_id} of sync {sync_id}: records 404; asked next load" in caplog.text
    assert not [r for r in rows(db, RAW, "sync_records") if r["sync_run_id"] == run_id]
    box.reset_requests()
    result = load(box, **narrowed)
    assert result.status == "loaded", result.message
    expected = {int(r["id"]) for r in world.truth_records(sync_id=sync_id, run_id=run_id)}
    assert {r["id"] for r in rows(db, RAW, "sync_records") if r["sync_run_id"] == run_id} == expected
    assert load(box, **narrowed).rows == {}, "asked again once, then done"


def _first_wanted_run(box: Sandbox, sync_id: int) -> int | None:
    """The newest run whose records a load in `all` mode asks for, as the API lists them."""
    for run in box.world.ai_squared.truth_runs(sync_id):
        a = run["attributes"]
        if a["status"] in ("failed", "canceled") or (a["status"] == "success" and a["total_rows"]):
            return int(run["id"])
    return None

"""Admin hooks change the AI Squared world between two page requests of one crawl, exactly where
a test places them; actions do the same changes at once."""

from __future__ import annotations

import httpx
import pytest

from sandbox.clock import iso_ms
from sandbox.service import Sandbox
from tests.conftest import small_config
from tests.sandbox.aisq_client import client, crawl

ADMIN = "/_sandbox/ai_squared"


@pytest.fixture
def box() -> Sandbox:
    with Sandbox(small_config()) as sandbox:
        yield sandbox


def _admin(box: Sandbox, method: str, path: str, body: dict | None = None) -> httpx.Response:
    return httpx.request(method, f"{box.url('ai_squared')}{ADMIN}{path}", json=body)


def _finished_run_with_records(box: Sandbox, minimum: int) -> tuple[int, int, list[str]]:
    """(sync id, run id, record ids in list order) of a finished run that is not its sync's newest."""
    world = box.world.ai_squared
    for sync in world.syncs.values():
        runs = world.runs(sync)
        for k in range(len(runs.frame) - 1):
            run_id = int(runs.run_ids[k])
            ids = [r["id"] for r in world.truth_records(sync.id, run_id)]
            if runs.phase[k] >= 5 and len(ids) >= minimum:
                return sync.id, run_id, ids
    raise AssertionError("no finished run with enough records")


def _ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


def test_records_moved_after_the_first_page_shrink_the_list_under_the_crawl(box: Sandbox) -> None:
    sync_id, run_id, ids = _finished_run_with_records(box, 10)
    path = f"/api/v1/syncs/{sync_id}/sync_runs/{run_id}/sync_records"
    armed = _admin(
        box, "POST", "/hooks", {"path_prefix": path, "action": {"type": "move_records", "sync_id": sync_id,
                                                                 "run_id": run_id, "count": 4}},
    )  # fmt: skip
    assert armed.status_code == 200 and armed.json()["match"] == {
        "path_prefix": path,
        "nth": 1,
        "when": "after",
    }
    with client(box) as http:
        records, responses = crawl(http, path, {"per_page": 3})
    # Page 1 was the first three; page 2 then read positions 4-6 of a list four records shorter.
    assert _ids(records) == ids[:3] + ids[7:]
    assert len(responses) == -(-(len(ids) - 4) // 3)
    hook = _admin(box, "GET", "/hooks").json()["hooks"][0]
    assert (hook["fired"], hook["seen"], hook["fired_on"]) == (True, 1, f"{path}?per_page=3")
    assert hook["result"]["record_ids"] == ids[:4] and hook["error"] is None


def test_a_hook_before_the_first_page_changes_what_that_page_shows(box: Sandbox) -> None:
    sync_id, run_id, ids = _finished_run_with_records(box, 6)
    path = f"/api/v1/syncs/{sync_id}/sync_runs/{run_id}/sync_records"
    action = {"type": "move_records", "sync_id": sync_id, "run_id": run_id, "count": 2}
    box.world.ai_squared.hooks.arm({"path_prefix": path, "when": "before", "action": action})
    with client(box) as http:
        records, _ = crawl(http, path, {"per_page": 3})
    assert _ids(records) == ids[2:]


def test_a_run_touched_between_two_run_pages_shows_twice_and_hides_another(box: Sandbox) -> None:
    world = box.world.ai_squared
    sync_id = max(world.syncs, key=lambda i: len(world.runs(world.syncs[i]).frame))
    ids = _ids(world.truth_runs(sync_id))
    oldest = int(ids[-1])
    path = f"/api/v1/syncs/{sync_id}/sync_runs"
    world.hooks.arm(
        {"path": path, "nth": 1, "action": {"type": "touch_run", "sync_id": sync_id, "run_id": oldest}}
    )
    with client(box) as http:
        runs, _ = crawl(http, path, {"per_page": 5})
        first = http.get(path, params={"per_page": 5}).json()["data"][0]
    assert _ids(runs) == ids[:5] + ids[4:-1]  # run 5 twice, the touched (oldest) run never
    assert first["id"] == str(oldest) and first["attributes"]["updated_at"] == iso_ms(box.world.now)


def test_a_sync_edited_while_the_list_is_paged_moves_to_page_one(box: Sandbox) -> None:
    world = box.world.ai_squared
    ids = _ids(world.truth_syncs())
    world.hooks.arm({"path": "/api/v1/syncs", "action": {"type": "edit_sync", "sync_id": ids[-1]}})
    with client(box) as http:
        listed, _ = crawl(http, "/api/v1/syncs", {"per_page": 4})
    assert _ids(listed) == ids[:4] + ids[3:-1]  # one sync twice, the edited one missed
    assert _ids(world.truth_syncs()) == [ids[-1], *ids[:-1]]


def test_a_sync_deleted_mid_listing_shifts_the_pages_and_answers_404(box: Sandbox) -> None:
    world = box.world.ai_squared
    ids = _ids(world.truth_syncs())
    world.hooks.arm({"path": "/api/v1/syncs", "nth": 2, "action": {"type": "delete_sync", "sync_id": ids[0]}})
    with client(box) as http:
        listed, _ = crawl(http, "/api/v1/syncs", {"per_page": 4})
        gone = http.get(f"/api/v1/syncs/{ids[0]}")
    assert _ids(listed) == ids[:8] + ids[9:]  # pages 1-2 before the delete, page 3 after
    assert (gone.status_code, gone.json()["errors"][0]["detail"]) == (404, "Sync not found")


def test_a_connector_renamed_mid_listing_shows_its_new_name_on_later_pages_only(box: Sandbox) -> None:
    world = box.world.ai_squared
    syncs = world.truth_syncs()
    target = syncs[-1]["attributes"]["source"]["id"]
    action = {"type": "rename_connector", "connector_id": target, "name": "Warehouse ❄ (new)"}
    world.hooks.arm({"path": "/api/v1/syncs", "action": action})
    with client(box) as http:
        listed, _ = crawl(http, "/api/v1/syncs", {"per_page": 6})
    assert _ids(listed) == _ids(syncs)  # no updated_at moved: same order
    names = [s["attributes"]["source"]["name"] for s in listed]
    expected = [
        "Warehouse ❄ (new)"
        if i >= 6 and s["attributes"]["source"]["id"] == target
        else s["attributes"]["source"]["name"]
        for i, s in enumerate(syncs)
    ]
    assert names == expected and names[-1] == "Warehouse ❄ (new)"


def test_actions_apply_at_once_and_bad_ones_are_explained(box: Sandbox) -> None:
    sync_id, run_id, ids = _finished_run_with_records(box, 3)
    moved = _admin(box, "POST", "/actions", {"type": "move_records", "sync_id": sync_id, "run_id": run_id})
    assert moved.status_code == 200 and moved.json()["record_ids"] == ids
    assert list(box.world.ai_squared.truth_records(sync_id, run_id)) == []
    bad = [
        ("POST", "/actions", {"type": "explode"}, 400),
        ("POST", "/actions", {"type": "touch_run", "sync_id": 999, "run_id": 1}, 404),
        ("POST", "/actions", {"type": "move_records", "sync_id": sync_id}, 400),
        ("POST", "/hooks", {"path_prefix": "api", "action": {"type": "edit_sync", "sync_id": 1}}, 400),
        ("PATCH", "/syncs/1", {"status": "disabled"}, 400),
        ("PATCH", "/connectors/1", {"name": "x"}, 404),
    ]
    answers = [(_admin(box, m, p, b).status_code, _admin(box, m, p, b).json()["error"]) for m, p, b, _ in bad]
    assert answers == [
        (400, "action must be an object with type one of touch_run, move_records, edit_sync, "
              "rename_connector, delete_sync, advance"),
        (404, "no sync 999"),
        (400, "run_id is required"),
        (400, "give path_prefix (or path, matched exactly): a request path starting with /"),
        (400, "cannot edit status; editable: cron_expression, schedule_type, stream_name, sync_interval, "
              "sync_interval_unit, sync_mode"),
        (404, "no connector 1"),
    ]  # fmt: skip


def test_hooks_count_only_vendor_requests_that_match_and_can_be_cleared(box: Sandbox) -> None:
    world = box.world.ai_squared
    sync_id = int(world.truth_syncs()[0]["id"])
    world.hooks.arm(
        {"path_prefix": f"/api/v1/syncs/{sync_id}/", "nth": 3, "action": {"type": "advance", "seconds": 60}}
    )
    start = box.world.now
    with client(box) as http:
        http.get("/api/v1/syncs")  # not under the prefix
        http.get(f"/api/v1/syncs/{sync_id}/sync_runs")
        _admin(box, "GET", "/truth/counts")  # admin requests never count
        http.get(f"/api/v1/syncs/{sync_id}/sync_runs")
        assert box.world.now == start
        http.get(f"/api/v1/syncs/{sync_id}/sync_runs")
    assert box.world.now == start + 60_000
    assert _admin(box, "DELETE", "/hooks").json() == {"hooks": []} and world.hooks.listing() == []

"""The AI Squared sandbox plays each behaviour of VENDORS.md's "Verified in the open-source server"
section by default: one test per behaviour, exact values."""

from __future__ import annotations

import json
import re
from collections import Counter

import httpx
import pytest

from sandbox.ai_squared.logs import BATCH_DESTINATIONS
from sandbox.clock import iso_ms
from sandbox.service import Sandbox
from tests.conftest import small_config
from tests.sandbox.aisq_client import client, crawl
from tests.spec_validation import validate

STRIDE = 100_000  # run id = sync id * stride + run index + 1


def error_text(logs: dict) -> str:
    """The README's rule for where a failed record's message sits in `logs`, written from the README."""
    if "error_message" in logs:
        return logs["error_message"]
    if "response" in logs:
        body = json.loads(logs["response"])
        return "; ".join(e["message"] for e in body) if isinstance(body, list) else body["message"]
    return logs["request"]


def shape(logs: dict) -> str:
    if "error_message" in logs:
        return "raised"
    if "response" in logs:
        return "array" if json.loads(logs["response"]).__class__ is list else "object"
    return "batch"


def test_counters_and_finished_at_are_written_only_when_a_run_succeeds(sandbox: Sandbox) -> None:
    world = sandbox.world.ai_squared
    seen: Counter[str] = Counter()
    with client(sandbox) as http:
        for sync in world.syncs.values():
            frame, state = world.runs(sync).frame, world.runs(sync)
            served, _ = crawl(http, f"/api/v1/syncs/{sync.id}/sync_runs", {"per_page": 1000})
            for run in served:
                a, k = run["attributes"], int(run["id"]) - sync.id * STRIDE - 1
                seen[a["status"]] += 1
                ended = (
                    a["finished_at"],
                    a["duration"],
                    a["total_rows"],
                    a["successful_rows"],
                    a["failed_rows"],
                )
                if a["status"] == "success":
                    total, failed = int(state.total_rows[k]), int(state.failed_rows[k])
                    duration = (int(frame.finished[k]) - int(frame.started[k])) / 1000
                    assert ended == (iso_ms(frame.finished[k]), duration, total, total - failed, failed)
                elif a["status"] in ("failed", "canceled"):
                    assert ended == (None, None, 0, 0, 0)
                    assert a["updated_at"] == iso_ms(frame.finished[k])  # when it ended
    assert seen["failed"] > 20 and seen["canceled"] > 0 and seen["success"] > 1000
    # Failed runs still hold records, failed ones included, although their counters say 0.
    runs = {r["id"]: r["attributes"] for r in world.truth_runs()}
    failed_in_failed = [
        r
        for r in world.truth_records(status="failed")
        if runs[str(r["attributes"]["sync_run_id"])]["status"] == "failed"
    ]
    assert len(failed_in_failed) == 145


def test_records_carry_logs_and_no_error_attribute(sandbox: Sandbox) -> None:
    world = sandbox.world.ai_squared
    failed = list(world.truth_records(status="failed"))
    assert len(failed) == world.truth_counts()["failed_records"] == 196
    assert all("error" not in r["attributes"] for r in world.truth_records())
    for record in failed:
        logs = record["attributes"]["logs"]
        assert error_text(logs) == record["truth"]["error_message"]
        assert logs.get("level", "error") == "error"
    # The shape follows the destination: batch writers log the reason, Salesforce answers arrays,
    # a share of per-record writes raised instead of answering.
    kind = {int(x["id"]): x["attributes"]["destination"]["connector_name"] for x in world.truth_syncs()}
    shapes = Counter((kind[r["attributes"]["sync_id"]], shape(r["attributes"]["logs"])) for r in failed)
    batch = {k for k, s in shapes if s == "batch"}
    assert batch and batch == {k for k, _ in shapes} & set(BATCH_DESTINATIONS)
    assert {s for _, s in shapes} == {"batch", "array", "object", "raised"}
    assert {k for k, s in shapes if s == "array"} == {"Salesforce"}
    assert 0.05 < sum(n for (_, s), n in shapes.items() if s == "raised") / len(failed) < 0.2
    messages = {r["truth"]["error_message"] for r in failed}
    assert len(messages) == len(failed)  # varying ids: one text per record, a handful of groups
    # Served records are the truth's, logs included, and never carry `error`.
    sync_id, run_id = (int(failed[0]["attributes"][k]) for k in ("sync_id", "sync_run_id"))
    with client(sandbox) as http:
        served, _ = crawl(http, f"/api/v1/syncs/{sync_id}/sync_runs/{run_id}/sync_records", {"per_page": 4})
    truth = [{k: v for k, v in r.items() if k != "truth"} for r in world.truth_records(sync_id, run_id)]
    assert served == truth and all("error" not in r["attributes"] for r in served)


def test_a_record_moved_to_a_newer_run_keeps_created_at_and_logs() -> None:
    with Sandbox(small_config()) as box:
        world = box.world.ai_squared
        sync = next(s for s in world.syncs.values() if world.runs(s).phase[-1] < 5)  # newest run active
        runs = world.runs(sync)
        older = next(
            int(runs.run_ids[k])
            for k in range(len(runs.frame) - 2, -1, -1)
            if runs.phase[k] >= 5 and len(list(world.truth_records(sync.id, int(runs.run_ids[k])))) >= 3
        )
        before = {r["id"]: r["attributes"] for r in world.truth_records(sync.id, older)}
        moved = world.move_records(sync.id, older, count=2)
        after = {r["id"]: r["attributes"] for r in world.truth_records(sync.id)}
    assert moved["moved"] == 2 and moved["to_run_id"] == int(runs.run_ids[-1])
    for record_id in moved["record_ids"]:
        old, new = before[record_id], after[record_id]
        assert (new["sync_run_id"], new["status"], new["action"]) == (
            moved["to_run_id"],
            "pending",
            "destination_update",
        )
        # The newer run re-read the source row (its values may differ); the row is the same one.
        assert (new["created_at"], new["logs"], new["record"]["id"]) == (
            old["created_at"],
            old["logs"],
            old["record"]["id"],
        )
    assert len(before) - 2 == sum(1 for a in after.values() if a["sync_run_id"] == older)


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 400),
        ("", 400),
        ("abc", 400),
        ("8", 400),
        ("0", 400),
        ("7_0", 400),  # Ruby's to_i reads 70
        ("7abc", 200),
        ("007", 200),
        ("+7", 200),
    ],
)
def test_a_missing_malformed_or_foreign_workspace_is_400_workspace_not_found(
    sandbox: Sandbox, header: str | None, status: int
) -> None:
    headers = {"Authorization": f"Bearer {sandbox.world.ai_squared.api_token}"}
    if header is not None:
        headers["Workspace-Id"] = header
    response = httpx.get(f"{sandbox.url('ai_squared')}/api/v1/syncs", headers=headers)
    assert response.status_code == status
    if status == 400:
        assert response.json() == {
            "errors": [
                {
                    "status": 400,
                    "title": "Bad Request",
                    "detail": "There was a problem with the request format: Workspace not found",
                }
            ]
        }


def test_next_is_null_only_on_the_last_page_and_points_further_past_it(sandbox: Sandbox) -> None:
    sync_id = int(sandbox.world.ai_squared.truth_syncs()[0]["id"])
    n = len(sandbox.world.ai_squared.truth_runs(sync_id))
    last = -(-n // 7)
    url = f"/api/v1/syncs/{sync_id}/sync_runs"
    base = sandbox.url("ai_squared") + url
    with client(sandbox) as http:
        pages = {
            p: http.get(url, params={"per_page": 7, "page": p}).json() for p in (last, last + 1, last + 5)
        }
    assert len(pages[last]["data"]) == n - 7 * (last - 1) and pages[last]["links"]["next"] is None
    for page in (last + 1, last + 5):
        assert pages[page]["data"] == []
        assert pages[page]["links"]["next"] == f"{base}?page={page + 1}&per_page=7"
        assert pages[page]["links"]["last"] == f"{base}?page={last}&per_page=7"


def test_self_repeats_the_request_query_string_verbatim(sandbox: Sandbox) -> None:
    base = sandbox.url("ai_squared")
    with client(sandbox) as http:
        bare = http.get("/api/v1/syncs").json()["links"]
        odd = http.get("/api/v1/syncs?per_page=5&zeta=1&page=2").json()["links"]
    assert bare["self"] == f"{base}/api/v1/syncs?"
    assert bare["first"] == f"{base}/api/v1/syncs?page=1&per_page=10"
    assert odd["self"] == f"{base}/api/v1/syncs?per_page=5&zeta=1&page=2"
    assert odd["prev"] == f"{base}/api/v1/syncs?page=1&per_page=5&zeta=1"


def test_the_sync_list_is_newest_updated_first_and_an_edit_moves_a_sync_to_page_one() -> None:
    with Sandbox(small_config()) as box, client(box) as http:
        listed, _ = crawl(http, "/api/v1/syncs", {"per_page": 5})
        keys = [(s["attributes"]["updated_at"], int(s["id"])) for s in listed]
        assert keys == sorted(keys, reverse=True)
        oldest = listed[-1]["id"]
        edited = httpx.patch(f"{box.url('ai_squared')}/_sandbox/ai_squared/syncs/{oldest}", json={})
        assert edited.json() == {"sync_id": int(oldest), "updated_at": iso_ms(box.world.now)}
        first = http.get("/api/v1/syncs", params={"per_page": 5}).json()["data"]
        after, _ = crawl(http, "/api/v1/syncs", {"per_page": 5})
    assert first[0]["id"] == oldest and first[0]["attributes"]["updated_at"] == iso_ms(box.world.now)
    assert [s["id"] for s in after] == [oldest] + [s["id"] for s in listed[:-1]]


def test_syncs_nest_their_connectors_and_a_rename_leaves_updated_at() -> None:
    with Sandbox(small_config()) as box:
        world = box.world.ai_squared
        before = {s["id"]: s["attributes"] for s in world.truth_syncs()}
        some = next(iter(before.values()))
        assert list(some["destination"]) == [
            "id", "name", "description", "connector_type", "workspace_id",
            "created_at", "updated_at", "connector_name", "icon",
        ]  # fmt: skip
        target = some["destination"]["id"]
        users = {i for i, a in before.items() if a["destination"]["id"] == target}
        box.advance(60)
        response = httpx.patch(
            f"{box.url('ai_squared')}/_sandbox/ai_squared/connectors/{target}",
            json={"name": "CRM (renamed) ✓"},
        )
        assert response.json() == {"connector_id": target, "name": "CRM (renamed) ✓"}
        with client(box) as http:
            after = {s["id"]: s["attributes"] for s in crawl(http, "/api/v1/syncs", {"per_page": 100})[0]}
    assert set(after) == set(before)
    for sync_id, attributes in after.items():
        assert attributes["updated_at"] == before[sync_id]["updated_at"]
        renamed = sync_id in users
        name = "CRM (renamed) ✓" if renamed else before[sync_id]["destination"]["name"]
        assert attributes["destination"]["name"] == name
        stamp = iso_ms(box.world.now) if renamed else before[sync_id]["destination"]["updated_at"]
        assert attributes["destination"]["updated_at"] == stamp


def test_records_keep_big_integers_and_decimal_strings_exactly(sandbox: Sandbox) -> None:
    world = sandbox.world.ai_squared
    exact = {s.id: s.exact_fields for s in world.syncs.values() if s.exact_fields}
    assert {f for fields in exact.values() for f in fields} >= {"crm_object_id", "lifetime_value"}
    checked = 0
    with client(sandbox) as http:
        for sync_id, fields in exact.items():
            truth = list(world.truth_records(sync_id))[:5]
            if not truth:  # a sync with no record yet
                continue
            run_id = truth[0]["attributes"]["sync_run_id"]
            response = http.get(
                f"/api/v1/syncs/{sync_id}/sync_runs/{run_id}/sync_records", params={"per_page": 5}
            )
            validate("ai_squared_list_sync_records", response)
            served = {r["id"]: r["attributes"]["record"] for r in response.json()["data"]}  # json: exact ints
            admin = f"{sandbox.url('ai_squared')}/_sandbox/ai_squared/truth/records"
            over_http = httpx.get(admin, params={"sync_id": sync_id, "run_id": run_id}).json()["data"]
            assert {r["id"]: r["attributes"]["record"] for r in over_http if r["id"] in served} == served
            for record in (r for r in truth if r["id"] in served):
                for field in fields:
                    literal = record["truth"]["exact"][field]
                    value = served[record["id"]][field]
                    if isinstance(value, int):
                        assert 2**69 <= value < 2**70 and str(value) == literal
                        assert f'"{field}":{literal}'.encode() in response.content
                    else:
                        assert re.fullmatch(r"\d{1,6}\.\d{18}", value) and value == literal
                    checked += 1
    assert checked >= 10

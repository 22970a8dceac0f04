"""The AI Squared sandbox answers as the spec and sandbox/specs/VENDORS.md say."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from sandbox.service import Sandbox
from tests.conftest import small_config
from tests.sandbox.aisq_client import client, crawl
from tests.spec_validation import validate

RUNS_SPEC, RUN_SPEC, RECORDS_SPEC = (
    "ai_squared_list_sync_runs",
    "ai_squared_get_sync_run",
    "ai_squared_list_sync_records",
)
NULLABLE = "nullable_run_times"


def _sync_ids(box: Sandbox) -> list[int]:
    return [int(s["id"]) for s in box.world.ai_squared.truth_syncs()]


def _run_with_records(box: Sandbox, minimum: int = 5) -> tuple[int, int]:
    world = box.world.ai_squared
    for sync in world.syncs.values():
        records = world.records(sync)
        counts = records.run_offsets[1:] - records.run_offsets[:-1]
        for k, n in enumerate(counts):
            if n >= minimum and world.runs(sync).phase[k] >= 5:
                return sync.id, int(world.runs(sync).run_ids[k])
    raise AssertionError("no finished run with records in this world")


def test_every_run_list_page_and_single_run_match_the_spec(sandbox: Sandbox) -> None:
    """Every page of every sync's runs is validated; the crawl must have met every run of the truth."""
    truth: dict[int, list[dict]] = {}
    for run in sandbox.world.ai_squared.truth_runs():
        truth.setdefault(run["attributes"]["sync_id"], []).append(run)
    validated_pages = single_runs = 0
    with client(sandbox) as http:
        for sync_id in _sync_ids(sandbox):
            runs, responses = crawl(http, f"/api/v1/syncs/{sync_id}/sync_runs", {"per_page": 200})
            expected = sorted(truth.get(sync_id, []), key=lambda r: int(r["id"]))
            assert sorted(runs, key=lambda r: int(r["id"])) == expected, f"sync {sync_id}"
            assert len(responses) == max(1, -(-len(expected) // 200)), (
                f"sync {sync_id}: one page per 200 runs"
            )
            for response in responses:
                validate(RUNS_SPEC, response, NULLABLE)
                validated_pages += 1
            for run in runs[:3]:
                validate(RUN_SPEC, http.get(f"/api/v1/syncs/{sync_id}/sync_runs/{run['id']}"), NULLABLE)
                single_runs += 1
    assert sum(map(len, truth.values())) > 200, "the world has several pages' worth of runs"
    assert validated_pages > len(truth) and single_runs == sum(min(3, len(s)) for s in truth.values())


def test_record_pages_and_not_found_errors_match_the_spec(sandbox: Sandbox) -> None:
    sync_id, run_id = _run_with_records(sandbox)
    with client(sandbox) as http:
        _, responses = crawl(
            http, f"/api/v1/syncs/{sync_id}/sync_runs/{run_id}/sync_records", {"per_page": 2}
        )
        for response in responses:
            validate(RECORDS_SPEC, response)
        for spec, path in (
            (RUNS_SPEC, "/api/v1/syncs/999999/sync_runs"),
            (RUN_SPEC, f"/api/v1/syncs/{sync_id}/sync_runs/1"),
            (RECORDS_SPEC, f"/api/v1/syncs/{sync_id}/sync_runs/1/sync_records"),
        ):
            response = http.get(path)
            assert response.status_code == 404
            validate(spec, response)


def test_not_found_bodies_name_what_is_missing(sandbox: Sandbox) -> None:
    sync_id = _sync_ids(sandbox)[0]
    with client(sandbox) as http:
        bodies = [
            http.get(path).json()
            for path in (
                "/api/v1/syncs/999999/sync_runs",
                f"/api/v1/syncs/{sync_id}/sync_runs/1",
                f"/api/v1/syncs/{sync_id}/sync_runs/1/sync_records",
            )
        ]
    details = [b["errors"][0]["detail"] for b in bodies]
    assert details == ["Sync not found", "Sync Run not found", "SyncRun not found"]
    assert all(b["errors"][0]["status"] == 404 and b["errors"][0]["title"] == "Error" for b in bodies)


def test_links_next_chain_visits_every_run_once_newest_updated_first(sandbox: Sandbox) -> None:
    world = sandbox.world.ai_squared
    with client(sandbox) as http:
        for sync_id in _sync_ids(sandbox):
            runs, responses = crawl(http, f"/api/v1/syncs/{sync_id}/sync_runs", {"per_page": 7})
            truth = world.truth_runs(sync_id)
            assert [r["id"] for r in runs] == [r["id"] for r in truth]
            assert len({r["id"] for r in runs}) == len(runs)
            keys = [(r["attributes"]["updated_at"], int(r["id"])) for r in runs]
            assert keys == sorted(keys, reverse=True)
            assert all(len(r.json()["data"]) == 7 for r in responses[:-1])
            assert len(responses) == max(1, -(-len(truth) // 7))


def test_links_are_absolute_sorted_and_keep_query_parameters(sandbox: Sandbox) -> None:
    sync_id = _sync_ids(sandbox)[0]
    with client(sandbox) as http:
        body = http.get(
            f"/api/v1/syncs/{sync_id}/sync_runs",
            params={"status": "success", "per_page": 3, "page": 2},
        ).json()
    links = body["links"]
    assert list(links) == ["self", "first", "prev", "next", "last"]
    base = sandbox.url("ai_squared")
    # self repeats the request's own query string (httpx sent it in the order given); the others sort.
    assert links["self"] == f"{base}/api/v1/syncs/{sync_id}/sync_runs?status=success&per_page=3&page=2"
    assert links["prev"] == f"{base}/api/v1/syncs/{sync_id}/sync_runs?page=1&per_page=3&status=success"
    for url in filter(None, [links[k] for k in ("first", "prev", "next", "last")]):
        keys = [k for k, _ in parse_qsl(urlsplit(url).query)]
        assert keys == sorted(keys) and {"page", "per_page", "status"} <= set(keys)


def test_status_filter_combines_with_paging(sandbox: Sandbox) -> None:
    world = sandbox.world.ai_squared
    with client(sandbox) as http:
        for sync_id in _sync_ids(sandbox):
            runs, _ = crawl(http, f"/api/v1/syncs/{sync_id}/sync_runs", {"status": "failed", "per_page": 4})
            truth = [r["id"] for r in world.truth_runs(sync_id) if r["attributes"]["status"] == "failed"]
            assert [r["id"] for r in runs] == truth


def test_records_come_oldest_created_first_and_filter_by_status(sandbox: Sandbox) -> None:
    sync_id, run_id = _run_with_records(sandbox)
    world = sandbox.world.ai_squared
    url = f"/api/v1/syncs/{sync_id}/sync_runs/{run_id}/sync_records"
    with client(sandbox) as http:
        records, _ = crawl(http, url, {"per_page": 3})
        failed, _ = crawl(http, url, {"per_page": 3, "status": "failed"})
    assert [r["id"] for r in records] == [r["id"] for r in world.truth_records(sync_id, run_id)]
    keys = [(r["attributes"]["created_at"], int(r["id"])) for r in records]
    assert keys == sorted(keys)
    assert [r["id"] for r in failed] == [r["id"] for r in records if r["attributes"]["status"] == "failed"]
    assert all(r["attributes"]["sync_run_id"] == run_id for r in records)


def test_empty_list_has_last_page_one_and_page_past_the_end_points_further(sandbox: Sandbox) -> None:
    sync_id = _sync_ids(sandbox)[0]
    base = sandbox.url("ai_squared")
    with client(sandbox) as http:
        empty = http.get(f"/api/v1/syncs/{sync_id}/sync_runs", params={"status": "paused"}).json()
        past = http.get(f"/api/v1/syncs/{sync_id}/sync_runs", params={"page": 10_000}).json()
    assert empty["data"] == []
    assert (
        empty["links"]["last"] == f"{base}/api/v1/syncs/{sync_id}/sync_runs?page=1&per_page=10&status=paused"
    )
    assert empty["links"]["next"] is None and empty["links"]["prev"] is None
    # Past the end the server does not stop a crawl: next points one page further, for ever.
    assert past["data"] == []
    assert past["links"]["next"] == f"{base}/api/v1/syncs/{sync_id}/sync_runs?page=10001&per_page=10"
    assert past["links"]["prev"].endswith("page=9999&per_page=10")


@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({"status": "bogus"}, {"errors": {"status": ["must be a valid status"]}}),
        ({"page": "0"}, {"errors": {"page": ["must be a positive integer"]}}),
        ({"page": "two"}, {"errors": {"page": ["must be a positive integer"]}}),
        ({"per_page": "-5"}, {"errors": {"per_page": ["must be a positive integer"]}}),
    ],
)
def test_bad_query_parameters_are_400_with_field_errors(sandbox: Sandbox, params: dict, body: dict) -> None:
    sync_id = _sync_ids(sandbox)[0]
    with client(sandbox) as http:
        response = http.get(f"/api/v1/syncs/{sync_id}/sync_runs", params=params)
    assert (response.status_code, response.json()) == (400, body)


def test_missing_or_wrong_token_is_401_and_wrong_workspace_400(sandbox: Sandbox) -> None:
    url = f"{sandbox.url('ai_squared')}/api/v1/syncs"
    unauthorized = {"errors": [{"status": 401, "title": "Error", "detail": "Unauthorized"}]}
    assert httpx.get(url).json() == unauthorized
    wrong = httpx.get(url, headers={"Authorization": "Bearer not.a.token"})
    assert (wrong.status_code, wrong.json()) == (401, unauthorized)
    token = sandbox.world.ai_squared.api_token
    other_workspace = httpx.get(url, headers={"Authorization": f"Bearer {token}", "Workspace-Id": "8"})
    assert other_workspace.status_code == 400  # the server answers "Workspace not found", not 403
    good = {"Authorization": f"Bearer {token}", "Workspace-Id": "7"}
    assert httpx.get(url, headers=good).status_code == 200


def test_login_issues_a_token_that_expires_after_30_minutes_of_world_time() -> None:
    with Sandbox(small_config()) as box:
        world = box.world.ai_squared
        url = box.url("ai_squared")
        bad = httpx.post(f"{url}/api/v1/login", json={"email": world.email, "password": "nope"})
        assert (bad.status_code, bad.json()["errors"][0]["detail"]) == (
            401,
            "Invalid login credentials",
        )
        good = httpx.post(f"{url}/api/v1/login", json={"email": world.email, "password": world.password})
        token = good.json()["data"]["attributes"]["token"]
        with client(box, token) as http:
            assert http.get("/api/v1/syncs").status_code == 200
            box.advance(29 * 60)
            assert http.get("/api/v1/syncs").status_code == 200
            box.advance(2 * 60)
            assert http.get("/api/v1/syncs").status_code == 401


def test_advancing_the_clock_finishes_runs_and_moves_records_to_newer_runs() -> None:
    with Sandbox(small_config(records=50_000)) as box:
        world = box.world.ai_squared
        before_runs = {r["id"]: r["attributes"] for r in world.truth_runs()}
        before_records = {r["id"]: r["attributes"]["sync_run_id"] for r in world.truth_records()}
        active = [i for i, a in before_runs.items() if a["finished_at"] is None]
        assert active, "the world must start with runs in progress"
        box.advance(24 * 3600)
        after_runs = {r["id"]: r["attributes"] for r in world.truth_runs()}
        after_records = {r["id"]: r["attributes"]["sync_run_id"] for r in world.truth_records()}
    assert set(before_runs) < set(after_runs)  # new runs started
    finished = [i for i in active if after_runs[i]["finished_at"] is not None]
    assert finished and all(after_runs[i]["duration"] is not None for i in finished)
    moved = [i for i in before_records if after_records.get(i, 0) > before_records[i]]
    assert moved, "rewritten rows must move to the newer run"
    assert all(after_records[i] >= before_records[i] for i in before_records)


def test_same_seed_serves_identical_bytes_and_moves_identically() -> None:
    def snapshot(box: Sandbox) -> list[bytes]:
        with client(box) as http:
            bodies = [http.get("/api/v1/syncs", params={"per_page": 100}).content]
            for sync_id in _sync_ids(box):
                bodies.append(http.get(f"/api/v1/syncs/{sync_id}/sync_runs", params={"per_page": 50}).content)
            sync_id, run_id = _run_with_records(box)
            bodies.append(http.get(f"/api/v1/syncs/{sync_id}/sync_runs/{run_id}/sync_records").content)
        return [b.replace(box.url("ai_squared").encode(), b"") for b in bodies]

    with Sandbox(small_config()) as one, Sandbox(small_config()) as two:
        assert snapshot(one) == snapshot(two)
        one.advance(3600)
        two.advance(3600)
        assert snapshot(one) == snapshot(two)
        with Sandbox(small_config(seed=8)) as other:
            assert snapshot(other) != snapshot(one)


def test_record_objects_differ_between_syncs_and_keep_spec_types(sandbox: Sandbox) -> None:
    world = sandbox.world.ai_squared
    key_sets = set()
    for sync in world.syncs.values():
        for record in world.truth_records(sync.id):
            body = record["attributes"]["record"]
            assert isinstance(body["id"], int)
            assert isinstance(body.get("phone_number", 0), int)
            key_sets.add(tuple(sorted(body)))
            break
    assert len(key_sets) >= 3

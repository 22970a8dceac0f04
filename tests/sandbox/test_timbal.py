"""The Timbal sandbox answers as the spec says and its world moves as VENDORS.md says.

Everything goes over real sockets (Sandbox + httpx). Read-only tests share one module sandbox;
tests that advance the clock or change config get their own, so test order never matters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

import httpx
import jsonschema
import orjson
import pytest

from sandbox.clock import DAY, HOUR, MINUTE, SECOND, WorldClock, iso_ms, parse_iso
from sandbox.config import WorldConfig
from sandbox.profiles import KINDS
from sandbox.service import Sandbox
from sandbox.timbal import TimbalWorld
from sandbox.timbal.settings import ChangeError
from sandbox.timbal.world import UnknownSync
from tests.spec_validation import spec_dict, validate

SPEC = "timbal_get_connector_sync"
START_MS = 1_790_000_000_000  # a fixed T0, 2026-09-21T14:13:20Z
CONFIG = WorldConfig(seed=7, syncs=12, days=7, records=1000, start_ms=START_MS)
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TERMINAL = {"completed", "failed", "cancelled", "timed_out"}


# fixtures and helpers -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """Shared sandbox: tests using it must neither advance the clock nor change config."""
    with Sandbox(CONFIG) as sandbox:
        yield sandbox


@pytest.fixture
def fresh() -> Iterator[Sandbox]:
    """A sandbox of its own, for tests that move the world."""
    with Sandbox(CONFIG) as sandbox:
        yield sandbox


def tw(sb: Sandbox) -> TimbalWorld:
    return sb.world.timbal


def client(sb: Sandbox, key: str | None = None) -> httpx.Client:
    """A client authenticated with the world's API key (or `key`)."""
    token = key if key is not None else tw(sb).api_key
    return httpx.Client(base_url=sb.url("timbal"), headers={"Authorization": f"Bearer {token}"})


def list_path(sb: Sandbox) -> str:
    return f"/orgs/{tw(sb).org_id}/connectors/syncs"


def detail_path(sb: Sandbox, sync_id: str, connector_id: str | None = None) -> str:
    connector_id = connector_id or tw(sb).setup(sync_id).connector.id
    return f"/orgs/{tw(sb).org_id}/connectors/{connector_id}/syncs/{sync_id}"


def detail(sb: Sandbox, sync_id: str) -> dict:
    with client(sb) as c:
        response = c.get(detail_path(sb, sync_id))
    assert response.status_code == 200, response.text
    validate(SPEC, response)
    return response.json()


def admin(sb: Sandbox, method: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.request(method, f"{sb.url('timbal')}/_sandbox/timbal/{path}", **kwargs)


def truth_runs(sb: Sandbox, sync_id: str | None = None) -> list[dict]:
    params = {"sync_id": sync_id} if sync_id else {}
    response = admin(sb, "GET", "truth/runs", params=params)
    assert response.status_code == 200
    return response.json()["runs"]


def sync_of_kind(sb: Sandbox, *kinds: str) -> str:
    """The enabled sync of one of `kinds` with the shortest interval (most runs per hour)."""
    world = tw(sb)
    candidates = [s for s, k in world.truth_kinds().items() if k in kinds]
    return min(candidates, key=lambda s: (world.setup(s).profile.interval_ms, s))


SYNC_VIEW = jsonschema.Draft202012Validator(
    {"$ref": "#/components/schemas/SyncView", "components": spec_dict(SPEC)["components"]},
    format_checker=jsonschema.FormatChecker(),
)


def check_sync_view(view: dict) -> None:
    """A list item is a SyncView of the spec, with ISO timestamps at millisecond precision."""
    SYNC_VIEW.validate(view)
    for name in ("created_at", "updated_at", "last_run_at", "last_success_at"):
        assert view[name] is None or ISO_MS.match(view[name]), (name, view[name])


# the list endpoint --------------------------------------------------------------------------------
def test_list_serves_every_sync_as_a_spec_syncview_ordered_by_created_at_then_id(sb: Sandbox) -> None:
    with client(sb) as c:
        response = c.get(list_path(sb))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    syncs = response.json()["syncs"]
    assert len(syncs) == CONFIG.syncs
    for view in syncs:
        check_sync_view(view)
    assert [(s["created_at"], s["id"]) for s in syncs] == sorted((s["created_at"], s["id"]) for s in syncs)
    assert [s["id"] for s in syncs] == tw(sb).sync_ids
    assert all(re.match(r"^sync_[0-9a-f]{12}$", s["id"]) for s in syncs)


def test_connector_filter_lists_exactly_that_connectors_syncs(sb: Sandbox) -> None:
    world, seen = tw(sb), []
    with client(sb) as c:
        everything = c.get(list_path(sb)).json()["syncs"]
        for connector_id in world.connector_ids:
            syncs = c.get(list_path(sb), params={"connector_id": connector_id}).json()["syncs"]
            assert syncs and {s["connector_id"] for s in syncs} == {connector_id}
            assert syncs == [s for s in everything if s["connector_id"] == connector_id]
            seen += [s["id"] for s in syncs]
        unknown = c.get(list_path(sb), params={"connector_id": "conn_000000000000"})
    assert sorted(seen) == sorted(world.sync_ids)
    assert unknown.status_code == 200 and unknown.json() == {"syncs": []}
    sizes = [sum(world.setup(s).connector.id == c for s in seen) for c in world.connector_ids]
    assert all(1 <= n <= 6 for n in sizes)  # connectors group 4 to 6 syncs (the last may be smaller)


def test_sync_fields_follow_the_runs_and_the_profile(sb: Sandbox) -> None:
    """last_run_at / last_state / last_success_at / seconds_since_success / has_cursor agree
    with the full run history; only disabled profiles are disabled; names may be null or unicode."""
    world, now = tw(sb), sb.world.now
    runs = truth_runs(sb)
    kinds = world.truth_kinds()
    for view in world.list_syncs():
        mine = [r for r in runs if r["sync_id"] == view["id"]]
        latest = max(mine, key=lambda r: r["created_at"]) if mine else None
        assert view["last_run_at"] == (latest and latest["created_at"])
        assert view["last_state"] == (latest and latest["state"])
        done = [r["finished_at"] for r in mine if r["state"] == "completed"]
        assert view["last_success_at"] == (max(done) if done else None)
        assert view["has_cursor"] is bool(done)
        expected_age = (now - parse_iso(max(done))) // SECOND if done else None
        assert view["seconds_since_success"] == expected_age
        assert view["enabled"] is (kinds[view["id"]] != "disabled")
        assert view["interval_secs"] == world.setup(view["id"]).profile.interval_ms // SECOND
    names = [s["name"] for s in world.list_syncs()]
    assert None in names and any(n and not n.isascii() for n in names)


# the detail endpoint ------------------------------------------------------------------------------
def test_detail_matches_spec_and_truth_for_every_sync(sb: Sandbox) -> None:
    truth = {t["sync"]["id"]: t for t in tw(sb).truth_syncs()}
    listed = {s["id"]: s for s in tw(sb).list_syncs()}
    for sync_id in tw(sb).sync_ids:
        body = detail(sb, sync_id)
        assert body == truth[sync_id]
        assert body["sync"] == listed[sync_id]
        runs = body["recent_runs"]
        assert len(runs) == min(CONFIG.timbal_recent_runs, body["stats"]["runs_total"])
        assert [r["created_at"] for r in runs] == sorted((r["created_at"] for r in runs), reverse=True)


def test_stats_count_every_run_of_the_full_history(sb: Sandbox) -> None:
    runs = truth_runs(sb)
    for body in tw(sb).truth_syncs():
        mine = [r for r in runs if r["sync_id"] == body["sync"]["id"]]
        assert body["stats"] == {
            "runs_total": len(mine),
            "runs_completed": sum(r["state"] == "completed" for r in mine),
            "runs_failed": sum(r["state"] in ("failed", "timed_out") for r in mine),
            "rows_total": sum(r["rows_emitted"] for r in mine),
        }
        newest = sorted(mine, key=lambda r: r["created_at"], reverse=True)[: CONFIG.timbal_recent_runs]
        assert body["recent_runs"] == [{k: v for k, v in r.items() if k != "sync_id"} for r in newest]


def test_runs_are_internally_consistent(sb: Sandbox) -> None:
    """Nulls until known, duration = finished - started, rows_per_sec, messages by state."""
    runs = truth_runs(sb)
    assert len({r["job_id"] for r in runs}) == len(runs)
    for run in runs:
        assert re.match(r"^job_[0-9a-f]{16}$", run["job_id"]) and ISO_MS.match(run["created_at"])
        state, rows = run["state"], run["rows_emitted"]
        if state == "queued":
            assert run["started_at"] is None and rows == 0
        if state in ("queued", "running"):
            assert run["finished_at"] is None and run["duration_ms"] is None
            assert run["rows_per_sec"] is None and run["message"] is None
            continue
        started, finished = parse_iso(run["started_at"]), parse_iso(run["finished_at"])
        assert parse_iso(run["created_at"]) <= started <= finished
        assert run["duration_ms"] == finished - started
        duration = run["duration_ms"]
        assert run["rows_per_sec"] == (round(rows / (duration / 1000), 3) if duration else None)
        if state in ("failed", "timed_out"):
            assert run["message"]
        else:
            assert run["message"] == ("cancelled by user" if state == "cancelled" else None)


def test_every_profile_kind_and_run_state_is_present(sb: Sandbox) -> None:
    assert set(tw(sb).truth_kinds().values()) == set(KINDS)
    states = {r["state"] for r in truth_runs(sb)}
    assert {"completed", "failed", "cancelled", "timed_out", "running"} <= states
    failed = [r for r in truth_runs(sb) if r["state"] in ("failed", "timed_out")]
    assert any(r["rows_emitted"] == 0 for r in failed)  # early failures move nothing


def test_queued_run_has_no_start_and_no_rows(fresh: Sandbox) -> None:
    """A twin world (same config, so the same future) tells when the next run is created;
    1 ms later it is queued: its start lies 0.5 to 30 s after creation."""
    sync_id = sync_of_kind(fresh, "healthy", "flaky")
    twin = TimbalWorld(CONFIG, WorldClock(START_MS))
    twin.clock.advance(2 * twin.setup(sync_id).profile.interval_ms)
    created = [parse_iso(r["created_at"]) for r in twin.truth_runs(sync_id)]
    upcoming = min(t for t in created if t > fresh.world.now)
    fresh.advance((upcoming + 1 - fresh.world.now) / 1000)
    body = detail(fresh, sync_id)
    latest = body["recent_runs"][0]
    assert latest["state"] == "queued" and latest["created_at"] == iso_ms(upcoming)
    assert latest["started_at"] is None and latest["rows_emitted"] == 0
    assert body["sync"]["last_state"] == "queued"


# errors -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer tbl_sk_wrong"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["missing", "wrong-key", "not-bearer"],
)
def test_missing_or_wrong_key_is_403_forbidden(sb: Sandbox, headers: dict[str, str]) -> None:
    sync_id = tw(sb).sync_ids[0]
    for path in (detail_path(sb, sync_id), list_path(sb)):
        response = httpx.get(sb.url("timbal") + path, headers=headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
        assert response.json()["error"]["message"]
    validate(SPEC, httpx.get(sb.url("timbal") + detail_path(sb, sync_id), headers=headers))


def test_key_used_for_another_org_is_403_forbidden(sb: Sandbox) -> None:
    sync = tw(sb).list_syncs()[0]
    with client(sb) as c:
        detail_response = c.get(
            f"/orgs/org_000000000000/connectors/{sync['connector_id']}/syncs/{sync['id']}"
        )
        list_response = c.get("/orgs/org_000000000000/connectors/syncs")
    for response in (detail_response, list_response):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    validate(SPEC, detail_response)


def test_unknown_sync_or_sync_under_another_connector_is_404(sb: Sandbox) -> None:
    world = tw(sb)
    sync_id = world.sync_ids[0]
    other = next(c for c in world.connector_ids if c != world.setup(sync_id).connector.id)
    with client(sb) as c:
        for path in (
            detail_path(sb, "sync_000000000000", other),
            detail_path(sb, sync_id, other),
            detail_path(sb, sync_id, "conn_000000000000"),
        ):
            response = c.get(path)
            assert response.status_code == 404
            assert response.json() == {"error": {"code": "not_found", "message": "Sync not found"}}
            validate(SPEC, response)


# a moving world -----------------------------------------------------------------------------------
def test_recent_runs_window_slides_as_the_clock_advances(fresh: Sandbox) -> None:
    sync_id = sync_of_kind(fresh, "healthy", "flaky", "slow")
    interval = tw(fresh).setup(sync_id).profile.interval_ms
    before = detail(fresh, sync_id)
    fresh.advance((3 * interval + MINUTE) / 1000)
    after = detail(fresh, sync_id)
    old_ids = [r["job_id"] for r in before["recent_runs"]]
    new_ids = [r["job_id"] for r in after["recent_runs"]]
    assert after["stats"]["runs_total"] >= before["stats"]["runs_total"] + 3
    assert len(new_ids) == CONFIG.timbal_recent_runs
    assert old_ids[-1] not in new_ids  # the oldest fell out of the window
    assert (
        new_ids[0] not in old_ids
        and after["recent_runs"][0]["created_at"] > before["recent_runs"][0]["created_at"]
    )
    kept = {r["job_id"]: r["created_at"] for r in before["recent_runs"]}
    assert all(kept[r["job_id"]] == r["created_at"] for r in after["recent_runs"] if r["job_id"] in kept)


def test_running_runs_finish_with_final_values_after_advance(fresh: Sandbox) -> None:
    running = {r["job_id"]: r for r in truth_runs(fresh) if r["state"] == "running"}
    assert running
    for _ in range(30):  # slow runs may take days
        fresh.advance(DAY / 1000)
        now = {r["job_id"]: r for r in truth_runs(fresh) if r["job_id"] in running}
        if all(r["state"] in TERMINAL for r in now.values()):
            break
    for job_id, then in running.items():
        final = now[job_id]
        assert final["state"] in TERMINAL
        assert (final["created_at"], final["started_at"]) == (then["created_at"], then["started_at"])
        assert final["finished_at"] and final["duration_ms"] is not None
        assert final["rows_emitted"] >= then["rows_emitted"]  # rows never go back


def test_history_already_served_never_changes_when_the_clock_advances(fresh: Sandbox) -> None:
    """Creation times stay put (also the newest run's) and finished runs are frozen."""
    seen: dict[str, dict] = {}
    for _ in range(12):
        for run in truth_runs(fresh):
            before = seen.get(run["job_id"])
            if before is not None:
                assert run["created_at"] == before["created_at"]
                if before["state"] in TERMINAL:
                    assert run == before
            seen[run["job_id"]] = run
        fresh.advance(7 * MINUTE / 1000)


# config changes -----------------------------------------------------------------------------------
def test_patch_changes_config_in_detail_and_truth_versions(fresh: Sandbox) -> None:
    sync_id = sync_of_kind(fresh, "healthy")
    original = detail(fresh, sync_id)["sync"]
    fresh.advance(600)
    changes = {
        "name": "Ventas — nuevo ✓",
        "interval_secs": 1800,
        "cursor_column": "seq",
        "dest_table": "kb_x",
    }
    response = admin(fresh, "PATCH", f"syncs/{sync_id}", json=changes)
    assert response.status_code == 200, response.text
    changed_at = iso_ms(fresh.world.now)
    shown = detail(fresh, sync_id)["sync"]
    assert response.json()["sync"] == shown
    assert {k: shown[k] for k in changes} == changes and shown["updated_at"] == changed_at
    versions = admin(fresh, "GET", f"truth/syncs/{sync_id}/config_versions").json()["versions"]
    assert versions == tw(fresh).truth_config_versions(sync_id)
    assert [v["valid_from"] for v in versions] == [original["updated_at"], changed_at]
    assert versions[0]["name"] == original["name"] and versions[1]["interval_secs"] == 1800
    fresh.advance(4 * HOUR / 1000)
    created = [parse_iso(r["created_at"]) for r in truth_runs(fresh, sync_id)]
    new = [t for t in created if t > parse_iso(changed_at)]
    assert len(new) >= 7 and all(abs(b - a - 1800 * SECOND) < MINUTE for a, b in pairwise(new))


def test_disable_stops_new_runs_and_enable_resumes_them(fresh: Sandbox) -> None:
    sync_id = sync_of_kind(fresh, "healthy", "flaky")
    assert admin(fresh, "PATCH", f"syncs/{sync_id}", json={"enabled": False}).status_code == 200
    disabled_at = fresh.world.now
    fresh.advance(DAY / 1000)
    body = detail(fresh, sync_id)
    assert body["sync"]["enabled"] is False
    assert all(parse_iso(r["created_at"]) <= disabled_at for r in truth_runs(fresh, sync_id))
    assert admin(fresh, "PATCH", f"syncs/{sync_id}", json={"enabled": True}).status_code == 200
    enabled_at = fresh.world.now
    fresh.advance(2 * body["sync"]["interval_secs"] + 120)
    later = [parse_iso(r["created_at"]) for r in truth_runs(fresh, sync_id)]
    assert sum(t > enabled_at for t in later) >= 2
    assert len(tw(fresh).truth_config_versions(sync_id)) == 3


def test_several_changes_at_one_instant_all_apply(fresh: Sandbox) -> None:
    """An interval change, then a disable before the new cadence began, then re-enabling."""
    sync_id = sync_of_kind(fresh, "healthy")
    for body in ({"interval_secs": 7200}, {"enabled": False}, {"enabled": True, "interval_secs": 900}):
        response = admin(fresh, "PATCH", f"syncs/{sync_id}", json=body)
        assert response.status_code == 200, response.text
    changed_at = fresh.world.now
    fresh.advance(HOUR / 1000 + 30)
    new = [
        parse_iso(r["created_at"])
        for r in truth_runs(fresh, sync_id)
        if parse_iso(r["created_at"]) > changed_at
    ]
    assert len(new) == 4 and new[0] >= changed_at + 900 * SECOND


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"colour": "red"}, "unknown fields: colour"),
        ({"enabled": "yes"}, "enabled must be a boolean"),
        ({"interval_secs": "60"}, "interval_secs must be an integer"),
        ({"interval_secs": True}, "interval_secs must be an integer"),
        ({"interval_secs": 5}, "interval_secs must lie in"),
        ({"name": 5}, "name must be a string or null"),
        ({"dest_table": ""}, "dest_table must be a non-empty string"),
        ({}, "non-empty JSON object"),
        ([1, 2], "JSON object"),
    ],
)
def test_patch_rejects_bad_bodies_with_400_and_a_clear_message(
    sb: Sandbox, body: object, fragment: str
) -> None:
    sync_id = tw(sb).sync_ids[0]
    response = admin(sb, "PATCH", f"syncs/{sync_id}", content=orjson.dumps(body))
    assert response.status_code == 400
    assert fragment in response.json()["error"]
    assert len(tw(sb).truth_config_versions(sync_id)) == 1


def test_patch_of_unknown_sync_or_invalid_json_is_rejected(sb: Sandbox) -> None:
    assert admin(sb, "PATCH", "syncs/sync_000000000000", json={"name": "x"}).status_code == 404
    assert admin(sb, "GET", "truth/syncs/sync_000000000000/config_versions").status_code == 404
    assert admin(sb, "GET", "truth/runs", params={"sync_id": "nope"}).status_code == 404
    bad = admin(sb, "PATCH", f"syncs/{tw(sb).sync_ids[0]}", content=b"{not json")
    assert bad.status_code == 400
    with pytest.raises(UnknownSync):
        tw(sb).update_sync("sync_000000000000", name="x")
    with pytest.raises(ChangeError):
        tw(sb).update_sync(tw(sb).sync_ids[0], colour="red")


# determinism, truth, scale ------------------------------------------------------------------------
def _snapshot(sb: Sandbox) -> list[bytes]:
    """Raw bytes of the list, a filtered list, every detail and an error, in a fixed order."""
    paths = [list_path(sb), f"{list_path(sb)}?connector_id={tw(sb).connector_ids[0]}"]
    paths += [detail_path(sb, s) for s in tw(sb).sync_ids]
    paths += [detail_path(sb, "sync_000000000000", tw(sb).connector_ids[0])]
    with client(sb) as c:
        return [c.get(p).content for p in paths]


def test_same_config_serves_identical_bytes_also_after_the_same_moves() -> None:
    with Sandbox(CONFIG) as a, Sandbox(CONFIG) as b:
        assert _snapshot(a) == _snapshot(b)
        for sandbox in (a, b):
            sandbox.advance(5 * HOUR / 1000)
            admin(sandbox, "PATCH", f"syncs/{tw(sandbox).sync_ids[2]}", json={"interval_secs": 900})
            sandbox.advance(HOUR / 1000)
        assert _snapshot(a) == _snapshot(b)
        assert admin(a, "GET", "truth/runs").content == admin(b, "GET", "truth/runs").content
    with Sandbox(CONFIG.with_(seed=8)) as other:
        assert tw(other).org_id != tw(a).org_id


def test_admin_truth_endpoints_serve_the_in_process_truth(sb: Sandbox) -> None:
    world = tw(sb)
    assert admin(sb, "GET", "truth/syncs").json() == {
        "syncs": orjson.loads(orjson.dumps(world.truth_syncs()))
    }
    assert admin(sb, "GET", "truth/kinds").json() == {"kinds": world.truth_kinds()}
    org = admin(sb, "GET", "truth/org").json()
    assert org == {"org_id": world.org_id, "api_key": world.api_key, "connector_ids": world.connector_ids}
    assert re.match(r"^org_[0-9a-f]{12}$", world.org_id) and world.api_key.startswith("tbl_sk_")


def test_env_points_a_pipeline_at_this_world(sb: Sandbox) -> None:
    env = sb.env()
    assert env["SOURCES__TIMBAL__BASE_URL"] == sb.url("timbal")
    assert env["SOURCES__TIMBAL__ORG_ID"] == tw(sb).org_id
    assert env["SOURCES__TIMBAL__API_KEY"] == tw(sb).api_key


def test_thousand_sync_world_builds_lazily_and_lists_every_sync() -> None:
    config = CONFIG.with_(syncs=1000, days=28)
    with Sandbox(config) as big, client(big) as c:
        response = c.get(list_path(big), timeout=60)
        assert response.status_code == 200
        syncs = response.json()["syncs"]
        assert len(syncs) == 1000 and len({s["id"] for s in syncs}) == 1000
        check_sync_view(syncs[-1])
        assert c.get(detail_path(big, syncs[500]["id"])).status_code == 200

"""The Paragon sandbox over real sockets: spec-valid answers, auth, kinds, clock, admin, truth."""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator

import httpx
import orjson
import pytest

from sandbox.clock import MINUTE, parse_iso
from sandbox.config import WorldConfig
from sandbox.paragon import ParagonWorld
from sandbox.paragon.catalog import KINDS
from sandbox.paragon.history import completed_cycles, transitions
from sandbox.paragon.status import state_at
from sandbox.service import Sandbox
from sandbox.tokens import make_jwt
from tests.spec_validation import validate

START_MS = 1_780_000_000_000  # 2026-05-28T20:26:40Z, fixed so every run sees the same world
CONFIG = WorldConfig(seed=7, syncs=12, days=7, records=1000, start_ms=START_MS)
SPEC = "paragon_get_sync_status"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Paragon:
    """A test client: requests as a given user, plus the world's truth."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.world: ParagonWorld = sb.world.paragon
        self.http = httpx.Client(base_url=sb.url("paragon"), timeout=10)

    def token_for(self, sync_id: str) -> str:
        return self.world.token_of(self.world.spec(sync_id).user_id)

    def detail(self, sync_id: str, token: str | None = None) -> httpx.Response:
        token = token or self.token_for(sync_id)
        return self.http.get(f"/api/syncs/{sync_id}", headers=bearer(token))

    def status(self, sync_id: str) -> dict:
        response = self.detail(sync_id)
        assert response.status_code == 200, response.text
        return response.json()

    def listing(self, token: str, **params: str) -> httpx.Response:
        return self.http.get("/api/syncs", headers=bearer(token), params=params)

    def of_kind(self, kind: str) -> list[dict]:
        return [s for s in self.world.truth_syncs() if s["kind"] == kind]

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="module")
def frozen() -> Iterator[Paragon]:
    """A sandbox nobody advances or edits: read-only tests share it."""
    with Sandbox(CONFIG) as sb:
        client = Paragon(sb)
        yield client
        client.close()


@pytest.fixture
def paragon() -> Iterator[Paragon]:
    """A fresh sandbox for tests that move the clock or change syncs."""
    with Sandbox(CONFIG) as sb:
        client = Paragon(sb)
        yield client
        client.close()


# responses and the spec ----------------------------------------------------------------------
def test_every_sync_status_is_valid_against_the_spec(frozen: Paragon) -> None:
    for sync in frozen.world.truth_syncs():
        response = frozen.detail(sync["id"])
        assert response.status_code == 200
        validate(SPEC, response)
        body = response.json()
        assert body["credentialId"] == sync["credential_id"]
        assert body["incrementalAccumulatorFrequency"] == sync["frequency"]


def test_401_and_404_responses_are_valid_and_carry_paragon_messages(frozen: Paragon) -> None:
    sync_id = frozen.world.truth_syncs()[0]["id"]
    unauthorized = frozen.http.get(f"/api/syncs/{sync_id}")
    assert unauthorized.status_code == 401
    assert unauthorized.json() == {"message": "Unauthorized"}
    validate(SPEC, unauthorized)
    missing = frozen.detail("00000000-0000-4000-8000-000000000000", frozen.world.tokens()[0])
    assert missing.status_code == 404
    assert missing.json() == {"message": "Sync not found"}
    validate(SPEC, missing)


def test_fields_are_present_exactly_when_they_apply(frozen: Paragon) -> None:
    for sync in frozen.world.truth_syncs():
        body = frozen.status(sync["id"])
        summary = body["summary"]
        assert ("reason" in body) == (body["status"] == "ERRORED")
        assert ("rateLimitBackoffMs" in body) == (body["status"] == "RATE_LIMITED")
        assert summary["totalRecords"] >= summary["syncedRecordsCount"] >= 0
        has_cycle = bool(frozen.world.truth_cycles(sync["id"]))
        assert ("lastSyncedAt" in summary) == has_cycle == ("latestCursor" in summary)
        if has_cycle:  # JavaScript toISOString: milliseconds and Z
            assert len(summary["lastSyncedAt"]) == 24 and summary["lastSyncedAt"].endswith("Z")


def test_truth_status_is_exactly_what_the_api_serves(frozen: Paragon) -> None:
    for sync in frozen.world.truth_syncs():
        served = frozen.detail(sync["id"]).content
        truth = frozen.http.get(f"/_sandbox/paragon/truth/syncs/{sync['id']}").content
        assert served == truth
        assert orjson.loads(served) == frozen.world.truth_status(sync["id"])


# auth and scoping ------------------------------------------------------------------------------
def test_missing_malformed_forged_foreign_or_expired_tokens_get_401(frozen: Paragon) -> None:
    world = frozen.world
    now_s = world.clock.now // 1000
    claims = {"sub": world.users[0], "aud": world.audience, "iat": now_s - 60}
    bad = [
        {},
        {"Authorization": world.tokens()[0]},  # no scheme
        {"Authorization": f"Basic {world.tokens()[0]}"},
        bearer("not-a-jwt"),
        bearer(make_jwt("another-project-key", {**claims, "exp": now_s + 3600})),
        bearer(make_jwt(world.signing_key, {**claims, "aud": "useparagon.com/other"})),
        bearer(make_jwt(world.signing_key, {**claims, "exp": now_s - 1})),  # expired
        bearer(make_jwt(world.signing_key, {**claims, "sub": "stranger", "exp": now_s + 60})),
    ]
    sync_id = world.syncs_of(world.users[0])[0].id
    for headers in bad:
        for path in ("/api/syncs", f"/api/syncs/{sync_id}"):
            response = frozen.http.get(path, headers=headers)
            assert response.status_code == 401, (headers, path)
            assert response.json() == {"message": "Unauthorized"}


def test_tokens_are_paragon_user_tokens_one_per_user(frozen: Paragon) -> None:
    world = frozen.world
    assert len(world.tokens()) == CONFIG.paragon_users == len(set(world.tokens()))
    for user, token in zip(world.users, world.tokens(), strict=True):
        assert world.authenticate(token) == user
    served = frozen.http.get("/_sandbox/paragon/truth/tokens").json()
    assert [row["token"] for row in served["data"]] == world.tokens()
    assert world.audience == f"useparagon.com/{served['project_id']}"


def test_list_returns_only_the_token_users_syncs(frozen: Paragon) -> None:
    truth = frozen.world.truth_syncs()
    seen: list[str] = []
    for user, token in zip(frozen.world.users, frozen.world.tokens(), strict=True):
        response = frozen.listing(token)
        assert response.status_code == 200
        items = response.json()["data"]
        assert items, f"{user} owns no sync"
        assert {i["id"] for i in items} == {s["id"] for s in truth if s["user_id"] == user}
        for item in items:
            assert list(item) == [
                "id", "integration", "pipeline", "status",
                *(["reason"] if item["status"] == "ERRORED" else []), "credentialId",
            ]  # fmt: skip
            assert item["status"] == frozen.status(item["id"])["status"]
        seen += [i["id"] for i in items]
    assert sorted(seen) == sorted(s["id"] for s in truth)


def test_list_honours_the_credential_id_filter(frozen: Paragon) -> None:
    truth = frozen.world.truth_syncs()
    for user, token in zip(frozen.world.users, frozen.world.tokens(), strict=True):
        for credential in {s["credential_id"] for s in truth if s["user_id"] == user}:
            items = frozen.listing(token, credentialId=credential).json()["data"]
            expected = {s["id"] for s in truth if s["user_id"] == user and s["credential_id"] == credential}
            assert {i["id"] for i in items} == expected
    unknown = frozen.listing(frozen.world.tokens()[0], credentialId="no-such-credential")
    assert unknown.json() == {"data": []}


def test_another_users_sync_is_not_found(frozen: Paragon) -> None:
    world = frozen.world
    theirs = world.syncs_of(world.users[1])[0].id
    response = frozen.detail(theirs, world.token_of(world.users[0]))
    assert response.status_code == 404
    assert response.json() == {"message": "Sync not found"}


# kinds -----------------------------------------------------------------------------------------
def test_every_kind_is_present_and_shows_its_pattern(frozen: Paragon) -> None:
    truth = frozen.world.truth_syncs()
    assert {s["kind"] for s in truth} == set(KINDS)
    statuses = {s["status"] for s in truth}
    assert {"INITIALIZING", "IDLE", "RATE_LIMITED", "ERRORED", "DISABLED"} <= statuses
    for sync in frozen.of_kind("disabled"):
        assert sync["status"] == "DISABLED"
    for sync in frozen.of_kind("errored") + frozen.of_kind("recovering"):
        assert frozen.status(sync["id"])["reason"]
    for sync in frozen.of_kind("initializing"):
        assert "lastSyncedAt" not in frozen.status(sync["id"])["summary"]
    for sync in frozen.of_kind("flaky"):  # transient errors that clear by themselves
        history = [t["status"] for t in _transitions(frozen, sync)]
        errors = [i for i, status in enumerate(history) if status == "ERRORED"]
        assert errors and errors[0] + 1 < len(history)
    unhappy = [s for s in truth if s["kind"] in ("flaky", "errored", "recovering")]
    reasons = [r for s in unhappy for r in _reasons(frozen, s["id"])]
    assert any(not r.isascii() for r in reasons), "some reason should carry unicode"


def _transitions(client: Paragon, sync: dict) -> list[dict]:
    url = f"/_sandbox/paragon/truth/syncs/{sync['id']}/transitions"
    return client.http.get(url).json()["data"]


def _reasons(client: Paragon, sync_id: str) -> list[str]:
    return [t["reason"] for t in client.world.truth_transitions(sync_id) if "reason" in t]


def test_healthy_history_starts_initializing_then_active_then_idle(frozen: Paragon) -> None:
    sync = frozen.of_kind("healthy")[0]
    history = _transitions(frozen, sync)
    assert [t["status"] for t in history[:3]] == ["INITIALIZING", "ACTIVE", "IDLE"]
    cycles = frozen.world.truth_cycles(sync["id"])
    assert cycles[0]["cycle"] == 0 and cycles[0]["finished_at"] == history[2]["at"]
    counts = [c["synced_records_count"] for c in cycles]
    assert counts == sorted(counts)
    assert sum(c["records"] for c in cycles) == counts[-1]


# the clock -------------------------------------------------------------------------------------
def test_polling_an_unchanged_world_returns_identical_bytes(frozen: Paragon) -> None:
    token = frozen.world.tokens()[0]
    first = [frozen.listing(token).content] + [frozen.detail(s).content for s in _ids(frozen)]
    again = [frozen.listing(token).content] + [frozen.detail(s).content for s in _ids(frozen)]
    assert first == again


def _ids(client: Paragon) -> list[str]:
    return [s["id"] for s in client.world.truth_syncs()]


def test_last_synced_at_advances_past_a_cycle_and_matches_truth_cycles(paragon: Paragon) -> None:
    sync = next(s for s in paragon.of_kind("healthy") if s["frequency"] in ("1m", "5m", "15m"))
    before = paragon.status(sync["id"])["summary"]
    paragon.sb.advance(2 * 15 * MINUTE / 1000 + 60)
    after = paragon.status(sync["id"])["summary"]
    assert parse_iso(after["lastSyncedAt"]) > parse_iso(before["lastSyncedAt"])
    assert after["latestCursor"] != before["latestCursor"]
    cycles = paragon.world.truth_cycles(sync["id"])
    assert cycles[-1]["finished_at"] == after["lastSyncedAt"]
    new = [c for c in cycles if parse_iso(c["finished_at"]) > parse_iso(before["lastSyncedAt"])]
    grown = after["syncedRecordsCount"] - before["syncedRecordsCount"]
    assert grown == sum(c["records"] for c in new)


def test_snapshots_polled_often_reveal_exactly_the_truth_cycles(paragon: Paragon) -> None:
    """What a source infers (each advance of lastSyncedAt is one cycle) is the truth."""
    sync = next(s for s in paragon.of_kind("healthy") if s["frequency"] == "1m")
    start = paragon.world.clock.now
    seen, counts = [], []
    for _ in range(60):
        summary = paragon.status(sync["id"])["summary"]
        if not seen or summary["lastSyncedAt"] != seen[-1]:
            seen.append(summary["lastSyncedAt"])
            counts.append(summary["syncedRecordsCount"])
        paragon.sb.advance(10)
    truth = [c for c in paragon.world.truth_cycles(sync["id"]) if c["finished_at"] >= seen[0]]
    truth = [c for c in truth if parse_iso(c["finished_at"]) < paragon.world.clock.now - 10_000]
    assert [c["finished_at"] for c in truth] == seen[: len(truth)]
    assert [c["synced_records_count"] for c in truth] == counts[: len(truth)]
    assert len(truth) >= (paragon.world.clock.now - start) // MINUTE - 2


def test_rate_limited_sync_carries_backoff_and_resumes_after_it(paragon: Paragon) -> None:
    limited = [s for s in paragon.world.truth_syncs() if s["status"] == "RATE_LIMITED"]
    assert limited, "one rate-limited sync must be backing off at T0"
    sync_id = limited[0]["id"]
    body = paragon.status(sync_id)
    backoff = body["rateLimitBackoffMs"]
    assert isinstance(backoff, int) and 30_000 <= backoff <= 600_000
    synced_before = body["summary"].get("lastSyncedAt")
    paragon.sb.advance(backoff / 1000 + 1)
    resumed = paragon.status(sync_id)
    assert resumed["status"] != "RATE_LIMITED" and "rateLimitBackoffMs" not in resumed
    paragon.sb.advance(10 * 60)
    later = paragon.status(sync_id)["summary"]
    assert later["lastSyncedAt"] != synced_before
    history = paragon.world.truth_transitions(sync_id)
    i = max(i for i, t in enumerate(history) if t["at_ms"] <= START_MS)
    limited, resumed = history[i], history[i + 1]
    assert limited["status"] == "RATE_LIMITED" and limited["rateLimitBackoffMs"] == backoff
    assert resumed == {**resumed, "status": "ACTIVE", "at_ms": limited["at_ms"] + backoff}


def test_recovering_sync_leaves_errored_when_the_clock_advances(paragon: Paragon) -> None:
    sync = paragon.of_kind("recovering")[0]
    assert paragon.status(sync["id"])["status"] == "ERRORED"
    paragon.sb.advance(40 * 60)
    body = paragon.status(sync["id"])
    assert body["status"] != "ERRORED" and "reason" not in body
    history = paragon.world.truth_transitions(sync["id"])
    i = max(i for i, t in enumerate(history) if t["at_ms"] <= START_MS)
    assert history[i]["status"] == "ERRORED" and history[i]["reason"]
    assert history[i + 1]["status"] != "ERRORED" and history[i + 1]["at_ms"] > START_MS


def test_errored_sync_stays_errored_and_completes_no_cycle(paragon: Paragon) -> None:
    sync = paragon.of_kind("errored")[0]
    before = paragon.status(sync["id"])
    paragon.sb.advance(3 * 3600)
    after = paragon.status(sync["id"])
    assert after["status"] == "ERRORED" and after["reason"] == before["reason"]
    assert after["summary"] == before["summary"]


def test_initializing_sync_gets_its_first_last_synced_at(paragon: Paragon) -> None:
    sync = next(s for s in paragon.of_kind("initializing") if s["status"] == "INITIALIZING")
    assert paragon.status(sync["id"])["summary"] == {"totalRecords": 0, "syncedRecordsCount": 0}
    paragon.sb.advance(2 * 3600)
    summary = paragon.status(sync["id"])["summary"]
    initial = paragon.world.truth_cycles(sync["id"])[0]
    assert initial["cycle"] == 0
    assert summary["syncedRecordsCount"] >= initial["records"] > 0
    states = [t["status"] for t in paragon.world.truth_transitions(sync["id"])]
    assert states[:3] == ["INITIALIZING", "ACTIVE", "IDLE"]


# admin -----------------------------------------------------------------------------------------
def test_patch_disables_errors_and_resumes_a_sync(paragon: Paragon) -> None:
    sync = next(s for s in paragon.of_kind("healthy") if s["frequency"] == "1m")
    url = f"/_sandbox/paragon/syncs/{sync['id']}"
    token = paragon.token_for(sync["id"])
    disabled = paragon.http.patch(url, json={"status": "DISABLED"})
    assert disabled.status_code == 200 and disabled.json()["status"] == "DISABLED"
    assert paragon.status(sync["id"])["status"] == "DISABLED"
    frozen_summary = paragon.status(sync["id"])["summary"]
    paragon.sb.advance(5 * 60)
    assert paragon.status(sync["id"])["summary"] == frozen_summary
    reason = "Credential ID [c0ffee00-0000-4000-8000-000000000001] n'est plus valide — réessayez"
    paragon.http.patch(url, json={"status": "ERRORED", "reason": reason})
    assert paragon.status(sync["id"])["reason"] == reason
    paragon.sb.advance(30)
    listed = {i["id"]: i for i in paragon.listing(token).json()["data"]}
    assert listed[sync["id"]]["reason"] == reason
    validate(SPEC, paragon.detail(sync["id"]))
    resumed = paragon.http.patch(url, json={"status": "ACTIVE"})
    assert resumed.json()["status"] in ("ACTIVE", "IDLE")
    paragon.sb.advance(3 * 60)
    summary = paragon.status(sync["id"])["summary"]
    assert parse_iso(summary["lastSyncedAt"]) > parse_iso(frozen_summary["lastSyncedAt"])
    tail = [t["status"] for t in paragon.world.truth_transitions(sync["id"])]
    assert "DISABLED" in tail[-12:] and "ERRORED" in tail[-12:]


def test_patch_rejects_bad_input_with_a_clear_message(paragon: Paragon) -> None:
    sync_id = _ids(paragon)[0]
    url = f"/_sandbox/paragon/syncs/{sync_id}"
    for body in (
        {"status": "PAUSED"},
        {"status": "ERRORED"},
        {"status": "DISABLED", "reason": "why"},
        {"reason": "no status"},
        {"status": "DISABLED", "colour": "blue"},
        [],
    ):
        response = paragon.http.patch(url, json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]
    assert paragon.http.patch(url, content=b"{not json").status_code == 400
    unknown = paragon.http.patch("/_sandbox/paragon/syncs/nope", json={"status": "DISABLED"})
    assert unknown.status_code == 404


def test_set_status_in_process_matches_the_admin_endpoint(paragon: Paragon) -> None:
    sync_id = _ids(paragon)[3]
    served = paragon.world.set_status(sync_id, "ERRORED", "Quota dépassé (id 42)")
    assert served == paragon.status(sync_id)
    with pytest.raises(KeyError):
        paragon.world.set_status("nope", "DISABLED")
    with pytest.raises(ValueError):
        paragon.world.set_status(sync_id, "ERRORED")


# determinism and truth ---------------------------------------------------------------------------
def _snapshot(client: Paragon) -> list[bytes]:
    lists = [client.listing(t).content for t in client.world.tokens()]
    return lists + [client.detail(s).content for s in _ids(client)]


def test_same_config_serves_identical_bytes_also_after_the_same_advance() -> None:
    with Sandbox(CONFIG) as one, Sandbox(CONFIG) as two:
        a, b = Paragon(one), Paragon(two)
        assert a.world.tokens() == b.world.tokens()
        assert _snapshot(a) == _snapshot(b)
        one.advance(37.5)
        two.advance(37.5)
        assert _snapshot(a) == _snapshot(b)
        a.close()
        b.close()
    with Sandbox(CONFIG.with_(seed=8)) as other:
        assert other.world.paragon.tokens() != a.world.tokens()


def test_transitions_and_cycles_agree_with_snapshots_at_any_instant(paragon: Paragon) -> None:
    """The truth lists and the served status come from one model, whatever the instant."""
    world = paragon.world
    world.set_status(_ids(paragon)[0], "DISABLED")
    paragon.sb.advance(600.5)
    world.set_status(_ids(paragon)[0], "IDLE")
    paragon.sb.advance(900)
    now, rng = world.clock.now, random.Random(3)
    for sync in world.catalog.syncs:
        timeline = world.timeline(sync.id)
        changes = transitions(timeline, now)
        times = [t for t, _ in changes]
        finishes = [c.finished_ms for c in completed_cycles(timeline, now)]
        instants = [*rng.sample(times, min(40, len(times))), now]
        instants += [rng.randint(sync.created_ms, now) for _ in range(40)]
        for t in instants:
            assert changes[bisect.bisect_right(times, t) - 1][1].observable == (
                state_at(timeline, t).observable
            )
            done = timeline.last_completed(t)
            i = bisect.bisect_right(finishes, t) - 1
            assert (done[1] if done else None) == (finishes[i] if i >= 0 else None)


def test_a_thousand_sync_world_lists_every_users_syncs() -> None:
    config = WorldConfig(seed=11, syncs=1000, days=28, records=1000, start_ms=START_MS)
    with Sandbox(config) as sb:
        client = Paragon(sb)
        total = 0
        for token in client.world.tokens():
            response = client.listing(token)
            assert response.status_code == 200
            total += len(response.json()["data"])
        assert total == 1000
        client.close()


def test_env_points_a_pipeline_at_the_world(frozen: Paragon) -> None:
    env = frozen.world.env(frozen.sb.url("paragon"))
    assert env["SOURCES__PARAGON__BASE_URL"] == frozen.sb.url("paragon")
    assert orjson.loads(env["SOURCES__PARAGON__USER_TOKENS"]) == frozen.world.tokens()
    assert frozen.sb.env()["SOURCES__PARAGON__USER_TOKENS"] == env["SOURCES__PARAGON__USER_TOKENS"]

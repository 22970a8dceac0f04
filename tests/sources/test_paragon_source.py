"""The Paragon source keeps one snapshot per observed change, equal to the sandbox's truth.

Every expectation comes from the world: the status it served at each poll time (`truth_status`),
its state changes (`truth_transitions`) and completed cycles (`truth_cycles`). A peek world built
from the same seed tells what the box will do next, so tests can poll just before and after a
change. The clock moves in whole seconds, the resolution of the `Date` header the source reads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import orjson
import pytest

from pipelines.runner import VendorResult, state_dir
from sandbox.clock import iso_ms
from sandbox.faults import Faults
from sandbox.http import Request
from sandbox.paragon.catalog import FREQUENCIES
from sandbox.service import Sandbox
from sandbox.tokens import make_jwt
from sandbox.world import World
from sources.http import AuthError, ConfigError
from sources.paragon.tokens import parse_tokens
from tests.conftest import Loader, kill_midway, small_config
from tests.sources.warehouse import all_text, rows

RAW = "raw_paragon"
SNAPSHOTS = "sync_status_snapshots"
CONFIG = small_config(days=1)  # a day of history: enough for every kind, and cheap truth


@pytest.fixture
def box() -> Sandbox:
    with Sandbox(CONFIG) as sandbox:
        yield sandbox


def row_of(sync_id: str, user_id: str, body: dict, at_ms: int) -> dict:
    """The snapshot row the source must write for `body` served at `at_ms`."""
    summary = body["summary"]
    return {
        "sync_id": sync_id,
        "first_seen_at": iso_ms(at_ms),
        "polled_at": iso_ms(at_ms),
        "user_id": user_id,
        "credential_id": body["credentialId"],
        "status": body["status"],
        "total_records": summary["totalRecords"],
        "synced_records_count": summary["syncedRecordsCount"],
        "last_synced_at": summary.get("lastSyncedAt"),
        "latest_cursor": summary.get("latestCursor"),
        "reason": body.get("reason"),
        "rate_limit_backoff_ms": body.get("rateLimitBackoffMs"),
    }


@dataclass
class Polls:
    """Loads with the world's truth at each poll time, and the model the source must follow:
    a sync reported RATE_LIMITED is not read until its backoff has passed since that poll."""

    box: Sandbox
    load: Loader
    times: list[int] = field(default_factory=list)
    served: list[dict[str, dict]] = field(default_factory=list)  # truth_status per sync per poll
    requested: list[set[str]] = field(default_factory=list)  # syncs whose status was requested

    def __post_init__(self) -> None:
        self.world = self.box.world.paragon
        self.owners = {s["id"]: s["user_id"] for s in self.world.truth_syncs()}

    def poll(self, **settings: object) -> VendorResult:
        self.box.reset_requests()
        result = self.load(self.box, "paragon", **settings)
        assert result.status == "loaded", result.message
        self.record()
        return result

    def record(self) -> None:
        self.times.append(self.box.world.now)
        present = [s for s in self.owners if self.world.spec(s) is not None]
        self.served.append({s: self.world.truth_status(s) for s in present})
        self.requested.append(status_requests(self.box))

    def reads(self, sync_id: str) -> list[int]:
        """Indexes of the polls that must read `sync_id` (and find it)."""
        out, until = [], 0
        for i, at in enumerate(self.times):
            body = self.served[i].get(sync_id)
            if at < until or body is None:
                continue
            until = at + body.get("rateLimitBackoffMs", 0) if body["status"] == "RATE_LIMITED" else 0
            out.append(i)
        return out

    def expected(self) -> dict[tuple[str, str], dict]:
        """A row per read that changed the state; two in one second keep order 1 ms apart."""
        snapshots: dict[tuple[str, str], dict] = {}
        for sync_id, user in self.owners.items():
            last, seen = None, 0
            for i in self.reads(sync_id):
                row = row_of(sync_id, user, self.served[i][sync_id], self.times[i])
                state = {k: v for k, v in row.items() if k not in ("first_seen_at", "polled_at")}
                if state != last:
                    seen, last = max(self.times[i], seen + 1), state
                    snapshots[(sync_id, iso_ms(seen))] = {**row, "first_seen_at": iso_ms(seen)}
        return snapshots

    def expected_requests(self) -> list[set[str]]:
        per_poll: list[set[str]] = [set() for _ in self.times]
        for sync_id in self.owners:
            for i in self.reads(sync_id):
                per_poll[i].add(sync_id)
        return per_poll


def status_requests(box: Sandbox) -> set[str]:
    return {r.target.rsplit("/", 1)[1] for r in box.requests("paragon") if r.target.startswith("/api/syncs/")}


def snapshots(db: Path) -> dict[tuple[str, str], dict]:
    found = rows(db, RAW, SNAPSHOTS)
    keyed = {(r["sync_id"], r["first_seen_at"]): r for r in found}
    assert len(keyed) == len(found), "duplicate snapshot keys"
    return keyed


def advance_to(box: Sandbox, at_ms: int) -> None:
    assert at_ms % 1000 == 0 and at_ms >= box.world.now
    box.advance((at_ms - box.world.now) // 1000)


def state_rows(db: Path) -> int:
    return len(rows(db, RAW, "_dlt_pipeline_state"))


# what a load writes ----------------------------------------------------------------------------
def test_first_load_writes_one_snapshot_per_sync_and_the_syncs_as_the_truth_has_them(
    box: Sandbox, load: Loader, db: Path
) -> None:
    polls = Polls(box, load)
    result = polls.poll()
    assert result.rows == {"syncs": 12, SNAPSHOTS: 12}
    assert snapshots(db) == polls.expected()
    expected_syncs = {
        s["id"]: {
            "id": s["id"],
            "user_id": s["user_id"],
            "integration": s["integration"],
            "pipeline": s["pipeline"],
            "credential_id": s["credential_id"],
            "frequency": s["frequency"],
            "frequency_seconds": FREQUENCIES[s["frequency"]] // 1000,
            "status": s["status"],
            "reason": box.world.paragon.truth_status(s["id"]).get("reason"),
            "first_seen_at": iso_ms(box.world.now),
        }
        for s in box.world.paragon.truth_syncs()
    }
    assert {r["id"]: r for r in rows(db, RAW, "syncs")} == expected_syncs


def test_polling_an_unchanged_world_again_adds_no_row_and_no_state(
    box: Sandbox, load: Loader, db: Path
) -> None:
    polls = Polls(box, load)
    polls.poll()
    before, state_before = snapshots(db), state_rows(db)
    result = polls.poll()
    assert result.rows == {}
    assert snapshots(db) == before and state_rows(db) == state_before
    assert polls.requested == polls.expected_requests()


def test_each_forced_status_change_adds_exactly_one_snapshot(box: Sandbox, load: Loader, db: Path) -> None:
    polls = Polls(box, load)
    polls.poll()
    first_poll = iso_ms(box.world.now)
    sync_id = next(s["id"] for s in box.world.paragon.truth_syncs() if s["kind"] == "healthy")
    changes = [("ERRORED", "Credential ID [x] is no longer valid."), ("DISABLED", None)]
    for status, reason in changes:
        box.advance(1)
        box.world.paragon.set_status(sync_id, status, reason)
        before = snapshots(db)
        polls.poll()
        added = [r for k, r in snapshots(db).items() if k not in before]
        assert [(r["status"], r["reason"]) for r in added if r["sync_id"] == sync_id] == [(status, reason)]
    assert snapshots(db) == polls.expected()
    sync = next(r for r in rows(db, RAW, "syncs") if r["id"] == sync_id)
    assert (sync["status"], sync["first_seen_at"]) == ("DISABLED", first_poll), "a change keeps first_seen_at"


def test_two_changes_within_one_second_of_the_date_header_keep_both_rows_in_order(
    box: Sandbox, load: Loader, db: Path
) -> None:
    polls = Polls(box, load)
    polls.poll()
    sync_id = next(s["id"] for s in box.world.paragon.truth_syncs() if s["kind"] == "healthy")
    box.world.paragon.set_status(sync_id, "DISABLED")  # same clock reading as the first poll
    assert polls.poll().rows == {"syncs": 1, SNAPSHOTS: 1}
    t0 = box.world.now
    mine = sorted((k[1], r["polled_at"], r["status"]) for k, r in snapshots(db).items() if k[0] == sync_id)
    assert [m[:2] for m in mine] == [(iso_ms(t0), iso_ms(t0)), (iso_ms(t0 + 1), iso_ms(t0))]
    assert mine[1][2] == "DISABLED"
    assert snapshots(db) == polls.expected()


def test_advancing_just_past_each_transition_adds_exactly_one_snapshot_for_it(
    box: Sandbox, load: Loader, db: Path
) -> None:
    t0 = box.world.now
    peek = World(CONFIG)  # the same seeded world, run ahead to see what comes next
    peek.advance(1800)
    sync = next(s for s in peek.paragon.truth_syncs() if s["kind"] == "healthy" and s["frequency"] == "15m")
    ahead = [t for t in peek.paragon.truth_transitions(sync["id"]) if t["at_ms"] > t0][:3]
    assert len(ahead) == 3 and len({t["at_ms"] // 1000 for t in ahead}) == 3
    polls = Polls(box, load)
    polls.poll()
    for transition in ahead:
        just_before = (transition["at_ms"] - 1) // 1000 * 1000
        advance_to(box, just_before)
        polls.poll()
        advance_to(box, just_before + 1000)  # just past it
        polls.poll()
    mine = sorted((k[1], r["status"]) for k, r in snapshots(db).items() if k[0] == sync["id"])
    assert mine[1:] == [(iso_ms((t["at_ms"] - 1) // 1000 * 1000 + 1000), t["status"]) for t in ahead]
    assert snapshots(db) == polls.expected()


# snapshots against the truth over time -----------------------------------------------------------
STEPS_S = (45, 60, 90, 240, 600, 15, 60)


def test_snapshots_follow_the_truth_and_last_synced_at_advances_are_its_cycles(
    box: Sandbox, load: Loader, db: Path
) -> None:
    polls = Polls(box, load)
    polls.poll()
    for step in STEPS_S:
        box.advance(step)
        polls.poll()
    found = snapshots(db)
    assert found == polls.expected()
    assert polls.requested == polls.expected_requests()
    world = box.world.paragon
    one_per_cycle = folded = 0
    for sync_id in polls.owners:
        mine = [found[k] for k in sorted(k for k in found if k[0] == sync_id)]
        transitions = world.truth_transitions(sync_id)
        cycles = world.truth_cycles(sync_id)
        for row in mine:  # status from the transitions, lastSyncedAt from the cycles
            at = row["first_seen_at"]
            state = [t for t in transitions if t["at"] <= at][-1]
            assert (row["status"], row["reason"], row["rate_limit_backoff_ms"]) == (
                state["status"], state.get("reason"), state.get("rateLimitBackoffMs")
            )  # fmt: skip
            done = [c for c in cycles if c["finished_at"] <= at]
            assert row["last_synced_at"] == (done[-1]["finished_at"] if done else None)
            assert row["synced_records_count"] == (done[-1]["synced_records_count"] if done else 0)
        advances = [
            (new["last_synced_at"], new["synced_records_count"] - old["synced_records_count"])
            for old, new in pairwise(mine)
            if new["last_synced_at"] != old["last_synced_at"]
        ]
        # Each cycle completed after the first poll folds into the first later poll that read it.
        reads = [polls.times[i] for i in polls.reads(sync_id)]
        groups = [
            [c for c in cycles if iso_ms(a) < c["finished_at"] <= iso_ms(b)] for a, b in pairwise(reads)
        ]
        expected = [(g[-1]["finished_at"], sum(c["records"] for c in g)) for g in groups if g]
        assert advances == expected, sync_id
        one_per_cycle += any(groups) and all(len(g) <= 1 for g in groups)
        folded += any(len(g) > 1 for g in groups)
    assert one_per_cycle and folded, "the world must show both a cycle per advance and folded cycles"


def test_rate_limited_syncs_are_not_read_until_their_backoff_has_passed(
    box: Sandbox, load: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="syncscope.paragon")
    polls = Polls(box, load)
    polls.poll()
    t0 = box.world.now
    limited = {
        s: t0 + body["rateLimitBackoffMs"]
        for s, body in polls.served[0].items()
        if body["status"] == "RATE_LIMITED"
    }
    assert limited, "the world must have a rate-limited sync at T0"
    first_free = min(limited.values())
    advance_to(box, first_free - 1000)
    polls.poll()
    assert polls.requested[1] == set(polls.owners) - set(limited)
    many = len(limited) > 1
    assert (
        f"paragon: {len(limited)} rate-limited sync{'s' if many else ''} skipped "
        f"until {'their' if many else 'its'} backoff passes"
    ) in caplog.text
    advance_to(box, first_free)
    polls.poll()
    assert polls.requested[2] == set(polls.owners) - {s for s, at in limited.items() if at > first_free}
    assert polls.requested == polls.expected_requests()


# faults, crashes, secrets ------------------------------------------------------------------------
def test_faults_do_not_change_what_is_loaded(box: Sandbox, load: Loader, db: Path) -> None:
    polls = Polls(box, load)
    box.set_faults("paragon", Faults(error_rate=0.15, drop_rate=0.1, truncate_rate=0.1, seed=3))
    assert polls.poll(max_attempts=12).retries > 0
    box.advance(90)
    box.set_faults("paragon", Faults(rate_limit_per_s=8, error_rate=0.1, seed=4))
    assert polls.poll(max_attempts=12).retries > 0
    assert 429 in {r.status for r in box.requests("paragon")}
    assert snapshots(db) == polls.expected()


def test_a_load_killed_mid_way_then_rerun_equals_the_truth(box: Sandbox, load: Loader, db: Path) -> None:
    polls = Polls(box, load)
    polls.poll()
    box.advance(120)
    box.reset_requests()
    box.set_faults("paragon", Faults(latency_ms=250))
    kill_midway(box, "paragon", db, after_requests=5)
    box.set_faults("paragon", Faults())
    polls.poll()
    assert snapshots(db) == polls.expected()
    assert polls.poll().rows == {}


def expired_token(box: Sandbox, user: str) -> str:
    world = box.world.paragon
    issued = world.clock.now // 1000 - 7200
    claims = {"sub": user, "aud": world.audience, "iat": issued, "exp": issued + 3600}
    return make_jwt(world.signing_key, claims)


def test_a_rejected_token_fails_in_one_line_naming_its_index_not_the_token(
    box: Sandbox, load: Loader, db: Path
) -> None:
    tokens = box.world.paragon.tokens()
    tokens[1] = expired_token(box, "user-2")
    result = load(box, "paragon", user_tokens=orjson.dumps(tokens).decode())
    assert (result.status, result.message) == (
        "failed",
        "paragon: HTTP 401 Unauthorized from /api/syncs: check sources.paragon.user_tokens[1] (user user-2)",
    )
    assert rows(db, RAW, SNAPSHOTS) == []


def test_tokens_never_appear_in_logs_errors_tables_or_state(
    box: Sandbox, load: Loader, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = [*box.world.paragon.tokens(), expired_token(box, "user-3")]
    box.set_faults("paragon", Faults(error_rate=0.2, truncate_rate=0.1, seed=1))
    assert load(box, "paragon", max_attempts=12).status == "loaded"
    box.set_faults("paragon", Faults())
    failed = load(box, "paragon", user_tokens=orjson.dumps(secrets[:2] + secrets[3:]).decode())
    assert failed.status == "failed" and "user_tokens[2] (user user-3)" in failed.message
    assert not any(s in caplog.text or s in failed.message for s in secrets)
    assert not any(s in all_text(db) for s in secrets)
    files = [p for p in state_dir(db).rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert not any(s.encode() in data for s in secrets), path


# smaller behaviours ---------------------------------------------------------------------------------
def test_a_sync_deleted_between_list_and_status_is_a_warning_naming_it(
    box: Sandbox, load: Loader, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = box.world.paragon
    gone = world.syncs_of("user-2")[0].id

    def delete_after_listing(request: Request) -> None:
        if request.path == f"/api/syncs/{gone}":
            world.catalog.by_id.pop(gone, None)

    box.before_request("paragon", delete_after_listing)
    polls = Polls(box, load)
    result = polls.poll()
    assert result.rows == {"syncs": 11, SNAPSHOTS: 11}
    assert (
        f"paragon: sync {gone} of sources.paragon.user_tokens[1] (user user-2) not found (HTTP 404): "
        "deleted after it was listed; skipped"
    ) in caplog.text
    assert gone not in {k[0] for k in snapshots(db)}
    assert snapshots(db) == polls.expected()


def test_sync_ids_narrow_the_load_and_name_the_missing_ones(
    box: Sandbox, load: Loader, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wanted = [s.id for s in box.world.paragon.catalog.syncs[:2]]
    polls = Polls(box, load)
    polls.poll(sync_ids=orjson.dumps([*wanted, "no-such-sync"]).decode())
    assert polls.requested == [set(wanted)]
    assert {k[0] for k in snapshots(db)} == set(wanted)
    assert "paragon: sync no-such-sync (from sources.paragon.sync_ids) not found; skipped" in caplog.text


@pytest.mark.parametrize("setting", [None, "[]", " "])
def test_no_tokens_means_paragon_is_skipped_in_one_line(
    box: Sandbox, load: Loader, setting: str | None
) -> None:
    result = load(box, "paragon", user_tokens=setting)
    assert (result.status, result.message) == (
        "skipped",
        "paragon: no credentials: set sources.paragon.user_tokens",
    )


def test_tokens_are_read_from_a_list_a_json_list_or_separated_text_and_bad_json_is_not_echoed() -> None:
    jwt = make_jwt("k", {"sub": "user-9"})
    for value in (
        [jwt, "opaque"],
        orjson.dumps([jwt, "opaque"]).decode(),
        f"{jwt}, opaque",
        f"{jwt}\nopaque",
    ):
        users = parse_tokens(value)
        assert [(u.index, u.user_id) for u in users] == [(0, "user-9"), (1, None)]
        assert jwt not in repr(users)
    with pytest.raises(ConfigError) as bad:
        parse_tokens(f'["{jwt}"')
    assert jwt not in str(bad.value)
    for empty in (None, [], "[]", " ", ""):
        with pytest.raises(AuthError) as none:
            parse_tokens(empty)
        assert str(none.value) == "paragon: no credentials: set sources.paragon.user_tokens"

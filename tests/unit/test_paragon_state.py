"""Paragon's state scheme (`known`, `last`, `backoff_until`) and frequency parsing, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sources.http import BearerAuth
from sources.paragon import changed_snapshots, changed_syncs
from sources.paragon.poll import Observation
from sources.paragon.tables import fingerprint, frequency_seconds
from sources.paragon.tokens import UserToken

T0 = datetime(2026, 11, 18, tzinfo=UTC)
T0_MS = 1_794_960_000_000  # `date -u -d 2026-11-18 +%s`, in ms
USER = UserToken(0, "user-a", BearerAuth("not-a-real-token"))
ITEM = {"id": "s1", "integration": "hubspot", "pipeline": "contacts", "credentialId": "c1", "status": "IDLE"}


def status(state: str = "IDLE", **extra: object) -> dict:
    body = {"status": state, "credentialId": "c1", "incrementalAccumulatorFrequency": "15m"}
    body["summary"] = {"totalRecords": 10, "syncedRecordsCount": 10, "lastSyncedAt": "2026-11-17T23:00:00Z"}
    return {**body, **extra}


def read(body: dict, at: datetime = T0, item: dict = ITEM) -> Observation:
    return Observation(USER, item, at, body, at)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15m", 900), ("30s", 30), ("2h", 7_200), ("1d", 86_400), (" 5 m ", 300), ("0m", 0)],
)
def test_frequency_seconds_reads_number_and_unit(text: str, seconds: int) -> None:
    assert frequency_seconds(text) == seconds


@pytest.mark.parametrize("text", [None, "", "15", "m", "15w", "1.5h", "15mm", "-5m"])
def test_frequency_seconds_is_none_when_unreadable(text: str | None) -> None:
    assert frequency_seconds(text) is None


def test_a_user_token_never_shows_the_token() -> None:
    assert "not-a-real-token" not in repr(USER)


def test_changed_syncs_writes_a_row_only_when_the_sync_changed() -> None:
    known: dict[str, list] = {}
    rows = changed_syncs(known, [read(status())])
    assert [(r["id"], r["frequency"], r["frequency_seconds"], r["first_seen_at"]) for r in rows] == [
        ("s1", "15m", 900, T0)
    ]
    assert known["s1"][1:] == ["15m", T0_MS]
    later = T0 + timedelta(hours=1)
    assert changed_syncs(known, [read(status(), later)]) == []  # unchanged: no row, state as is
    assert known["s1"][1:] == ["15m", T0_MS]
    rows = changed_syncs(known, [read(status("ERRORED"), later)])
    assert [(r["status"], r["first_seen_at"]) for r in rows] == [("ERRORED", T0)]  # first seen kept


def test_changed_syncs_migrates_two_field_entries_to_the_poll_time_once() -> None:
    row = changed_syncs({}, [read(status())])[0]
    old_digest = fingerprint([v for k, v in row.items() if k != "first_seen_at"])
    known = {"s1": [old_digest, "15m"]}  # written before first_seen_at was kept
    later = T0 + timedelta(days=2)
    rows = changed_syncs(known, [read(status(), later)])
    assert rows == []  # nothing observable moved: no row even though the entry is old
    assert known == {"s1": [old_digest, "15m"]}
    rows = changed_syncs(known, [read(status("ERRORED"), later)])
    assert [r["first_seen_at"] for r in rows] == [later]
    assert known["s1"][1:] == ["15m", T0_MS + 2 * 86_400_000]


def test_changed_syncs_skips_gone_and_keeps_the_last_frequency_when_not_read() -> None:
    known = {"s1": ["old", "1h", T0_MS]}
    gone = Observation(USER, ITEM, T0, gone=True)
    assert changed_syncs(known, [gone]) == []
    skipped = Observation(USER, ITEM, T0 + timedelta(minutes=1))  # listed, not read (backoff)
    rows = changed_syncs(known, [skipped])
    assert [(r["status"], r["frequency"], r["frequency_seconds"], r["first_seen_at"]) for r in rows] == [
        ("IDLE", "1h", 3_600, T0)
    ]


def test_changed_snapshots_appends_on_change_and_keeps_keys_increasing() -> None:
    state: dict = {}
    first = changed_snapshots(state, [read(status())])
    assert [(r["sync_id"], r["first_seen_at"], r["total_records"]) for r in first] == [("s1", T0, 10)]
    assert state["last"]["s1"][1] == T0_MS
    assert changed_snapshots(state, [read(status(), T0 + timedelta(minutes=5))]) == []
    # changed within the same second of the vendor clock: 1 ms past the previous row
    again = changed_snapshots(state, [read(status("RUNNING"), T0)])
    assert [r["first_seen_at"] for r in again] == [T0 + timedelta(milliseconds=1)]
    assert [r["polled_at"] for r in again] == [T0]
    assert state["last"]["s1"][1] == T0_MS + 1


def test_changed_snapshots_notes_and_clears_rate_limit_backoffs() -> None:
    state: dict = {}
    changed_snapshots(state, [read(status("RATE_LIMITED", rateLimitBackoffMs=30_000))])
    assert state["backoff_until"] == {"s1": T0_MS + 30_000}
    skipped = Observation(USER, ITEM, T0 + timedelta(seconds=10))  # not read: nothing changes
    assert changed_snapshots(state, [skipped]) == []
    assert state["backoff_until"] == {"s1": T0_MS + 30_000}
    changed_snapshots(state, [read(status("IDLE"), T0 + timedelta(minutes=1))])
    assert state["backoff_until"] == {}
    changed_snapshots(state, [read(status("RATE_LIMITED", rateLimitBackoffMs=0))])
    assert state["backoff_until"] == {}

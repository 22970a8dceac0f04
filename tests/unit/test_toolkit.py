"""sources.toolkit: the vendor clock, epoch ms, short hashes, JSON lists and the once-per-load value."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sources.toolkit import (
    Once,
    epoch_ms,
    from_epoch_ms,
    iso_ms,
    json_list,
    parse_timestamp,
    poll_time,
    short_hash,
)

T0 = datetime(2026, 11, 18, tzinfo=UTC)
T0_MS = 1_794_960_000_000  # `date -u -d 2026-11-18 +%s`, in ms


def answer(**headers: str) -> httpx.Response:
    return httpx.Response(200, headers=headers)


@pytest.mark.parametrize(
    "date",
    ["Wed, 18 Nov 2026 00:00:00 GMT", "Wed, 18 Nov 2026 01:00:00 +0100", "Wed, 18 Nov 2026 00:00:00 -0000"],
)
def test_poll_time_is_the_vendor_date_in_utc(date: str) -> None:
    when = poll_time(answer(date=date))
    assert when == T0 and when.utcoffset() == timedelta(0)


@pytest.mark.parametrize("headers", [{}, {"date": ""}, {"date": "yesterday"}, {"date": "Wed, 99 Nov 2026"}])
def test_poll_time_falls_back_to_the_local_clock(headers: dict[str, str]) -> None:
    before = datetime.now(UTC)
    when = poll_time(answer(**headers))
    assert before <= when <= datetime.now(UTC)


def test_epoch_ms_both_ways() -> None:
    assert epoch_ms(T0) == T0_MS
    assert epoch_ms(T0 + timedelta(milliseconds=1, microseconds=999)) == T0_MS + 1
    assert from_epoch_ms(T0_MS + 1) == T0 + timedelta(milliseconds=1)
    assert iso_ms("2026-11-18T01:00:00.250+01:00") == T0_MS + 250
    assert iso_ms("2026-11-18T00:00:00Z") == T0_MS


def test_parse_timestamp() -> None:
    assert parse_timestamp("2026-11-18T00:00:00Z") == T0
    assert parse_timestamp("2026-11-18T01:00:00+01:00") == T0
    assert parse_timestamp("2026-11-18T00:00:00Z").utcoffset() == timedelta(0)
    assert parse_timestamp("") is None and parse_timestamp(None) is None
    assert parse_timestamp(T0) is T0


def test_short_hash_is_stable_and_sized() -> None:
    assert short_hash({"a": 1, "b": [1, 2]}) == short_hash({"b": [1, 2], "a": 1})
    assert short_hash({"a": 1, "b": 2}, sort_keys=False) != short_hash({"b": 2, "a": 1}, sort_keys=False)
    assert len(short_hash([1])) == 16 and len(short_hash([1], 16)) == 32


def test_short_hash_keeps_the_values_earlier_versions_wrote_to_state() -> None:
    """Pinned from the per-vendor functions this replaced (Timbal `digest`, Paragon `fingerprint`,
    AI Squared `digest`): a changed value would make every row look changed once."""
    value = {"b": [1, "x"], "a": None}
    assert short_hash(value) == "02238dfd5226671d"
    assert short_hash(["x", 1, None], sort_keys=False) == "bfa0754f9e6de098"
    assert short_hash(value, sort_keys=False) == "a1a70f468f0ede59"
    assert short_hash(value, 16) == "8a784e67fe9f750f6443ed13095f89b5"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [('["t1", "t2"]', ["t1", "t2"]), ('  [1, "a"] ', [1, "a"]), ("[]", []), ("t1,t2", None), ('["t1"', None)],
)
def test_json_list(text: str, parsed: list | None) -> None:
    assert json_list(text) == parsed


def test_once_makes_one_value_for_every_thread() -> None:
    made: list[int] = []
    once = Once(lambda: made.append(1) or len(made))
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(once.get())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [1] * 8 and made == [1]


def test_once_tries_again_after_a_failure() -> None:
    calls: list[int] = []

    def make() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("vendor down")
        return "listing"

    once = Once(make)
    with pytest.raises(RuntimeError, match="vendor down"):
        once.get()
    assert once.get() == "listing" and once.get() == "listing"
    assert len(calls) == 2

"""The AI Squared listing decisions (digest, newest_per_id, Listing) against a fake api."""

from __future__ import annotations

import logging

import pytest

from sources.ai_squared.listing import Listing, digest, newest_per_id


def sync(sync_id: int, updated: str, **extra: object) -> dict:
    return {"id": sync_id, "updated_at": updated, **extra}


def test_digest_sees_nested_changes_and_ignores_key_order() -> None:
    a = {"id": 1, "updated_at": "2026-01-01T00:00:00+00:00", "source": {"name": "pg", "id": 3}}
    same = {"source": {"id": 3, "name": "pg"}, "updated_at": "2026-01-01T00:00:00+00:00", "id": 1}
    renamed = {**a, "source": {"name": "postgres", "id": 3}}
    assert digest(a) == digest(same)
    assert digest(a) != digest(renamed)
    assert len(digest(a)) == 32  # 16 bytes, hex


def test_newest_per_id_keeps_the_newest_copy_by_time_not_by_text() -> None:
    newest = sync(1, "2026-01-01T10:00:00+00:00", v="newest")
    # 09:30Z written in another offset: later as text, earlier in time
    later_text = sync(1, "2026-01-01T10:30:00+01:00", v="later as text")
    late_copy = sync(1, "2026-01-01T09:59:59+00:00", v="late copy")
    two = sync(2, "2026-01-01T00:00:00+00:00")
    assert newest_per_id([newest, two, later_text, late_copy]) == [newest, two]
    assert newest_per_id([later_text, newest]) == [newest]
    # equal times: the later one in listing order wins
    again = sync(2, "2026-01-01T00:00:00+00:00", v="second")
    assert newest_per_id([two, again]) == [again]


class FakeApi:
    """Listed syncs and the syncs `GET /syncs/{id}` finds; records every id asked for."""

    def __init__(self, listed: list[dict], by_id: dict[int, dict]) -> None:
        self.listed, self.by_id = listed, by_id
        self.asked: list[int] = []
        self.listings = 0

    def syncs(self) -> list[dict]:
        self.listings += 1
        return list(self.listed)

    def sync(self, sync_id: int) -> dict | None:
        self.asked.append(sync_id)
        return self.by_id.get(sync_id)


S1, S2, S3, S4 = (sync(i, f"2026-01-0{i}T00:00:00+00:00") for i in (1, 2, 3, 4))


def test_known_sync_missed_by_the_listing_is_asked_by_id_and_404_is_gone() -> None:
    api = FakeApi([S1, S2], by_id={3: S3})  # 3 moved under the pager, 4 deleted (404)
    listing = Listing(api, None, known=lambda: [1, 2, 3, 4])  # type: ignore[arg-type]
    assert listing.syncs() == [S1, S2, S3]
    assert listing.gone() == [4]
    assert api.asked == [3, 4]
    listing.syncs()
    assert api.listings == 1  # once per load


def test_empty_listing_deletes_nothing_the_server_still_has() -> None:
    api = FakeApi([], by_id={1: S1, 2: S2})
    listing = Listing(api, None, known=lambda: [2, 1])  # type: ignore[arg-type]
    assert listing.syncs() == [S1, S2]
    assert listing.gone() == []


def test_narrowed_listing_keeps_only_the_wanted_and_never_marks_gone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = FakeApi([S1, S2, S3], by_id={4: S4})
    listing = Listing(api, [3, 4, 5], known=lambda: [1, 2, 3, 9])  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="syncscope.ai_squared"):
        assert listing.syncs() == [S3, S4]
    assert listing.gone() == []
    assert api.asked == [4, 5]  # known syncs are not asked about on a narrowed list
    assert caplog.messages == ["ai_squared: sync 5 (from sources.ai_squared.sync_ids) not found; skipped"]

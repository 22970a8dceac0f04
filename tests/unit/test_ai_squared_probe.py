"""Which runs of a page validation must see, told from the raw page and the threshold."""

from __future__ import annotations

from typing import Any

from sources.ai_squared.probe import threshold_text, triage
from sources.toolkit import iso_ms

T = "2026-11-18T10:00:00.000Z"
T_MS = 1_794_996_000_000  # T in epoch ms (`date -u -d 2026-11-18T10:00:00Z +%s`)


def run(run_id: int, updated_at: Any) -> dict[str, Any]:
    return {"id": str(run_id), "type": "sync_runs", "attributes": {"sync_id": 1, "updated_at": updated_at}}


def ids(resources: list[Any]) -> list[str]:
    return [r["id"] if isinstance(r, dict) else r for r in resources]


def test_threshold_text_is_the_servers_form_to_the_millisecond() -> None:
    assert threshold_text(T_MS) == T
    assert threshold_text(T_MS - 1) == "2026-11-18T09:59:59.999Z"
    assert threshold_text(0) == "1970-01-01T00:00:00.000Z"
    assert threshold_text(iso_ms("0031-02-03T04:05:06.007Z")) == "0031-02-03T04:05:06.007Z"  # padded year
    assert threshold_text(None) is None
    assert threshold_text(10**17) is None  # past year 9999: the form cannot hold it
    assert threshold_text(-(10**17)) is None  # before year 1


def test_a_page_older_than_the_threshold_says_nothing_new_and_no_further_page() -> None:
    page = [
        run(3, "2026-11-18T09:59:59.999Z"),
        run(2, "2026-11-18T09:00:00.000Z"),
        run(1, "2026-11-17T00:00:00.000Z"),
    ]
    assert triage(page, T) == ([], True)


def test_runs_at_or_after_the_threshold_are_kept_and_the_older_tail_dropped() -> None:
    page = [
        run(5, "2026-11-18T11:00:00.000Z"),
        run(4, T),
        run(3, "2026-11-18T09:59:59.999Z"),
        run(2, "2026-11-01T00:00:00.000Z"),
    ]
    sorted_out = triage(page, T)
    assert ids(sorted_out.candidates) == ["5", "4"]  # exactly on the threshold is kept
    assert sorted_out.ends_older is True


def test_a_page_that_is_all_new_does_not_reach_below_the_threshold() -> None:
    page = [run(9, "2026-11-19T00:00:00.000Z"), run(8, "2026-11-18T10:00:00.001Z")]
    assert triage(page, T) == (page, False)  # a full page like this: the sync is read in full


def test_what_the_text_cannot_tell_is_left_to_validation() -> None:
    page = [
        run(7, "2026-11-18T12:00:00+02:00"),  # another RFC 3339 form (10:00Z): not compared as text
        run(6, "2026-11-18T09:00:00Z"),  # no milliseconds: not the server's form
        run(5, "2026-11-18 09:00:00.000Z"),  # malformed: validation sets it aside
        run(4, None),
        {"id": "3", "type": "sync_runs"},  # no attributes
        "not a resource",
        run(2, "2026-11-18t09:00:00.000z"),  # lower-case letters: text order is not time order here
    ]
    sorted_out = triage(page, T)
    assert sorted_out.candidates == page
    assert sorted_out.ends_older is False  # the last run's time is for validation to read


def test_no_threshold_keeps_every_run() -> None:
    page = [run(1, "2000-01-01T00:00:00.000Z")]
    assert triage(page, None) == (page, False)
    assert triage([], T) == ([], False)

"""sources.ai_squared.records.record_batches: pages go over one at a time, runs done after their last."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pyarrow as pa
import pytest

from sources.ai_squared.records import Job, record_batches
from sources.http import NotFound

LOOKBACK_MS = 3_600_000


def page(run: int, first: int, count: int) -> pa.Table:
    return pa.table({"sync_run_id": [run] * count, "id": list(range(first, first + count))})


def paged(runs: dict[Job, int], per_page: int) -> dict[Job, list[pa.Table]]:
    """Each run's records (ids 0..n-1) cut into pages of `per_page`."""
    return {
        job: [page(job[1], first, min(per_page, n - first)) for first in range(0, n, per_page)]
        for job, n in runs.items()
    }


def keys(table: pa.Table) -> set[tuple[int, int]]:
    return set(zip(table["sync_run_id"].to_pylist(), table["id"].to_pylist(), strict=True))


def test_a_run_of_several_pages_goes_over_page_by_page_and_is_done_only_after_its_last() -> None:
    job = (7, 70, 1_000_000)
    pages = paged({job: 6}, per_page=2)
    state: dict = {}
    batches = record_batches(lambda j: iter(pages[j]), [job], 1, state, LOOKBACK_MS, batch_rows=1)
    seen = []
    for batch in batches:
        seen.append(keys(batch))
        assert state["done"] == {}  # not while any page, the last included, is still with dlt
    assert seen == [{(70, 0), (70, 1)}, {(70, 2), (70, 3)}, {(70, 4), (70, 5)}]
    assert state == {"done": {"7": {"70": 1_000_000}}, "pending": {}}


def test_a_load_stopped_before_a_runs_last_page_leaves_it_not_done() -> None:
    job = (7, 70, 1_000_000)
    pages = paged({job: 6}, per_page=2)
    state: dict = {"pending": {"7": {"70": 1_000_000}}}  # met a 404 last load: still asked next time
    batches = record_batches(lambda j: iter(pages[j]), [job], 1, state, LOOKBACK_MS, batch_rows=1)
    assert keys(next(batches)) == {(70, 0), (70, 1)}
    assert keys(next(batches)) == {(70, 2), (70, 3)}
    batches.close()
    assert state == {"done": {}, "pending": {"7": {"70": 1_000_000}}}


def test_with_runs_interleaved_a_run_is_done_only_once_all_its_records_were_yielded() -> None:
    runs = {(1, 10 + n, 5_000 + n): n * 3 for n in range(8)}  # 0 to 21 records, pages of 2
    pages = paged(runs, per_page=2)
    state: dict = {}
    yielded: set[tuple[int, int]] = set()
    for batch in record_batches(lambda j: iter(pages[j]), list(runs), 3, state, LOOKBACK_MS, batch_rows=3):
        done_now = {int(r) for r in state["done"].get("1", {})}
        for job, n in runs.items():
            if job[1] in done_now:
                assert {(job[1], i) for i in range(n)} <= yielded
        yielded |= keys(batch)
    assert yielded == {(job[1], i) for job, n in runs.items() for i in range(n)}
    assert state["done"] == {"1": {str(job[1]): job[2] for job in runs}}


def test_pages_made_and_not_yet_handed_over_are_bounded_by_the_window_not_the_run() -> None:
    workers, window = 2, 2  # record_batches' window: one page queued per worker
    runs = {(1, 10 + n, 5_000): 40 for n in range(5)}  # 20 pages each, far more than the window
    pages = paged(runs, per_page=2)
    lock, made = threading.Lock(), [0]

    def pages_of(job: Job) -> Iterator[pa.Table]:
        for table in pages[job]:
            with lock:
                made[0] += 1
            yield table

    handed, held = 0, []
    for _ in record_batches(pages_of, list(runs), workers, {}, LOOKBACK_MS, batch_rows=1):
        handed += 1
        with lock:
            held.append(made[0] - handed)
    assert handed == 100
    assert max(held) <= window + workers  # the queue, plus one page per worker waiting for room


def test_a_404_puts_the_run_on_the_pending_list_and_the_others_still_load() -> None:
    ok, gone = (3, 30, 9_000), (3, 31, 9_500)

    def pages_of(job: Job) -> Iterator[pa.Table]:
        if job == gone:
            yield page(31, 0, 2)
            raise NotFound("ai_squared", "HTTP 404: SyncRun not found")
        yield from paged({ok: 5}, per_page=2)[ok]

    state: dict = {}
    rows = set()
    for batch in record_batches(pages_of, [ok, gone], 2, state, LOOKBACK_MS, batch_rows=100):
        rows |= keys(batch)
    assert rows == {(30, i) for i in range(5)} | {(31, 0), (31, 1)}
    assert state == {"done": {"3": {"30": 9_000}}, "pending": {"3": {"31": 9_500}}}


def test_an_error_names_the_sync_and_run_it_came_from() -> None:
    def pages_of(job: Job) -> Iterator[pa.Table]:
        yield page(job[1], 0, 1)
        raise ValueError("record 1: not JSON")

    with pytest.raises(ValueError, match="not JSON") as caught:
        list(record_batches(pages_of, [(4, 44, 1)], 1, {}, LOOKBACK_MS, batch_rows=100))
    assert caught.value.syncscope_where == {"sync": 4, "run": 44}

"""sources.concurrency: map_completed and stream_completed: every item once, errors per item, bounded."""

from __future__ import annotations

import threading

import pytest

from sources.concurrency import map_completed, stream_completed


def test_every_item_comes_back_once_with_its_result() -> None:
    out = {item: future.result() for item, future in map_completed(lambda n: n * n, range(50), workers=3)}
    assert out == {n: n * n for n in range(50)}


def test_an_error_is_raised_by_its_own_future_only() -> None:
    def fn(n: int) -> int:
        if n == 3:
            raise ValueError("three")
        return n

    results, errors = {}, []
    for item, future in map_completed(fn, range(6), workers=2):
        try:
            results[item] = future.result()
        except ValueError as exc:
            errors.append((item, str(exc)))
    assert results == {0: 0, 1: 1, 2: 2, 4: 4, 5: 5}
    assert errors == [(3, "three")]


def test_no_more_than_window_items_are_taken_before_one_is_handed_over() -> None:
    taken: list[int] = []

    def items():
        for n in range(20):
            taken.append(n)
            yield n

    jobs = map_completed(lambda n: n, items(), workers=2, window=3)
    first, _ = next(jobs)
    assert len(taken) == 3 and first in (0, 1, 2)
    assert sorted([first, *(item for item, _ in jobs)]) == list(range(20))


def test_default_window_is_twice_the_workers() -> None:
    gate, taken = threading.Event(), []

    def items():
        for n in range(10):
            taken.append(n)
            yield n

    jobs = map_completed(lambda n: gate.wait(5) and n, items(), workers=2)
    gate.set()
    next(jobs)
    assert len(taken) == 4
    jobs.close()


def test_stopping_early_cancels_what_has_not_started() -> None:
    started, gate = [], threading.Event()

    def fn(n: int) -> int:
        started.append(n)
        gate.wait(5)
        return n

    jobs = map_completed(fn, range(100), workers=1, window=5)
    gate.set()
    next(jobs)
    jobs.close()  # the pool shuts down after the running job; queued ones are cancelled
    assert len(started) <= 2


def test_no_items_yields_nothing() -> None:
    assert list(map_completed(lambda n: n, [], workers=4)) == []


@pytest.mark.parametrize("workers", [1, 4])
def test_thread_names_carry_the_prefix(workers: int) -> None:
    names = {
        f.result()
        for _, f in map_completed(lambda _: threading.current_thread().name, range(8), workers, name="aisq")
    }
    assert names and all(n.startswith("aisq") for n in names)


def test_stream_hands_each_items_values_in_order_then_one_end_mark() -> None:
    by_item: dict[int, list] = {}
    for item, part in stream_completed(lambda n: iter(range(n)), range(6), workers=3):
        by_item.setdefault(item, []).append("end" if part.last else part.result())
    assert by_item == {n: [*range(n), "end"] for n in range(6)}


def test_stream_an_error_ends_its_item_only_and_is_raised_by_its_part() -> None:
    def fn(n: int):
        yield n
        if n == 2:
            raise ValueError("two")
        yield n * 10

    events = []
    for item, part in stream_completed(fn, range(4), workers=2):
        try:
            events.append((item, "end" if part.last else part.result()))
        except ValueError as exc:
            events.append((item, str(exc)))
    assert sorted(events, key=str) == sorted(
        [
            (0, 0),
            (0, 0),
            (0, "end"),
            (1, 1),
            (1, 10),
            (1, "end"),
            (2, 2),
            (2, "two"),
            (3, 3),
            (3, 30),
            (3, "end"),
        ],
        key=str,
    )


def test_stream_closed_early_stops_the_workers_and_closes_their_iterators() -> None:
    closed = []

    def endless(n: int):
        try:
            while True:
                yield n
        finally:
            closed.append(n)

    parts = stream_completed(endless, range(3), workers=3, window=2)
    for _ in range(5):
        next(parts)
    parts.close()  # returns only once every worker has stopped
    assert sorted(closed) == [0, 1, 2]
    assert not [t for t in threading.enumerate() if t.name.startswith("worker_")]


def test_stream_of_no_items_yields_nothing() -> None:
    assert list(stream_completed(lambda n: iter([n]), [], workers=4)) == []

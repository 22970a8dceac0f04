"""Issue 19, case 6: the failure line from an exception chain as dlt builds it, and the sync/run
tags the sources put on an error (sources/where.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest
from dlt.extract.exceptions import ResourceExtractionError

from pipelines.failures import failure_line, root_cause
from sources.http import VendorError
from sources.where import rows_to, where, where_of


def extract_failure(pages: Iterator[object]) -> BaseException:
    """What dlt raises when a resource generator fails: a ResourceExtractionError from the
    error, whose context is the StopIteration of the iterator that had just ended."""
    try:
        try:
            list(pages)
        except Exception as exc:
            raise ResourceExtractionError("sync_runs", pages, str(exc), "generator") from exc
    except ResourceExtractionError as wrapped:
        return wrapped
    raise AssertionError("the pages did not fail")


def test_an_error_after_an_ended_iterator_names_sync_run_field_and_value_never_stop_iteration() -> None:
    def pages() -> Iterator[object]:
        yield 1
        with where(sync=12, run=345):
            try:
                next(iter([]))
            except StopIteration:
                raise pa.ArrowInvalid("sync_runs.duration: cannot store '12abc'") from None

    exc = extract_failure(pages())
    exc.__cause__.__context__ = StopIteration()  # as dlt's pipe leaves it
    assert type(root_cause(exc)) is pa.ArrowInvalid
    assert failure_line("ai_squared", exc) == (
        "ai_squared: sync 12 run 345: sync_runs.duration: cannot store '12abc' (ArrowInvalid)"
    )


def test_the_resource_is_named_unless_the_message_names_it_and_an_empty_message_gives_the_type() -> None:
    def pages() -> Iterator[object]:
        with where(sync="sync_a"):
            raise KeyError("updated_at")
        yield

    line = failure_line("timbal", extract_failure(pages()))
    assert line == "timbal: sync sync_a: sync_runs: 'updated_at' (KeyError)"

    def silent() -> Iterator[object]:
        raise RuntimeError()
        yield

    assert failure_line("timbal", extract_failure(silent())) == "timbal: sync_runs: RuntimeError"


def test_a_vendor_error_is_printed_as_the_vendor_layer_wrote_it() -> None:
    def pages() -> Iterator[object]:
        with where(sync=3):
            raise VendorError("ai_squared", "HTTP 500 from /api/v1/syncs/3/sync_runs after 6 attempts")
        yield

    assert failure_line("ai_squared", extract_failure(pages())) == (
        "ai_squared: HTTP 500 from /api/v1/syncs/3/sync_runs after 6 attempts"
    )


def test_the_innermost_tag_wins() -> None:
    with pytest.raises(ValueError) as caught, where(sync=1), where(sync=2, run=3):
        raise ValueError("boom")
    assert where_of(caught.value) == {"sync": 2, "run": 3}
    assert caught.value.__notes__ == ["while loading sync 2 run 3"]


def as_numbers(rows: list[dict]) -> pa.Array:
    return pa.array([row["value"] for row in rows], pa.int64())


def test_rows_to_tags_the_row_that_fails_on_its_own() -> None:
    rows = [{"sync_id": s, "id": 100 + i, "value": i} for i, s in enumerate([1, 1, 2, 2, 3, 3, 3])]
    rows[5]["value"] = "12abc"
    with pytest.raises(pa.ArrowInvalid) as caught:
        rows_to(as_numbers, rows, "sync_id", "id")
    assert where_of(caught.value) == {"sync": 3, "run": 105}
    assert rows_to(as_numbers, rows[:5], "sync_id", "id").to_pylist() == [0, 1, 2, 3, 4]


def test_rows_to_leaves_a_failure_of_rows_that_disagree_only_together_untagged() -> None:
    rows = [{"sync_id": 1, "id": 1, "value": 1}, {"sync_id": 2, "id": 2, "value": "x"}]
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)) as caught:
        rows_to(lambda batch: pa.array([r["value"] for r in batch]), rows, "sync_id", "id")
    assert where_of(caught.value) == {}

"""AI Squared's incremental state (cursors/recent/done/pending) and its deletion rows, without a server."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from sources.ai_squared.deletions import deletion_rows
from sources.ai_squared.incremental import (
    advance,
    mark_done,
    pending_runs,
    runs_needing_records,
    sync_digests,
)

DAY = 86_400_000
T0 = datetime(2026, 11, 18, tzinfo=UTC)
T0_MS = 1_794_960_000_000  # T0 in epoch ms (`date -u -d 2026-11-18 +%s`)


def test_advance_moves_each_cursor_to_the_newest_run_and_keeps_the_lookback_window() -> None:
    cursors = {"1": 5_000, "2": 9_000}
    recent = {"1": {"10": 4_500, "11": 1_000}}
    seen = {"1": {"12": 4_000, "13": 6_000}, "2": {"20": 8_000}, "3": {}}
    advance(cursors, recent, seen, lookback_ms=1_000)
    # sync 1 moves to 6000; sync 2 keeps 9000 (an older run seen does not move it back); 3 untouched
    assert cursors == {"1": 6_000, "2": 9_000}
    # window is [cursor - 1000, ...]: for sync 1 that is 5000, so 10, 11 and 12 fall out;
    # sync 2's window starts at 8000, so its run at 8000 stays
    assert recent == {"1": {"13": 6_000}, "2": {"20": 8_000}}


def test_advance_keeps_runs_exactly_on_the_window_edge() -> None:
    cursors: dict[str, int] = {}
    recent: dict[str, dict[str, int]] = {"1": {"a": 3_000}}
    advance(cursors, recent, {"1": {"b": 4_000}}, lookback_ms=1_000)
    assert cursors == {"1": 4_000}
    assert recent == {"1": {"a": 3_000, "b": 4_000}}


def _runs(rows: list[tuple[int, int, str, int, int, int]]) -> pa.Table:
    names = ["sync_id", "id", "status", "failed_rows", "total_rows", "updated_at"]
    columns = list(zip(*rows, strict=True))
    data = {n: list(c) for n, c in zip(names, columns, strict=True)}
    data["updated_at"] = [datetime.fromtimestamp(ms / 1000, UTC) for ms in data["updated_at"]]
    return pa.table(data)


RUNS = _runs(
    [
        # sync, run, status, failed_rows, total_rows, updated ms
        (1, 10, "success", 0, 5, 1_000),
        (1, 11, "success", 2, 5, 2_000),
        (1, 12, "failed", 0, 0, 3_000),
        (2, 20, "canceled", 0, 0, 4_000),
        (2, 21, "started", 3, 9, 5_000),
        (2, 22, "success", 0, 0, 6_000),
    ]
)


def test_runs_needing_records_by_mode() -> None:
    assert runs_needing_records(RUNS, "none", {}) == []
    assert runs_needing_records(RUNS, "failed", {}) == [(1, 11, 2_000), (1, 12, 3_000), (2, 20, 4_000)]
    assert runs_needing_records(RUNS, "all", {}) == [
        (1, 10, 1_000),
        (1, 11, 2_000),
        (1, 12, 3_000),
        (2, 20, 4_000),
    ]


def test_runs_needing_records_skips_runs_already_done() -> None:
    done = {"1": {"11": 2_000}, "2": {"20": 4_000}}
    assert runs_needing_records(RUNS, "failed", done) == [(1, 12, 3_000)]
    assert runs_needing_records(RUNS.slice(0, 0), "all", {}) == []


def test_mark_done_remembers_runs_and_prunes_past_twice_the_lookback() -> None:
    done = {"1": {"1": 0, "2": 7_000}, "9": {"90": 0}}
    mark_done(done, [(1, 3, 10_000), (1, 4, 9_000)], lookback_ms=1_500)
    # horizon for sync 1: 10000 - 3000 = 7000; run 1 (0) goes, run 2 (7000) stays; sync 9 untouched
    assert done == {"1": {"2": 7_000, "3": 10_000, "4": 9_000}, "9": {"90": 0}}


class FakeRuns:
    """`api.run` answers from a dict; None (a 404) for runs not in it."""

    def __init__(self, runs: dict[tuple[int, int], dict]) -> None:
        self.runs, self.asked = runs, []

    def run(self, sync_id: int, run_id: int) -> dict | None:
        self.asked.append((sync_id, run_id))
        return self.runs.get((sync_id, run_id))


def test_pending_runs_asks_again_and_drops_gone_runs() -> None:
    api = FakeRuns({(1, 10): {"sync_id": 1, "id": 10}, (2, 30): {"sync_id": 2, "id": 30}})
    state = {"pending": {"1": {"10": 100, "11": 110, "12": 120}, "2": {"30": 300}}}
    batch = [{"sync_id": 1, "id": 12}]  # already in this load's batch: not asked again
    out = pending_runs(api, state, batch)  # type: ignore[arg-type]
    assert out == [{"sync_id": 1, "id": 10}, {"sync_id": 2, "id": 30}]
    assert api.asked == [(1, 10), (1, 11), (2, 30)]
    assert state["pending"] == {"1": {"10": 100, "12": 120}, "2": {"30": 300}}


def test_pending_runs_without_state_asks_nothing() -> None:
    api = FakeRuns({})
    assert pending_runs(api, {}, []) == []  # type: ignore[arg-type]
    assert api.asked == []


def test_deletion_rows_marks_new_404s_and_restores_listed_again() -> None:
    deleted = {"3": 111, "7": 222}
    rows = deletion_rows(deleted, gone=[9, 7, 5, 4], listed=[3, 4, 8], now=T0)
    assert rows == [
        {"id": 3, "deleted_seen_at": None, "listed_again": True},
        {"id": 5, "deleted_seen_at": T0, "listed_again": False},
        {"id": 9, "deleted_seen_at": T0, "listed_again": False},
    ]
    # 7 was already deleted: kept with its first time; 4 was listed, so not deleted
    assert deleted == {"5": T0_MS, "7": 222, "9": T0_MS}


def test_deletion_rows_orders_ids_as_numbers() -> None:
    rows = deletion_rows({}, gone=[10, 9, 100], listed=[], now=T0)
    assert [r["id"] for r in rows] == [9, 10, 100]


def test_sync_digests_take_over_the_updated_at_state_of_older_versions_once() -> None:
    state = {"updated_at": {"7": "2026-11-18T11:06:40.000Z"}, "digests": {"8": "ab"}}
    digests = sync_digests(state)
    assert digests == {"8": "ab", "7": ""}, "7 is reloaded once (its digest cannot match)"
    assert state == {"digests": {"8": "ab", "7": ""}}, "the old key is gone from the state"
    assert sync_digests(state) is state["digests"]
    assert sync_digests({}) == {}

"""Edits a test makes to the AI Squared world, laid over the generated state.

The world is generated from hashes, so an edit is kept as an override (a run touched at t, a row
moved to a newer run at t) and applied to each freshly built state. Edits only ever change what
the server could change: a run's `updated_at`, which run a record row belongs to.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .model import SUCCESS, RecordState, RunState


@dataclasses.dataclass(frozen=True)
class Move:
    """Rows of one sync moved to run index `target` at `at_ms` (records keep created_at, logs)."""

    rows: np.ndarray
    target: int
    at_ms: int


def touch_runs(state: RunState, touched: dict[int, int]) -> RunState:
    """`state` with each touched run's `updated_at` moved to its touch time (never backwards)."""
    if not touched:
        return state
    updated = state.updated.copy()
    for k, at in touched.items():
        if k < len(updated):
            updated[k] = max(int(updated[k]), at)
    return dataclasses.replace(state, updated=updated)


def move_rows(records: RecordState, runs: RunState, moves: list[Move]) -> RecordState:
    """`records` with moved rows under their new run, unless a later write already owns them."""
    if not moves:
        return records
    run = records.run.copy()
    updated, inserted = records.updated.copy(), records.inserted_by_owner.copy()
    log_run, log_failed = records.log_run.copy(), records.log_failed.copy()
    position = {int(r): i for i, r in enumerate(records.row.tolist())}
    for move in moves:
        if move.target >= len(runs.frame):
            continue
        done = runs.phase[move.target] >= SUCCESS
        for row in move.rows.tolist():
            i = position.get(int(row))
            if i is None or run[i] >= move.target:
                continue
            run[i], inserted[i] = move.target, False
            updated[i] = max(move.at_ms, int(runs.frame.finished[move.target]) if done else 0)
            if done:  # the newer run wrote it: its logs are that write's
                log_run[i], log_failed[i] = move.target, records.failed[i]
    order = np.lexsort((records.row, records.created, run))
    return RecordState(
        row=records.row[order],
        run=run[order],
        created=records.created[order],
        updated=updated[order],
        failed=records.failed[order],
        inserted_by_owner=inserted[order],
        run_offsets=np.searchsorted(run[order], np.arange(len(runs.frame) + 1)),
        log_run=log_run[order],
        log_failed=log_failed[order],
    )

"""AI Squared's runs and records of one sync as they stand at an instant, as numpy arrays.

Records follow the server's reuse rule: a record row belongs to the newest run that wrote it,
so a run's records shrink as later runs touch the same source rows. Every run writes a block of
new rows (inserts) and rewrites some older ones (updates); each write lands at a time spread
over the run's `in_progress` phase, so an unfinished run shows the records written so far.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox.hashing import derive, hashes, uniforms
from sandbox.profiles import SyncProfile
from sandbox.timeline import CANCELLED, FAILED, SUCCEEDED, RunFrame, Schedule, generate_runs

STATUSES = (
    "pending",
    "started",
    "querying",
    "queued",
    "in_progress",
    "success",
    "failed",
    "canceled",
)
# Valid in a status filter; the world never pauses a run, so filtering on it lists nothing.
FILTER_STATUSES = (*STATUSES, "paused")
PENDING, STARTED, QUERYING, QUEUED, IN_PROGRESS, SUCCESS, FAIL, CANCELED = range(8)
TERMINAL_PHASE = np.zeros(3, np.int8)
TERMINAL_PHASE[[SUCCEEDED, FAILED, CANCELLED]] = (SUCCESS, FAIL, CANCELED)
RECORD_STATUSES = ("pending", "success", "failed")
RUN_ID_STRIDE = 100_000  # run id = sync id * stride + index + 1
RECORD_ID_STRIDE = 100_000_000  # record id = sync id * stride + row + 1


@dataclass(frozen=True)
class Volume:
    """How much data a sync moves: which runs move rows and how many."""

    move_p: float  # share of runs that find changed rows
    batch: float  # mean new rows per moving run
    update_ratio: float  # rewritten old rows per new row
    skip_ratio: float  # rows read but skipped per row written
    record_fail_p: float  # share of a successful run's records that fail


@dataclass
class RunState:
    frame: RunFrame
    run_ids: np.ndarray
    phase: np.ndarray  # STATUSES index at `now`
    updated: np.ndarray
    q1: np.ndarray
    q2: np.ndarray
    q3: np.ndarray  # in_progress starts: the first write
    total_query_rows: np.ndarray  # final values; the serializer hides them until their phase
    skipped_rows: np.ndarray
    total_rows: np.ndarray
    failed_rows: np.ndarray


@dataclass
class RecordState:
    """Visible record rows sorted by (owning run, created_at, row)."""

    row: np.ndarray
    run: np.ndarray  # owning run index
    created: np.ndarray
    updated: np.ndarray
    failed: np.ndarray
    inserted_by_owner: np.ndarray  # action: destination_insert vs destination_update
    run_offsets: np.ndarray  # records of run k: [run_offsets[k], run_offsets[k + 1])
    # The write whose outcome `logs` shows: the owner's once it has ended, else the row's previous
    # finished write (a record moved to a newer run keeps its logs), else none (-1).
    log_run: np.ndarray
    log_failed: np.ndarray


def run_rows(frame: RunFrame, key: int, volume: Volume) -> tuple[np.ndarray, np.ndarray]:
    """Planned new and rewritten rows per run (0 for runs that find nothing or fail at once)."""
    idx = frame.index
    moves = (uniforms(derive(key, "moves"), idx) < volume.move_p) | frame.forced_move
    inserts = np.where(moves & ~frame.early_failure, np.rint(volume.batch * frame.volume), 0)
    inserts = np.where(frame.outcome == CANCELLED, inserts // 2, inserts).astype(np.int64)
    updates = np.rint(inserts * volume.update_ratio * uniforms(derive(key, "upd"), idx) * 2)
    return inserts, updates.astype(np.int64)


def build_runs(
    profile: SyncProfile, schedule: Schedule, key: int, volume: Volume, sync_id: int, now: int
) -> tuple[RunState, np.ndarray]:
    """Runs created by `now`, and their writes (run, row, time, failed) for the record model."""
    frame = generate_runs(profile, schedule, key, now)
    dur = frame.finished - frame.started
    q1, q2, q3 = (frame.started + dur * p // 100 for p in (5, 30, 35))
    touches = _touches(frame, key, volume, q3)
    run_of, fail = touches[0], touches[3]
    total_rows = np.bincount(run_of, minlength=len(frame)).astype(np.int64)
    failed_rows = np.bincount(run_of, weights=fail, minlength=len(frame)).astype(np.int64)
    skipped = np.rint(total_rows * volume.skip_ratio * uniforms(derive(key, "skip"), frame.index))
    terminal = TERMINAL_PHASE[frame.outcome]
    bounds = np.stack([frame.created, frame.started, q1, q2, q3, frame.finished])
    phase = np.where(now >= frame.finished, terminal, (now >= bounds[1:5]).sum(axis=0)).astype(np.int8)
    updated = np.choose(np.minimum(phase, 5), bounds) if len(frame) else frame.created
    state = RunState(
        frame=frame,
        run_ids=sync_id * RUN_ID_STRIDE + frame.index + 1,
        phase=phase,
        updated=updated,
        q1=q1,
        q2=q2,
        q3=q3,
        total_query_rows=total_rows + skipped.astype(np.int64),
        skipped_rows=skipped.astype(np.int64),
        total_rows=total_rows,
        failed_rows=failed_rows,
    )
    return state, np.stack(touches)


def _touches(frame: RunFrame, key: int, volume: Volume, q3: np.ndarray) -> tuple[np.ndarray, ...]:
    """(run, row, write time, failed) of every write, updates deduplicated within a run."""
    inserts, updates = run_rows(frame, key, volume)
    ins_start = np.cumsum(inserts) - inserts
    runs = frame.index
    ins_run = np.repeat(runs, inserts)
    ins_row = np.arange(int(inserts.sum()), dtype=np.int64)
    upd_run = np.repeat(runs, updates)
    upd_pos = np.arange(len(upd_run), dtype=np.int64) - np.repeat(np.cumsum(updates) - updates, updates)
    upd_u = uniforms(derive(key, "upd_row"), (upd_run << 24) | upd_pos)
    upd_row = (upd_u * ins_start[upd_run]).astype(np.int64)
    run_of = np.concatenate([ins_run, upd_run])
    row = np.concatenate([ins_row, upd_row])
    pair = np.unique((run_of << 32) | row)  # sorted by run, then row
    run_of, row = pair >> 32, pair & 0xFFFFFFFF
    count = np.bincount(run_of, minlength=len(frame))
    pos = np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    span = (frame.finished - q3)[run_of]
    written = q3[run_of] + pos * span // np.maximum(count[run_of], 1)
    fail_p = np.where(
        frame.outcome == FAILED,
        0.6 + 0.4 * uniforms(derive(key, "fail_share"), runs),
        volume.record_fail_p,
    )
    failed = uniforms(derive(key, "record_fail"), pair) < fail_p[run_of]
    return run_of, row, written, failed.astype(np.int64)


def build_records(runs: RunState, touches: np.ndarray, now: int) -> RecordState:
    """Which run owns each row at `now`, with the row's creation and last write times."""
    seen = touches[2] <= now
    run_of, row, written, failed = touches[:, seen]
    order = np.lexsort((run_of, row))  # by row, then run: the owner is the last of each row group
    run_of, row, written, failed = run_of[order], row[order], written[order], failed[order]
    change = row[1:] != row[:-1]
    last = np.r_[change, True] if len(row) else np.zeros(0, bool)
    first = np.r_[True, change] if len(row) else np.zeros(0, bool)
    created = np.minimum.reduceat(written, np.nonzero(first)[0]) if len(row) else written
    owner, owner_row, owner_written = run_of[last], row[last], written[last]
    terminal = runs.phase[owner] >= SUCCESS
    updated = np.where(terminal, runs.frame.finished[owner], owner_written)
    log_run, log_failed = _log_writes(runs, run_of, failed, first, last)
    by_owner = np.lexsort((owner_row, created, owner))
    owner = owner[by_owner]
    return RecordState(
        row=owner_row[by_owner],
        run=owner,
        created=created[by_owner],
        updated=updated[by_owner],
        failed=failed[last][by_owner].astype(bool),
        inserted_by_owner=(run_of[first] == run_of[last])[by_owner],
        run_offsets=np.searchsorted(owner, np.arange(len(runs.frame) + 1)),
        log_run=log_run[by_owner],
        log_failed=log_failed[by_owner],
    )


def _log_writes(
    runs: RunState, run_of: np.ndarray, failed: np.ndarray, first: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per row (in `last` order): the run whose finished write `logs` shows, and whether it failed."""
    at = np.nonzero(last)[0]
    has_prev = ~first[at]
    prev = np.where(has_prev, at - 1, at)
    owner, prev_run = run_of[at], np.where(has_prev, run_of[prev], 0)
    owner_done = runs.phase[owner] >= SUCCESS
    prev_done = has_prev & (runs.phase[prev_run] >= SUCCESS)
    log_run = np.where(owner_done, owner, np.where(prev_done, prev_run, -1))
    log_failed = np.where(owner_done, failed[at], failed[prev]).astype(bool)
    return log_run, log_failed


def record_hashes(key: int, rows: np.ndarray, runs: np.ndarray, n: int) -> np.ndarray:
    """n independent uint64 hashes per (row, owning run), for a record's field values."""
    base = (rows.astype(np.int64) << 20) ^ runs.astype(np.int64)
    return np.stack([hashes(derive(key, "field", j), base) for j in range(n)], axis=1)

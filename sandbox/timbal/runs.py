"""A sync's runs as Timbal reports them at one instant: states, rows, and the rollups.

`sandbox.timeline` says when each run is created, starts and finishes and how it ends; this
module turns that into what the API shows at `now` (a run's state and row count move as the clock
passes its start and finish). Everything is vectorised: a sync has thousands of runs and the list
endpoint touches every sync.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox.hashing import derive, uniforms
from sandbox.timbal.catalog import SyncSetup
from sandbox.timeline import CANCELLED, FAILED, SUCCEEDED, RunFrame, Schedule, generate_runs

# Run states as Timbal spells them. `timed_out` is not in the documented list: the sandbox sends
# it for a share of failures so the warehouse proves it keeps states it does not know.
STATES = ("queued", "running", "completed", "failed", "cancelled", "timed_out")
QUEUED, RUNNING, COMPLETED, FAILED_STATE, CANCELLED_STATE, TIMED_OUT = range(len(STATES))


@dataclass(frozen=True)
class RunTable:
    """Every run of one sync created by `now`, oldest first, as seen at `now`."""

    now: int
    frame: RunFrame
    state: np.ndarray  # index into STATES
    rows: np.ndarray  # rows_emitted at `now`

    def __len__(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class Summary:
    """The run-derived fields of a SyncView (small, so cached for every sync of a world)."""

    last_run_ms: int | None
    last_state: str | None
    last_success_ms: int | None

    @property
    def has_cursor(self) -> bool:
        return self.last_success_ms is not None


def _final_state(setup: SyncSetup, frame: RunFrame) -> np.ndarray:
    """The state each run ends in; some non-early failures report `timed_out` instead."""
    timeout_u = uniforms(derive(setup.key, "timeout"), frame.index)
    timed_out = (frame.outcome == FAILED) & ~frame.early_failure & (timeout_u < setup.timeout_share)
    final = np.select(
        [frame.outcome == SUCCEEDED, frame.outcome == CANCELLED, timed_out],
        [COMPLETED, CANCELLED_STATE, TIMED_OUT],
        FAILED_STATE,
    )
    return final.astype(np.int8)


def _final_rows(setup: SyncSetup, frame: RunFrame) -> np.ndarray:
    """Rows a run has emitted once over: all of its volume if it completes, part if it stops."""
    full = np.rint(setup.base_rows * frame.volume).astype(np.int64)
    share = uniforms(derive(setup.key, "partial"), frame.index)
    partial = (full * share).astype(np.int64)
    rows = np.where(frame.outcome == SUCCEEDED, full, partial)
    return np.where(frame.early_failure, 0, rows)


def run_table(setup: SyncSetup, schedule: Schedule, now: int) -> RunTable:
    """The runs of `setup` created by `now`, with state and rows as of `now`."""
    frame = generate_runs(setup.profile, schedule, setup.key, now)
    queued = now < frame.started
    running = ~queued & (now < frame.finished)
    state = np.where(queued, QUEUED, np.where(running, RUNNING, _final_state(setup, frame)))
    final_rows = _final_rows(setup, frame)
    span = np.maximum(frame.finished - frame.started, 1)
    progress = np.clip(now - frame.started, 0, None) / span
    rows = np.where(queued, 0, np.where(running, (final_rows * progress).astype(np.int64), final_rows))
    return RunTable(now=now, frame=frame, state=state.astype(np.int8), rows=rows.astype(np.int64))


def summarize(table: RunTable) -> Summary:
    """Latest run (by created_at) and the last time a run reached `completed`."""
    if not len(table):
        return Summary(None, None, None)
    completed = table.state == COMPLETED
    last_success = int(table.frame.finished[completed].max()) if completed.any() else None
    return Summary(int(table.frame.created[-1]), STATES[int(table.state[-1])], last_success)


def stats(table: RunTable) -> dict[str, int]:
    """SyncStatsView over every run created by now (`timed_out` counts as failed)."""
    failed = (table.state == FAILED_STATE) | (table.state == TIMED_OUT)
    return {
        "runs_total": len(table),
        "runs_completed": int((table.state == COMPLETED).sum()),
        "runs_failed": int(failed.sum()),
        "rows_total": int(table.rows.sum()),
    }


def newest_first(table: RunTable, limit: int | None = None) -> np.ndarray:
    """Positions of the newest `limit` runs (all when None), newest created_at first."""
    order = np.arange(len(table) - 1, -1, -1)
    return order if limit is None else order[: max(limit, 0)]

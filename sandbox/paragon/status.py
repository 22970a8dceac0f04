"""What a sync shows at one instant: the status, and the SyncStatus body Paragon serves.

`state_at` reads only the window of ticks before the instant (see cycles.py), so the snapshot of
a 1-minute sync after 28 days costs the same as after one hour.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from sandbox.clock import iso_ms
from sandbox.hashing import derive, hashes
from sandbox.paragon.cycles import ERROR, Frame, Timeline
from sandbox.paragon.segments import ACTIVE, ERRORED, IDLE, INITIALIZING, RATE_LIMITED


@dataclass(frozen=True, slots=True)
class State:
    """The observable state; `tick` is the cycle in progress (0: the initial sync), if any."""

    status: str
    reason: str | None = None
    backoff_ms: int | None = None
    tick: int | None = None

    @property
    def observable(self) -> tuple[str, str | None, int | None]:
        return self.status, self.reason, self.backoff_ms


def state_at(tl: Timeline, t: int, frame: Frame | None = None) -> State:
    """The state at instant t (>= creation); `frame`, if given, must be `tl.window(t)`."""
    block = tl.blocks.at(t)
    if block is not None:
        return State(tl.blocks.modes[block], tl.blocks.reasons[block])
    if t < tl.first_active:
        return State(INITIALIZING)
    if t < tl.init_end:
        return State(ACTIVE, tick=0)
    if tl.tick_at(t) == 0:
        return State(IDLE)
    f = frame if frame is not None else tl.window(t)
    started = np.nonzero(~f.skipped)[0]
    if not started.size or t >= f.end[started[-1]]:
        return State(IDLE)
    return _in_cycle(tl, f, int(started[-1]), t)


def _in_cycle(tl: Timeline, f: Frame, i: int, t: int) -> State:
    """The phase of a running cycle: fetching, backing off, resumed, or failed."""
    k, e = int(f.ks[i]), int(f.ep[i])
    eps = f.episodes
    if e < 0 or t < eps.a[e]:
        return State(ACTIVE, tick=k)
    if eps.kind[e] == ERROR:
        return State(ERRORED, reason=tl.reason(int(eps.slot[e])), tick=k)
    if t < eps.b[e]:
        return State(RATE_LIMITED, backoff_ms=int(eps.length[e]), tick=k)
    return State(ACTIVE, tick=k)


def cursor(key: int, tick: int) -> str:
    """An opaque paging cursor that changes with every completed cycle."""
    h = hashes(derive(key, "cursor"), np.array([2 * tick, 2 * tick + 1]))
    raw = b"".join(int(x).to_bytes(8, "little") for x in h)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def synced_after(tl: Timeline, tick: int) -> int:
    """syncedRecordsCount once `tick` has completed (tick 0: just the initial sync)."""
    extra = int(tl.cumulative(tick)) if tick > 0 else 0
    return tl.spec.initial_records + extra


def _found(tl: Timeline, state: State, frame: Frame | None) -> int:
    """totalRecords: what the newest cycle to start has found, synced or not.

    A failed or cut cycle's changes stay found (and unsynced) until a later cycle syncs them,
    so totalRecords never falls back while syncedRecordsCount catches up.
    """
    if state.status == INITIALIZING:
        return 0
    if state.tick == 0:
        return tl.spec.initial_records
    started = frame.ks[~frame.skipped] if frame is not None else frame
    if started is None or not started.size:
        return 0
    return synced_after(tl, int(started[-1]))


def sync_status(tl: Timeline, now: int) -> dict:
    """The GET /api/syncs/{id} body at `now`: fields absent, not null, when they do not apply."""
    frame = tl.window(now) if tl.tick_at(now) >= 1 else None
    state = state_at(tl, now, frame)
    last = tl.last_completed(now, frame)
    synced = synced_after(tl, last[0]) if last else 0
    total = max(synced, _found(tl, state, frame))
    summary: dict[str, object] = {"totalRecords": total, "syncedRecordsCount": synced}
    if last:
        summary["lastSyncedAt"] = iso_ms(last[1])
        summary["latestCursor"] = cursor(tl.spec.key, last[0])
    body: dict[str, object] = {
        "status": state.status,
        "summary": summary,
        "credentialId": tl.spec.credential_id,
        "incrementalAccumulatorFrequency": tl.spec.frequency,
    }
    if state.status == RATE_LIMITED:
        body["rateLimitBackoffMs"] = state.backoff_ms
    if state.status == ERRORED:
        body["reason"] = state.reason
    return body

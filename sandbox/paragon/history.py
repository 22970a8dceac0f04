"""The truth behind the snapshots: every completed cycle and every change of observable state.

Paragon has no run history, so a source infers cycles from successive snapshots; tests hold
those inferences to these lists. Both read the whole history at once (vectorised over ticks),
which is fine for truth but never done on the request path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox.paragon.cycles import ERROR, RATE_LIMIT, Timeline
from sandbox.paragon.segments import (
    ACTIVE,
    ERRORED,
    FOREVER,
    IDLE,
    INITIALIZING,
    RATE_LIMITED,
)
from sandbox.paragon.status import State, state_at


@dataclass(frozen=True, slots=True)
class Cycle:
    tick: int  # 0: the initial full sync
    started_ms: int
    finished_ms: int  # == the lastSyncedAt it produced
    records: int  # growth of syncedRecordsCount
    synced_records: int  # syncedRecordsCount after it


def completed_cycles(tl: Timeline, until: int) -> list[Cycle]:
    """Cycles completed at or before `until`, oldest first."""
    spec = tl.spec
    if tl.init_end > until:
        return []
    initial = spec.initial_records
    cycles = [Cycle(0, tl.init_end - spec.init_dur_ms, tl.init_end, initial, initial)]
    last = tl.tick_at(until)
    if last < 1:
        return cycles
    f = tl.frame(1, last + 1)
    done = f.completed & (f.finish <= until)
    ks = f.ks[done]
    counts = tl.cumulative(ks)
    records = np.diff(counts, prepend=0)
    rows = zip(
        ks.tolist(), f.start[done].tolist(), f.finish[done].tolist(), records.tolist(),
        counts.tolist(), strict=True,
    )  # fmt: skip
    cycles += [Cycle(k, s, e, r, initial + c) for k, s, e, r, c in rows]
    return cycles


Event = tuple[int, int, int, int, State]  # (time, group, tick, order, state)


def transitions(tl: Timeline, until: int) -> list[tuple[int, State]]:
    """(instant, new state) for each change of (status, reason, back-off) from creation on."""
    created = tl.spec.created_ms
    events = _initial_events(tl) + _tick_events(tl, until)
    inside = tl.blocks.covering(np.array([e[0] for e in events], dtype=np.int64))
    events = [e for e, painted in zip(events, inside.tolist(), strict=True) if not painted]
    bounds = zip(tl.blocks.start.tolist(), tl.blocks.end.tolist(), strict=True)
    for i, (start, end) in enumerate(bounds):
        mode, reason = tl.blocks.modes[i], tl.blocks.reasons[i]
        events.append((start, 2, 0, 0, State(mode, reason)))
        if end < FOREVER and end <= until:
            events.append((end, 3, 0, 0, state_at(tl, end)))
    events.append((created, -1, 0, 0, state_at(tl, created)))
    events = sorted((e for e in events if created <= e[0] <= until), key=lambda e: e[:4])
    return _changes(events)


def _changes(events: list[Event]) -> list[tuple[int, State]]:
    """Keep the last event of each instant, then only those that change what is observable."""
    out: list[tuple[int, State]] = []
    for i, (t, *_, state) in enumerate(events):
        if i + 1 < len(events) and events[i + 1][0] == t:
            continue
        if not out or out[-1][1].observable != state.observable:
            out.append((t, state))
    return out


def _initial_events(tl: Timeline) -> list[Event]:
    events: list[Event] = [(tl.spec.created_ms, 0, 0, 0, State(INITIALIZING))]
    if tl.first_active < FOREVER:
        events.append((tl.first_active, 0, 0, 1, State(ACTIVE)))
    if tl.init_end < FOREVER:
        events.append((tl.init_end, 0, 0, 2, State(IDLE)))
    return events


def _tick_events(tl: Timeline, until: int) -> list[Event]:
    """ACTIVE at each started tick, episode phases inside it, IDLE at its visible end."""
    last = tl.tick_at(until)
    if last < 1:
        return []
    f = tl.frame(1, last + 1)
    ran = ~f.skipped
    ks, starts, ends = f.ks[ran].tolist(), f.start[ran].tolist(), f.end[ran].tolist()
    events: list[Event] = [(s, 1, k, 0, State(ACTIVE)) for k, s in zip(ks, starts, strict=True)]
    events += [(e, 1, k, 3, State(IDLE)) for k, e in zip(ks, ends, strict=True)]
    eps = f.episodes
    for i in np.nonzero(ran & (f.ep >= 0))[0].tolist():
        k, e, end = int(f.ks[i]), int(f.ep[i]), int(f.end[i])
        a, b = int(eps.a[e]), int(eps.b[e])
        if a >= end:
            continue  # a block cut the cycle before the episode began
        if eps.kind[e] == ERROR:
            events.append((a, 1, k, 1, State(ERRORED, tl.reason(int(eps.slot[e])))))
        elif eps.kind[e] == RATE_LIMIT:
            events.append((a, 1, k, 1, State(RATE_LIMITED, backoff_ms=int(eps.length[e]))))
            if b < end:
                events.append((b, 1, k, 2, State(ACTIVE)))
    return events

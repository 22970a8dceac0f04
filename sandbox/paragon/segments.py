"""Forced statuses over time: a sync disabled or errored from some instant until another.

A sync's segments say which mode it is in from each instant on: RUNNING (its cycles decide the
status) or DISABLED / ERRORED (the segment decides). Kinds start with a few segments and admin
operations append more at the clock's now, so the past never changes, only the future.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INITIALIZING, ACTIVE, IDLE = "INITIALIZING", "ACTIVE", "IDLE"
RATE_LIMITED, DISABLED, ERRORED = "RATE_LIMITED", "DISABLED", "ERRORED"
RUNNING = "RUNNING"  # not a Paragon status: "no forced status, the cycles decide"
FOREVER = np.iinfo(np.int64).max // 4  # an open end that still adds without overflow


@dataclass(frozen=True, slots=True)
class Segment:
    start_ms: int
    mode: str  # RUNNING, DISABLED or ERRORED
    reason: str | None = None


def append(segments: tuple[Segment, ...], at_ms: int, mode: str, reason: str | None) -> tuple:
    """Segments with `mode` from `at_ms` on; planned segments at or after `at_ms` are dropped.

    An admin change replaces whatever the world had planned for later (e.g. a scheduled
    recovery), which keeps the history before `at_ms` exactly as it was served.
    """
    kept = tuple(s for s in segments if s.start_ms < at_ms)
    return (*kept, Segment(at_ms, mode, reason))


class Blocks:
    """The forced (non-RUNNING) intervals [start, end) of one sync, sorted, as numpy arrays."""

    def __init__(self, segments: tuple[Segment, ...]) -> None:
        starts, ends, modes, reasons = [], [], [], []
        for i, seg in enumerate(segments):
            end = segments[i + 1].start_ms if i + 1 < len(segments) else FOREVER
            if seg.mode != RUNNING and end > seg.start_ms:
                starts.append(seg.start_ms)
                ends.append(end)
                modes.append(seg.mode)
                reasons.append(seg.reason)
        self.start = np.array(starts, dtype=np.int64)
        self.end = np.array(ends, dtype=np.int64)
        self.modes: list[str] = modes
        self.reasons: list[str | None] = reasons

    def __len__(self) -> int:
        return len(self.modes)

    def at(self, t: int) -> int | None:
        """Index of the block covering instant t, if any."""
        i = int(np.searchsorted(self.start, t, side="right")) - 1
        return i if i >= 0 and t < int(self.end[i]) else None

    def covering(self, times: np.ndarray) -> np.ndarray:
        """Boolean mask: which instants lie inside a block."""
        if not len(self):
            return np.zeros(len(times), dtype=bool)
        i = np.searchsorted(self.start, times, side="right") - 1
        return (i >= 0) & (times < self.end[np.maximum(i, 0)])

    def first_start_in(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Per interval (lo, hi): the start of the first block beginning inside it, else hi.

        A block that begins while a cycle runs cuts that cycle short: it never completes.
        """
        if not len(self):
            return hi.copy()
        j = np.searchsorted(self.start, lo, side="right")
        nxt = np.where(j < len(self), self.start[np.minimum(j, len(self) - 1)], FOREVER)
        return np.where(nxt < hi, nxt, hi)

    def initial_sync(self, start: int, duration: int) -> tuple[int, int]:
        """(first start, completion) of the initial full sync, restarted after each block.

        A block that overlaps the pending or running initial sync suspends it; it starts again
        from scratch when the block ends, so the completion moves to end + duration.
        """
        first: int | None = None
        for b_start, b_end in zip(self.start.tolist(), self.end.tolist(), strict=True):
            if b_end <= start:
                continue  # over before the attempt begins: it only paints the pending phase
            if b_start >= start + duration:
                break  # after completion: later blocks are later still
            if first is None and b_start > start:
                first = start  # this attempt ran for a while before the block cut it
            start = b_end
            if start >= FOREVER:
                return (first if first is not None else FOREVER), FOREVER
        return (first if first is not None else start), start + duration

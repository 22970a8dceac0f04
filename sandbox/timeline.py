"""When a sync's runs happen and how they end, as numpy arrays over run indexes.

A schedule is a list of segments (start, first run index, interval); a config change (new
interval, disable, re-enable, a stalled scheduler) appends a segment. Run k's attributes are
hashed from (sync key, k), so any prefix of the timeline is the same whatever `until` asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox.clock import SECOND
from sandbox.hashing import derive, normals, uniforms
from sandbox.profiles import SyncProfile

SUCCEEDED, FAILED, CANCELLED = 0, 1, 2


@dataclass(frozen=True)
class Segment:
    start_ms: int  # first run of the segment is scheduled here
    first_index: int
    interval_ms: int | None  # None: no runs (disabled, or a stalled scheduler)


class Schedule:
    def __init__(self, key: int, first_run_ms: int, interval_ms: int) -> None:
        self.key = key
        self.segments: list[Segment] = [Segment(first_run_ms, 0, interval_ms)]

    def _base_times(self, until_ms: int) -> np.ndarray:
        """Unjittered scheduled times of every run scheduled at or before `until_ms`."""
        parts = []
        for i, seg in enumerate(self.segments):
            end = self.segments[i + 1].start_ms if i + 1 < len(self.segments) else None
            if seg.interval_ms is None or seg.start_ms > until_ms:
                continue
            limit = until_ms if end is None else min(until_ms, end - 1)
            n = (limit - seg.start_ms) // seg.interval_ms + 1
            if n > 0:
                parts.append(seg.start_ms + np.arange(n, dtype=np.int64) * seg.interval_ms)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def scheduled(self, until_ms: int) -> np.ndarray:
        """Scheduled (created) times of runs created at or before `until_ms`, jittered a little."""
        base = self._base_times(until_ms)
        intervals = np.diff(base, append=base[-1] + 10**9) if len(base) else base
        jitter_cap = np.minimum(intervals // 50, 60 * SECOND)
        jitter = (uniforms(derive(self.key, "jitter"), np.arange(len(base))) * jitter_cap).astype(np.int64)
        times = base + jitter
        return times[times <= until_ms]

    def change(self, at_ms: int, interval_ms: int | None) -> None:
        """From `at_ms` on, run every `interval_ms` (None: stop), first run one interval later."""
        if at_ms < self.segments[-1].start_ms:
            raise ValueError("schedule changes must come in time order")
        done = len(self._base_times(at_ms - 1))
        start = at_ms + (interval_ms or 0)
        self.segments.append(Segment(start, done, interval_ms))

    @property
    def interval_ms(self) -> int | None:
        return self.segments[-1].interval_ms


@dataclass
class RunFrame:
    """Runs of one sync created by some instant; all times in ms."""

    index: np.ndarray
    created: np.ndarray
    started: np.ndarray
    finished: np.ndarray
    outcome: np.ndarray  # SUCCEEDED / FAILED / CANCELLED (what it is or will be)
    early_failure: np.ndarray  # failed before moving any row
    volume: np.ndarray  # relative amount of data this run moves
    message_u: np.ndarray  # picks the error message

    def __len__(self) -> int:
        return len(self.index)


def generate_runs(profile: SyncProfile, schedule: Schedule, key: int, until_ms: int) -> RunFrame:
    created = schedule.scheduled(until_ms)
    idx = np.arange(len(created), dtype=np.int64)
    delay = (500 + uniforms(derive(key, "delay"), idx) * 29_500).astype(np.int64)
    started = created + delay
    duration = profile.duration_ms * np.exp(profile.duration_sigma * normals(derive(key, "dur"), idx))
    u = uniforms(derive(key, "outcome"), idx)
    outcome = np.where(
        u < profile.fail_p,
        FAILED,
        np.where(u < profile.fail_p + profile.cancel_p, CANCELLED, SUCCEEDED),
    )
    if profile.streak_from_ms is not None:
        until = profile.streak_until_ms if profile.streak_until_ms is not None else np.iinfo(np.int64).max
        outcome = np.where((created >= profile.streak_from_ms) & (created < until), FAILED, outcome)
    early = (outcome == FAILED) & (uniforms(derive(key, "early"), idx) < 0.4)
    duration = np.where(early, duration * 0.02, duration)
    duration = np.where(outcome == CANCELLED, duration * 0.5, duration)
    # Some failures are instant (connection refused): zero duration is real and must be handled.
    instant = early & (uniforms(derive(key, "instant"), idx) < 0.5)
    duration = np.where(instant, 0, duration).astype(np.int64)
    if profile.running_at_ms is not None:
        covering = (started <= profile.running_at_ms) & (started + duration > profile.running_at_ms - 1)
        last = np.nonzero(started <= profile.running_at_ms)[0]
        if len(last):
            k = last[-1]
            covering[k] = True
            duration[k] = profile.running_at_ms - started[k] + profile.interval_ms // 2 + 60 * SECOND
            outcome[k] = SUCCEEDED
            early[k] = False
    volume = np.exp(0.35 * normals(derive(key, "volume"), idx))
    return RunFrame(
        index=idx,
        created=created,
        started=started,
        finished=started + duration,
        outcome=outcome.astype(np.int8),
        early_failure=early,
        volume=volume,
        message_u=uniforms(derive(key, "message"), idx),
    )


def profile_schedule(profile: SyncProfile, key: int) -> Schedule:
    """The schedule a profile implies: its interval, stopped where it stalls or is disabled."""
    schedule = Schedule(key, profile.first_run_ms, profile.interval_ms)
    stop = min(t for t in (profile.stops_at_ms, profile.disabled_at_ms, 2**62) if t is not None)
    if stop < 2**62:
        schedule.change(max(stop, profile.first_run_ms), None)
    return schedule

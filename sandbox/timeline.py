"""When a sync's runs happen and how they end, as numpy arrays over run indexes.

A schedule is a list of segments (start, first run index, interval); a config change (new
interval, disable, re-enable, a stalled scheduler) appends a segment. Run k's attributes are
hashed from (sync key, k), so any prefix of the timeline is the same whatever `until` asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox import anomalies
from sandbox.clock import SECOND
from sandbox.hashing import derive, normals, uniforms
from sandbox.profiles import SyncProfile

SUCCEEDED, FAILED, CANCELLED = 0, 1, 2


MAX_JITTER_MS = 60 * SECOND
NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Segment:
    start_ms: int  # the segment's first run is scheduled here
    interval_ms: int | None  # None: no runs (disabled, or a stalled scheduler)


class Schedule:
    """Run k's time is fixed forever once served: a poller must never see history move.

    Jitter is capped by the run's own segment interval (not the gap to a next run that may not
    exist yet), a run jittered past a change is never created, and a change stops the old
    cadence at once and replaces any segment that has not started yet (latest change wins).
    """

    def __init__(self, key: int, first_run_ms: int, interval_ms: int) -> None:
        self.key = key
        self.segments: list[Segment] = [Segment(first_run_ms, interval_ms)]

    def _base(self, until_ms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unjittered times at or before `until_ms`, each run's jitter cap, and its segment's end."""
        times, caps, ends = [], [], []
        for i, seg in enumerate(self.segments):
            end = self.segments[i + 1].start_ms if i + 1 < len(self.segments) else None
            if seg.interval_ms is None or seg.start_ms > until_ms:
                continue
            limit = until_ms if end is None else min(until_ms, end - 1)
            n = (limit - seg.start_ms) // seg.interval_ms + 1
            if n > 0:
                times.append(seg.start_ms + np.arange(n, dtype=np.int64) * seg.interval_ms)
                caps.append(np.full(n, min(seg.interval_ms // 50, MAX_JITTER_MS), dtype=np.int64))
                ends.append(np.full(n, NEVER if end is None else end, dtype=np.int64))
        if not times:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return np.concatenate(times), np.concatenate(caps), np.concatenate(ends)

    def scheduled(self, until_ms: int) -> np.ndarray:
        """Scheduled (created) times of runs created at or before `until_ms`."""
        base, caps, ends = self._base(until_ms)
        u = uniforms(derive(self.key, "jitter"), np.arange(len(base)))
        times = base + (u * caps).astype(np.int64)
        return times[(times <= until_ms) & (times <= ends)]

    def change(self, at_ms: int, interval_ms: int | None) -> None:
        """From `at_ms` on, run every `interval_ms` (None: stop), first run one interval later."""
        while len(self.segments) > 1 and self.segments[-1].start_ms > at_ms:
            self.segments.pop()
        if self.segments[-1].start_ms > at_ms:  # changed before the very first run
            self.segments[-1] = Segment(at_ms, None)
        else:
            self.segments.append(Segment(at_ms, None))
        if interval_ms is not None:
            self.segments.append(Segment(at_ms + interval_ms, interval_ms))

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
    forced_move: np.ndarray | None = None  # injected anomalies: the run must find changes

    def __len__(self) -> int:
        return len(self.index)


def generate_runs(profile: SyncProfile, schedule: Schedule, key: int, until_ms: int) -> RunFrame:
    frame = _runs(profile, key, schedule.scheduled(until_ms))
    if profile.injected:
        frame = anomalies.without_quiet_days(frame, profile.injected, lambda c: _runs(profile, key, c))
    return frame


def _runs(profile: SyncProfile, key: int, created: np.ndarray) -> RunFrame:
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
        until = profile.streak_until_ms if profile.streak_until_ms is not None else NEVER
        outcome = np.where((created >= profile.streak_from_ms) & (created < until), FAILED, outcome)
    forced, duration_factor, volume_factor = anomalies.run_factors(profile.injected, created)
    outcome = np.where(forced, SUCCEEDED, outcome)
    early = (outcome == FAILED) & (uniforms(derive(key, "early"), idx) < 0.4)
    duration = np.where(early, duration * 0.02, duration)
    duration = np.where(outcome == CANCELLED, duration * 0.5, duration)
    # Some failures are instant (connection refused): zero duration is real and must be handled.
    instant = early & (uniforms(derive(key, "instant"), idx) < 0.5)
    duration = np.where(instant, 0, duration * duration_factor).astype(np.int64)
    if profile.running_at_ms is not None:
        last = np.nonzero(started <= profile.running_at_ms)[0]
        if len(last):
            k = last[-1]
            duration[k] = profile.running_at_ms - started[k] + profile.interval_ms // 2 + 60 * SECOND
            outcome[k] = SUCCEEDED
            early[k] = False
    volume = np.exp(0.35 * normals(derive(key, "volume"), idx)) * volume_factor
    return RunFrame(
        index=idx,
        created=created,
        started=started,
        finished=started + duration,
        outcome=outcome.astype(np.int8),
        early_failure=early,
        volume=volume,
        message_u=uniforms(derive(key, "message"), idx),
        forced_move=forced,
    )


def profile_schedule(profile: SyncProfile, key: int) -> Schedule:
    """The schedule a profile implies: its interval, stopped where it stalls or is disabled."""
    schedule = Schedule(key, profile.first_run_ms, profile.interval_ms)
    stop = min(t for t in (profile.stops_at_ms, profile.disabled_at_ms, 2**62) if t is not None)
    if stop < 2**62:
        schedule.change(max(stop, profile.first_run_ms), None)
    return schedule

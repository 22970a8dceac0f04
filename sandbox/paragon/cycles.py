"""A Paragon sync's time model: incremental cycles on a strict grid, episodes and forced blocks.

Paragon shows no runs, only a status snapshot, so the world needs a model whose snapshot at any
instant is cheap to compute without replaying history:

- The initial full sync runs [first_active, init_end); tick k >= 1 then starts at
  init_end + k * frequency and, left alone, completes `duration(k)` later (always before tick
  k + 1), setting lastSyncedAt to its completion.
- Source changes accumulate on a closed form C(k) (non-decreasing in k), so the records a
  completed cycle syncs are C(k) - C(previous completed tick) with no running sum.
- Episodes are sparse: each slot of `m` ticks (>= 6 h) holds at most one, hashed from (sync,
  slot), hitting tick k0 in the slot's first half. A rate limit pauses that cycle for the
  back-off and then lets it finish late; a transient error fails it. Either way ticks that
  start before the episode ends are skipped. Episodes never leave their slot (a forced one may
  spill into the next, which then drops a clashing episode), so a window of about m ticks
  before an instant holds everything that shapes its state.
- Blocks (segments.py) force DISABLED / ERRORED: ticks starting in a block are skipped and a
  cycle a block begins in never completes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sandbox.clock import HOUR, MINUTE, SECOND
from sandbox.hashing import derive, uniforms
from sandbox.paragon.catalog import SyncSpec
from sandbox.paragon.segments import Blocks, Segment
from sandbox.paragon.texts import reason_text

SLOT_MS = 6 * HOUR
NONE, RATE_LIMIT, ERROR = 0, 1, 2


@dataclass
class Episodes:
    """Episodes that happen (clashing or blocked ones already dropped), sorted by tick."""

    slot: np.ndarray
    k0: np.ndarray
    kind: np.ndarray
    start: np.ndarray  # the tick's start
    a: np.ndarray  # episode begins
    b: np.ndarray  # episode ends (back-off over, or error cleared)
    end: np.ndarray  # the cycle's visible end, cut short by a block
    length: np.ndarray  # rateLimitBackoffMs for rate limits

    def take(self, mask: np.ndarray) -> Episodes:
        return Episodes(**{name: getattr(self, name)[mask] for name in self.__dataclass_fields__})


@dataclass
class Frame:
    """Ticks lo..hi-1 of one sync with what became of each."""

    ks: np.ndarray
    start: np.ndarray
    end: np.ndarray  # visible end: completion, error cleared, or a block's start
    finish: np.ndarray  # completion time when completed
    skipped: np.ndarray  # never started: inside an earlier episode or a block
    completed: np.ndarray
    ep: np.ndarray  # index into `episodes` of the tick's own episode, or -1
    episodes: Episodes


class Timeline:
    """The history and future of one sync under its current segments (rebuilt when they change)."""

    def __init__(self, spec: SyncSpec, segments: tuple[Segment, ...]) -> None:
        self.spec = spec
        self.freq = spec.freq_ms
        self.blocks = Blocks(segments)
        self.first_active, self.init_end = self.blocks.initial_sync(spec.init_start_ms, spec.init_dur_ms)
        self.anchor = self.init_end
        m = max(4, math.ceil(SLOT_MS / self.freq))
        self.m = m + m % 2
        self._keys = {name: derive(spec.key, name) for name in _STREAMS}
        self.forced = self._forced_episode()

    # ticks -------------------------------------------------------------------------------------
    def tick_at(self, t: int) -> int:
        """The last tick started at or before t (0: none yet)."""
        return 0 if t < self.anchor + self.freq else (t - self.anchor) // self.freq

    def starts(self, ks: np.ndarray) -> np.ndarray:
        return self.anchor + ks * self.freq

    def cumulative(self, ks: np.ndarray | int) -> np.ndarray:
        """C(k): source changes up to tick k; mean*(k + u_k) is non-decreasing as u_k < 1."""
        ks = np.asarray(ks, dtype=np.int64)
        mean = self.spec.mean_records
        c = np.floor(mean * ks + mean * uniforms(self._keys["records"], ks)).astype(np.int64)
        return np.where(ks <= 0, 0, c)

    def durations(self, ks: np.ndarray) -> np.ndarray:
        """A cycle's run time: longer when it has more records, always well inside one tick."""
        changes = self.cumulative(ks) - self.cumulative(ks - 1)
        spread = min(self.freq // 4, 5 * MINUTE)
        cap = min(self.freq * 6 // 10, 30 * MINUTE)
        dur = 1500 + 25 * changes + uniforms(self._keys["duration"], ks) * spread
        return np.clip(dur, SECOND, cap).astype(np.int64)

    def slot_of(self, k: int) -> int:
        return (k - 1) // self.m

    # episodes ----------------------------------------------------------------------------------
    def _forced_episode(self) -> tuple[int, int, int, int] | None:
        """(slot, k0, offset, back-off) of a rate limit hitting shortly before T0 and outlasting it."""
        t0 = self.spec.forced_rate_limit_at
        if t0 is None:
            return None
        k0 = self.tick_at(t0 - 1)
        if k0 < 1:
            return None
        ks = np.array([k0])
        start, dur = int(self.starts(ks)[0]), int(self.durations(ks)[0])
        offset = min(dur - 1, max(0, t0 - start - 2 * SECOND))
        extra = 30 * SECOND + uniforms(self._keys["forced"], 0) * 270 * SECOND
        backoff = math.ceil((t0 - start - offset + float(extra)) / SECOND) * SECOND
        return self.slot_of(k0), k0, offset, backoff

    def episodes(self, j0: int, j1: int) -> Episodes:
        """Episodes of slots j0..j1 that take place."""
        js = np.arange(max(0, j0), max(0, j1) + 1, dtype=np.int64)
        u = uniforms(self._keys["occurs"], js)
        p_rl, p_err = self.spec.p_rate_limit, self.spec.p_error
        kind = np.where(u < p_rl, RATE_LIMIT, np.where(u < p_rl + p_err, ERROR, NONE))
        k0 = js * self.m + 1 + (uniforms(self._keys["tick"], js) * (self.m // 2)).astype(np.int64)
        u_len = uniforms(self._keys["length"], js)
        backoff = (30 + np.floor(u_len * 571)).astype(np.int64) * SECOND
        error_len = (2 * MINUTE + u_len**2 * 118 * MINUTE).astype(np.int64)
        length = np.where(kind == RATE_LIMIT, backoff, error_len)
        start, dur = self.starts(k0), self.durations(k0)
        offset = (uniforms(self._keys["offset"], js) * dur).astype(np.int64)
        if self.forced is not None and js.size and js[0] <= self.forced[0] <= js[-1]:
            i = self.forced[0] - int(js[0])
            _, k0[i], offset[i], length[i] = self.forced
            kind[i], start[i], dur[i] = RATE_LIMIT, self.starts(k0[i]), self.durations(k0[i])
        a = start + offset
        b = a + length
        natural_end = np.where(kind == RATE_LIMIT, b + dur - offset, b)
        keep = (kind != NONE) & ~self.blocks.covering(start)
        end = self.blocks.first_start_in(start, natural_end)
        eps = Episodes(js, k0, kind, start, a, b, end, length).take(keep)
        return eps.take(_not_clashing(eps.start, eps.end))

    def reason(self, slot: int) -> str:
        """The message of the transient error in `slot`."""
        u = float(uniforms(self._keys["reason"], slot))
        spec = self.spec
        return reason_text(spec.key, slot + 1, spec.integration, spec.credential_id, u)

    # frames ------------------------------------------------------------------------------------
    def frame(self, lo: int, hi: int) -> Frame:
        """What became of ticks lo..hi-1 (lo >= 1)."""
        ks = np.arange(lo, max(lo, hi), dtype=np.int64)
        start, dur = self.starts(ks), self.durations(ks)
        eps = self.episodes(self.slot_of(lo) - 1, self.slot_of(max(lo, hi - 1)))
        n = len(eps.k0)
        none = np.zeros(len(ks), dtype=bool)
        pos = np.searchsorted(eps.k0, ks, side="left")
        at = np.minimum(pos, max(n - 1, 0))
        own = (pos < n) & (eps.k0[at] == ks) if n else none
        kind = np.where(own, eps.kind[at], NONE) if n else np.zeros(len(ks), dtype=np.int64)
        in_episode = (pos >= 1) & (start < eps.end[np.maximum(pos - 1, 0)]) if n else none
        skipped = in_episode | self.blocks.covering(start)
        natural_end = start + dur
        if n:  # a rate-limited cycle completes after its back-off; an errored one never does
            rl_end = eps.b[at] + dur - (eps.a[at] - eps.start[at])
            natural_end = np.select([kind == RATE_LIMIT, kind == ERROR], [rl_end, eps.b[at]], natural_end)
        end = self.blocks.first_start_in(start, natural_end)
        completed = ~skipped & (end == natural_end) & (kind != ERROR)
        ep = np.where(own, pos, -1)
        return Frame(ks, start, end, natural_end, skipped, completed, ep, eps)

    def window(self, t: int) -> Frame:
        """The ticks before t that can shape its state: about one slot, ending at t's tick."""
        hi = self.tick_at(t) + 1
        return self.frame(max(1, hi - self.m - 2), hi)

    def last_completed(self, t: int, frame: Frame | None = None) -> tuple[int, int] | None:
        """(tick, completion) of the newest cycle completed by t; tick 0 is the initial sync.

        `frame`, when given, must be `window(t)`; older windows are read only when a long block
        or a stretch of failures left that one without a completed cycle.
        """
        hi = self.tick_at(t) + 1
        while hi > 1:
            f = frame if frame is not None else self.frame(max(1, hi - self.m - 2), hi)
            frame = None
            done = np.nonzero(f.completed & (f.finish <= t))[0]
            if done.size:
                return int(f.ks[done[-1]]), int(f.finish[done[-1]])
            lo = int(f.ks[0]) if f.ks.size else 1
            block = self.blocks.at(int(self.anchor + lo * self.freq))
            hi = lo if block is None else min(lo, self.tick_at(int(self.blocks.start[block])) + 1)
        return (0, self.init_end) if self.init_end <= t else None


_STREAMS = ("records", "duration", "occurs", "tick", "length", "offset", "forced", "reason")


def _not_clashing(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Drop an episode whose tick starts before the previous kept episode's cycle has ended."""
    keep = np.ones(len(start), dtype=bool)
    busy_until = np.iinfo(np.int64).min
    for i, (s, e) in enumerate(zip(start.tolist(), end.tolist(), strict=True)):
        if s < busy_until:
            keep[i] = False
        else:
            busy_until = e
    return keep

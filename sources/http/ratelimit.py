"""One rate gate per vendor, shared by every worker thread and client of that vendor.

A 429 is about the vendor's budget, not one request: when one worker is told to wait
(`Retry-After`), every worker of the vendor waits, instead of the others spending the budget
the server has just refused. The gate also spaces requests out after a 429 (the spacing doubles
with each 429 and shrinks again with each success), so a run settles just under the vendor's
limit instead of bouncing off it; with no 429 the spacing is zero and costs nothing. The 429s of
requests already in flight when the pause began say nothing new: only the first 429 of a pause
widens the spacing, or eight workers refused together would widen it eightfold.
"""

from __future__ import annotations

import threading
import time

from .errors import DeadlineExceeded

MIN_SPACING_S = 0.05  # the first spacing after a 429: 20 requests/s
MAX_SPACING_S = 10.0
RECOVERY = 0.97  # each success shortens the spacing by 3%


class RateGate:
    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._next_slot = 0.0
        self.spacing = 0.0

    def wait_turn(self, deadline: float | None) -> None:
        """Block until this vendor may send again; DeadlineExceeded if that is past `deadline`."""
        while True:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._paused_until, self._next_slot)
                if start <= now:
                    self._next_slot = now + self.spacing
                    return
            if deadline is not None and start > deadline:
                raise DeadlineExceeded(self.vendor, "run deadline reached while rate limited; stopped")
            time.sleep(start - now)

    def limited(self, wait_s: float) -> None:
        """A 429: every worker waits `wait_s` from now, and requests are spaced out more."""
        with self._lock:
            now = time.monotonic()
            if now >= self._paused_until:  # the first 429 since the last pause ended
                self.spacing = min(MAX_SPACING_S, max(MIN_SPACING_S, self.spacing * 2))
            self._paused_until = max(self._paused_until, now + wait_s)

    def reset(self) -> None:
        """Forget what a finished load learnt (the next load may run hours later)."""
        with self._lock:
            self._paused_until = self._next_slot = self.spacing = 0.0

    def passed(self) -> None:
        """A request went through: recover towards full speed."""
        if self.spacing:
            with self._lock:
                self.spacing = 0.0 if self.spacing < MIN_SPACING_S / 4 else self.spacing * RECOVERY


_GATES: dict[str, RateGate] = {}
_GATES_LOCK = threading.Lock()


def gate_for(vendor: str) -> RateGate:
    with _GATES_LOCK:
        return _GATES.setdefault(vendor, RateGate(vendor))

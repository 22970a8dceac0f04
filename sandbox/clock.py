"""The world's clock and the timestamp formats the vendors use.

All sandbox times are integer milliseconds since the Unix epoch: exact, cheap to compare in
numpy, and free of float rounding when printed with millisecond precision.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def to_datetime(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=int(ms))


def iso_ms(ms: int) -> str:
    """`2026-11-23T09:00:00.123Z`: UTC with milliseconds and Z, as all three vendors write it."""
    return to_datetime(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ms) % 1000:03d}Z"


def http_date(ms: int) -> str:
    return format_datetime(to_datetime(ms), usegmt=True)


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def parse_iso(text: str) -> int:
    return int((datetime.fromisoformat(text.replace("Z", "+00:00")) - EPOCH) / timedelta(milliseconds=1))


class WorldClock:
    """Simulated time: frozen unless advanced, so a world is a function of (seed, operations)."""

    def __init__(self, start_ms: int) -> None:
        self.start_ms = int(start_ms)
        self._now = int(start_ms)
        self._lock = threading.Lock()

    @property
    def now(self) -> int:
        return self._now

    def advance(self, ms: int) -> int:
        if ms < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._now += int(ms)
            return self._now

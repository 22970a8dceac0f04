"""Faults a vendor server can be told to inject: latency, rate limits, 5xx, drops, truncation.

Decisions come from a seeded RNG so a test can reproduce a fault pattern; rate limiting uses
the real monotonic clock because a client's backoff is real time, not world time.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import asdict, dataclass, fields
from enum import Enum


@dataclass(frozen=True)
class Faults:
    latency_ms: float = 0.0
    rate_limit_per_s: float = 0.0  # 0 = unlimited; above it requests get 429 + Retry-After
    error_rate: float = 0.0  # share of requests answered 500, 502 or 503
    drop_rate: float = 0.0  # share of requests whose connection is closed with no response
    truncate_rate: float = 0.0  # share answered with headers and half the body, then closed
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_rate", "truncate_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
        if self.latency_ms < 0 or self.rate_limit_per_s < 0:
            raise ValueError("latency_ms and rate_limit_per_s must be >= 0")
        if self.error_rate + self.drop_rate + self.truncate_rate > 1.0:
            raise ValueError("error_rate + drop_rate + truncate_rate must not exceed 1")

    @classmethod
    def from_dict(cls, data: dict) -> Faults:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)


class Action(Enum):
    SERVE = "serve"
    RATE_LIMIT = "rate_limit"
    ERROR = "error"
    DROP = "drop"
    TRUNCATE = "truncate"


@dataclass(frozen=True)
class Decision:
    action: Action
    status: int = 200
    retry_after_s: int = 0


class FaultInjector:
    """Turns a Faults setting into one decision per request."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(faults or Faults())

    def configure(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)
            self._tokens = faults.rate_limit_per_s
            self._refilled = time.monotonic()

    def decide(self) -> Decision:
        with self._lock:
            f = self.faults
            if f.rate_limit_per_s > 0:
                now = time.monotonic()
                rate = f.rate_limit_per_s
                # The bucket holds at least one token, so rates under 1/s still let requests through.
                self._tokens = min(max(1.0, rate), self._tokens + (now - self._refilled) * rate)
                self._refilled = now
                if self._tokens < 1.0:
                    wait = (1.0 - self._tokens) / rate
                    return Decision(Action.RATE_LIMIT, 429, max(1, math.ceil(wait)))
                self._tokens -= 1.0
            u = self._rng.random()
            if u < f.drop_rate:
                return Decision(Action.DROP)
            u -= f.drop_rate
            if u < f.truncate_rate:
                return Decision(Action.TRUNCATE)
            u -= f.truncate_rate
            if u < f.error_rate:
                return Decision(Action.ERROR, self._rng.choice((500, 502, 503)))
            return Decision(Action.SERVE)

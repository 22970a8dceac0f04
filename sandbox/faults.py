"""Faults a vendor server can be told to inject: latency, rate limits, 5xx, drops, truncation,
and hostile answers (links to another origin or back to a read page, dripping, endless or
compressed-bomb bodies, malformed fields, one-off empty listings and 404s).

Decisions come from a seeded RNG so a test can reproduce a fault pattern; rate limiting uses
the real monotonic clock because a client's backoff is real time, not world time. What the
hostile knobs do to a body is in fault_bodies.py, what they do on the wire in wire_faults.py.
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from dataclasses import asdict, dataclass, fields
from enum import Enum

from sandbox import spec_room


@dataclass(frozen=True)
class Faults:
    latency_ms: float = 0.0
    rate_limit_per_s: float = 0.0  # 0 = unlimited; above it requests get 429 + Retry-After
    error_rate: float = 0.0  # share of requests answered 500, 502 or 503
    drop_rate: float = 0.0  # share of requests whose connection is closed with no response
    truncate_rate: float = 0.0  # share answered with headers and half the body, then closed
    seed: int = 0
    foreign_next: str = ""  # a URL: every page link (`links.next`, Timbal's `next`) points there
    loop_next: bool = False  # every page link points back to the first page (Timbal: the same page)
    slow_body: float = 0.0  # seconds between the bytes of every body (0 = off)
    endless_body: bool = False  # 200 with a body that never ends (chunked JSON, for ever)
    gzip_bomb: float = 0.0  # gigabytes a ~1 MB/GB `Content-Encoding: gzip` body expands to (true = 3)
    malformed_field: str = ""  # "missing:<key>", "wrong_type:<key>" or "huge:<key>" (a 10 MB string)
    empty_listing_once: bool = False  # the next sync list answers 200 with no syncs, once
    records_404_once: bool = False  # the next AI Squared sync_records request answers 404, once
    spec_room: str = ""  # spec-valid room the bodies never take (sandbox/spec_room.py): "nanos", ...

    def __post_init__(self) -> None:
        if self.gzip_bomb is True:
            object.__setattr__(self, "gzip_bomb", 3.0)
        _check_types(self)
        for name in ("error_rate", "drop_rate", "truncate_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
        if self.latency_ms < 0 or self.rate_limit_per_s < 0:
            raise ValueError("latency_ms and rate_limit_per_s must be >= 0")
        if self.error_rate + self.drop_rate + self.truncate_rate > 1.0:
            raise ValueError("error_rate + drop_rate + truncate_rate must not exceed 1")
        if self.foreign_next and not re.match(r"^https?://[^/?#]+", self.foreign_next):
            raise ValueError(f"foreign_next must be an http(s) URL, got {self.foreign_next!r}")
        if self.slow_body < 0 or self.gzip_bomb < 0:
            raise ValueError("slow_body and gzip_bomb must be >= 0")
        if self.malformed_field and not MALFORMED.match(self.malformed_field):
            raise ValueError(
                f"malformed_field must be missing:<key>, wrong_type:<key> or huge:<key>, "
                f"got {self.malformed_field!r}"
            )

        if self.spec_room and not SPEC_ROOM.match(self.spec_room):
            raise ValueError(
                f"spec_room must be one of {', '.join(spec_room.KINDS)} or "
                f"{', '.join(k + ':<key>' for k in spec_room.KEYED)}, got {self.spec_room!r}"
            )

    @classmethod
    def from_dict(cls, data: dict) -> Faults:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)


MALFORMED = re.compile(r"^(missing|wrong_type|huge):(.+)$")
SPEC_ROOM = spec_room.PATTERN
ONCE = ("empty_listing_once", "records_404_once")
_TYPES = {bool: (bool,), str: (str,), float: (int, float), int: (int,)}


def _check_types(faults: Faults) -> None:
    """A JSON body can hold any type: name the knob whose value has the wrong one."""
    for f in fields(faults):
        value = getattr(faults, f.name)
        kind = type(Faults.__dataclass_fields__[f.name].default)
        if not isinstance(value, _TYPES[kind]) or (kind is not bool and isinstance(value, bool)):
            raise ValueError(f"{f.name} must be a {kind.__name__}, got {value!r}")


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
            self._once = {name for name in ONCE if getattr(faults, name)}

    def take_once(self, name: str) -> bool:
        """True the first time a one-off knob (`empty_listing_once`, ...) is asked about, then never."""
        with self._lock:
            if name in self._once:
                self._once.discard(name)
                return True
            return False

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

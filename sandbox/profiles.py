"""What kind of sync each sandbox sync is: the patterns a health monitor must tell apart.

A profile fixes a sync's schedule and behaviour relative to the world's start time T0, so the
history before T0 shows every pattern and advancing the clock continues it naturally.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sandbox.clock import DAY, HOUR, MINUTE

# kind -> weight. Every kind appears in any world of a dozen syncs or more (see assign_kinds).
KINDS: dict[str, float] = {
    "healthy": 0.40,
    "flaky": 0.12,
    "failing": 0.09,
    "slow": 0.08,
    "stale": 0.07,
    "disabled": 0.07,
    "running": 0.07,
    "cancelling": 0.05,
    "new": 0.05,
}

INTERVALS_MS: tuple[tuple[int, float], ...] = (
    (15 * MINUTE, 0.25),
    (30 * MINUTE, 0.15),
    (HOUR, 0.30),
    (6 * HOUR, 0.15),
    (DAY, 0.13),
    (7 * DAY, 0.02),
)


@dataclass(frozen=True)
class SyncProfile:
    kind: str
    created_ms: int
    first_run_ms: int
    interval_ms: int
    duration_ms: int  # median run duration
    duration_sigma: float  # log-normal spread
    fail_p: float
    cancel_p: float
    streak_from_ms: int | None = None  # runs scheduled in [from, until) fail
    streak_until_ms: int | None = None
    stops_at_ms: int | None = None  # the scheduler stalls here (still enabled): stale
    disabled_at_ms: int | None = None
    running_at_ms: int | None = None  # the run covering this instant runs long
    weight: float = 1.0  # share of data volume relative to other syncs
    injected: tuple = ()  # sandbox.anomalies.Injection: known anomalies (off unless configured)


def each_then_weighted(n: int, weights: dict[str, float], rng: random.Random) -> list[str]:
    """n picks: every key once first (so small worlds still show each), the rest by weight.

    The first picks keep the table's order; callers that want them spread shuffle the result.
    """
    keys = list(weights)
    chosen = keys[: min(n, len(keys))]
    chosen += rng.choices(keys, weights=list(weights.values()), k=max(0, n - len(chosen)))
    return chosen


def assign_kinds(n: int, rng: random.Random, kinds: dict[str, float] = KINDS) -> list[str]:
    """One of every kind first, then by weight, in shuffled order."""
    chosen = each_then_weighted(n, kinds, rng)
    rng.shuffle(chosen)
    return chosen


def _interval(rng: random.Random) -> int:
    values, weights = zip(*INTERVALS_MS, strict=True)
    return rng.choices(values, weights=weights)[0]


def make_profile(kind: str, rng: random.Random, t0: int, history_ms: int) -> SyncProfile:
    interval = _interval(rng)
    if kind == "new":
        created = t0 - rng.randint(5, 50) * MINUTE
        interval = max(interval, HOUR)
        first_run = created + interval  # no run yet at T0
    else:
        created = t0 - history_ms - rng.randint(1, 72) * HOUR
        first_run = t0 - history_ms + rng.randint(0, interval // MINUTE) * MINUTE
    duration = int(min(interval * 0.25, rng.uniform(20, 600) * 1000))
    sigma = rng.uniform(0.2, 0.6)
    fail_p, cancel_p = rng.uniform(0.0, 0.04), rng.uniform(0.0, 0.01)
    extra: dict[str, int | None] = {}
    if kind == "flaky":
        fail_p = rng.uniform(0.2, 0.45)
    elif kind == "failing":
        n_failed = rng.randint(3, 12)
        extra["streak_from_ms"] = t0 - n_failed * interval - interval // 2
        extra["streak_until_ms"] = t0 + rng.randint(1, 4) * DAY if rng.random() < 0.5 else None
    elif kind == "slow":
        duration = int(interval * rng.uniform(0.3, 0.6))
        sigma = rng.uniform(0.6, 1.0)
    elif kind == "stale":
        interval = min(interval, 6 * HOUR)  # stale must show within the history
        stall = t0 - rng.randint(3, 8) * interval - rng.randint(1, 48) * HOUR
        extra["stops_at_ms"] = max(stall, first_run + interval)
    elif kind == "disabled":
        disabled = t0 - rng.randint(1, 10) * DAY - rng.randint(0, 23) * HOUR
        extra["disabled_at_ms"] = min(max(disabled, first_run + interval), t0 - MINUTE)
    elif kind == "running":
        extra["running_at_ms"] = t0
    elif kind == "cancelling":
        cancel_p = rng.uniform(0.15, 0.35)
    return SyncProfile(
        kind=kind,
        created_ms=created,
        first_run_ms=first_run,
        interval_ms=interval,
        duration_ms=max(duration, 2000),
        duration_sigma=sigma,
        fail_p=fail_p,
        cancel_p=cancel_p,
        weight=rng.lognormvariate(0, 1.0),
        **extra,
    )

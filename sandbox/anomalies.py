"""Injected anomalies: known unusual runs and days, so anomaly detection can be scored.

`WorldConfig.anomalies` syncs per vendor (default 0: the world is untouched) each get one
injection, chosen by seed among the syncs that keep running (healthy, flaky, slow, cancelling) at least
every 6 hours:
  * volume_drop: one run moves 2% of its usual volume (it succeeds and finds changes);
  * duration_spike: one run takes 50x its usual time (and succeeds);
  * quiet_day: a whole UTC day without any run ending in it.
Each lands 3-10 days before the world's start (fewer for short histories), so it has history
before it and is visible on the first load. The run model applies them (sandbox.timeline), so
every vendor built on it carries them; the truth lists them with the affected run's time.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from sandbox.clock import DAY, HOUR, iso_ms
from sandbox.hashing import derive

KINDS = ("volume_drop", "duration_spike", "quiet_day")
METRIC = {"volume_drop": "rows_synced", "duration_spike": "duration_s", "quiet_day": "runs_per_day"}
VOLUME_FACTOR = 0.02
RUNNING_KINDS = ("healthy", "flaky", "slow", "cancelling")
DURATION_FACTOR = 50


@dataclass(frozen=True)
class Injection:
    kind: str
    at_ms: int  # runs: the first run created at or after it; quiet_day: the day's 00:00 UTC


def choose(profiles: list, seed: int, vendor: str, count: int, t0: int, days: int) -> list:
    """The profiles with injections on `count` of them (a copy; the input is left alone)."""
    if count <= 0:
        return profiles
    rng = random.Random(derive(seed, vendor, "anomalies"))
    candidates = [i for i, p in enumerate(profiles) if p.kind in RUNNING_KINDS and p.interval_ms <= 6 * HOUR]
    out = list(profiles)
    latest = max(2, min(10, days // 3))
    for n, i in enumerate(sorted(rng.sample(candidates, min(count, len(candidates))))):
        kind = KINDS[n % len(KINDS)]
        day = (t0 // DAY - rng.randint(2, latest)) * DAY
        at = day if kind == "quiet_day" else day + rng.randint(0, 23) * HOUR
        out[i] = replace(out[i], injected=(Injection(kind, at),))
    return out


def run_factors(injected: tuple[Injection, ...], created: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per run: forced to succeed and find changes, duration factor, volume factor."""
    forced = np.zeros(len(created), dtype=bool)
    duration, volume = np.ones(len(created)), np.ones(len(created))
    for injection in injected:
        hits = np.nonzero(created >= injection.at_ms)[0]
        if injection.kind == "quiet_day" or not len(hits):
            continue
        forced[hits[0]] = True
        if injection.kind == "volume_drop":
            volume[hits[0]] = VOLUME_FACTOR
        else:
            duration[hits[0]] = DURATION_FACTOR
    return forced, duration, volume


def without_quiet_days(
    frame: object, injected: tuple[Injection, ...], rebuild: Callable[[np.ndarray], object]
) -> object:
    """Drop every run created in a quiet day or still running into it. Runs after it are
    regenerated with their new indexes; runs before it keep theirs, so any prefix is stable."""
    for quiet in (i for i in injected if i.kind == "quiet_day"):
        start, end = quiet.at_ms, quiet.at_ms + DAY
        keep = ~((frame.created < end) & (frame.finished >= start))
        if not keep.all():
            frame = rebuild(frame.created[keep])
    return frame


def truth(sync_id: str, injected: tuple[Injection, ...], frame: object) -> list[dict]:
    """What was injected into one sync, for `GET /_sandbox/truth/anomalies`."""
    out = []
    for injection in injected:
        row = {"sync_id": sync_id, "kind": injection.kind, "metric": METRIC[injection.kind]}
        if injection.kind == "quiet_day":
            row["day"] = iso_ms(injection.at_ms)[:10]
        else:
            hits = np.nonzero(frame.created >= injection.at_ms)[0]
            if not len(hits):
                continue
            row["run_created_at"] = iso_ms(int(frame.created[hits[0]]))
        out.append(row)
    return out


def world_truth(world: object, vendor: str) -> list[dict]:
    """Every injection of one vendor's world. Only AI Squared carries them: Timbal shows its
    newest runs only (an injection days old is out of sight) and Paragon has no run model."""
    from sandbox.timeline import generate_runs

    if vendor != "ai_squared":
        return []
    out = []
    for sync in world.ai_squared.syncs.values():
        if sync.profile.injected:
            frame = generate_runs(sync.profile, sync.schedule, sync.key, world.now)
            out += truth(str(sync.id), sync.profile.injected, frame)
    return out

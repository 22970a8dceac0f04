"""Which syncs a Paragon world holds: users, integrations, frequencies and each sync's kind.

Everything here is drawn once per world, vectorised over sync indexes with counter-based hashes,
so a 1,000-sync world builds in milliseconds and sync i is the same whatever the world size.
The time behaviour of a sync (cycles, episodes) lives in `cycles.py`; this module only fixes
the parameters that behaviour reads.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from sandbox import profiles
from sandbox.clock import DAY, HOUR, MINUTE, SECOND
from sandbox.config import WorldConfig
from sandbox.hashing import derive, uniforms
from sandbox.paragon.segments import DISABLED, ERRORED, RUNNING, Segment
from sandbox.paragon.texts import reason_text, uuid_list

FREQUENCIES: dict[str, int] = {
    "1m": MINUTE,
    "5m": 5 * MINUTE,
    "15m": 15 * MINUTE,
    "30m": 30 * MINUTE,
    "1h": HOUR,
    "6h": 6 * HOUR,
    "12h": 12 * HOUR,
    "24h": DAY,
}
# Paragon's default is every minute, so short frequencies dominate.
FREQUENCY_WEIGHTS = (0.38, 0.2, 0.14, 0.08, 0.08, 0.05, 0.04, 0.03)
# Rate limits and transient errors show best on syncs that poll often.
SHORT_FREQUENCIES = ("1m", "5m", "15m")

INTEGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("salesforce", ("contacts", "accounts", "opportunities")),
    ("hubspot", ("contacts", "companies", "deals")),
    ("googledrive", ("files",)),
    ("sharepoint", ("files",)),
    ("zendesk", ("tickets", "users")),
    ("jira", ("tickets", "projects")),
    ("notion", ("files",)),
    ("dropbox", ("files",)),
)

# kind -> weight; `assign_kinds` puts one of each first so every world of >= 7 syncs has all.
KINDS: dict[str, float] = {
    "healthy": 0.50,
    "rate_limited": 0.12,
    "flaky": 0.10,
    "errored": 0.06,
    "recovering": 0.06,
    "disabled": 0.08,
    "initializing": 0.08,
}

# Per 6-hour slot: chance of a rate-limit episode and of a transient error, by kind.
EPISODE_ODDS: dict[str, tuple[float, float]] = {
    "healthy": (0.03, 0.0),
    "rate_limited": (0.45, 0.0),
    "flaky": (0.05, 0.35),
    "errored": (0.03, 0.05),
    "recovering": (0.03, 0.05),
    "disabled": (0.03, 0.0),
    "initializing": (0.03, 0.0),
}


@dataclass(frozen=True, slots=True)
class SyncSpec:
    """The fixed parameters of one sync; its history is a function of these and the segments."""

    index: int
    id: str
    key: int
    user_id: str
    integration: str
    pipeline: str
    credential_id: str
    frequency: str
    kind: str
    created_ms: int
    init_start_ms: int
    init_dur_ms: int
    initial_records: int
    mean_records: float  # expected records per incremental cycle
    segments: tuple[Segment, ...]  # status forced from some time on (disabled, errored)
    forced_rate_limit_at: int | None  # a rate-limit episode must cover this instant

    @property
    def freq_ms(self) -> int:
        return FREQUENCIES[self.frequency]

    @property
    def p_rate_limit(self) -> float:
        """Odds that a cycle starts a rate-limit episode, by the sync's kind."""
        return EPISODE_ODDS[self.kind][0]

    @property
    def p_error(self) -> float:
        """Odds that a cycle starts an error episode, by the sync's kind."""
        return EPISODE_ODDS[self.kind][1]


def assign_kinds(n: int, seed: int) -> list[str]:
    return profiles.assign_kinds(n, random.Random(derive(seed, "paragon", "kinds")), KINDS)


def assign_users(n: int, users: list[str], seed: int) -> list[str]:
    """Every user gets a sync first, then a skewed share (a few users own most syncs)."""
    weights = {user: 1.0 / (1 + i) ** 0.7 for i, user in enumerate(users)}
    return profiles.each_then_weighted(n, weights, random.Random(derive(seed, "paragon", "owners")))


class Catalog:
    """Users and sync specs of one world, plus lookups the API needs."""

    def __init__(self, config: WorldConfig) -> None:
        self.seed = config.seed
        self.t0 = config.start_ms
        self.project_id = uuid_list(derive(config.seed, "paragon", "project"), 1)[0]
        self.users = [f"user-{i + 1}" for i in range(max(1, config.paragon_users))]
        self.syncs: list[SyncSpec] = self._build(config)
        self.by_id: dict[str, SyncSpec] = {s.id: s for s in self.syncs}
        self.by_user: dict[str, list[SyncSpec]] = {u: [] for u in self.users}
        for spec in sorted(self.syncs, key=lambda s: (s.created_ms, s.id)):
            self.by_user[spec.user_id].append(spec)

    def _draw(self, name: str, n: int) -> np.ndarray:
        return uniforms(derive(self.seed, "paragon", "sync", name), np.arange(n, dtype=np.int64))

    def _build(self, config: WorldConfig) -> list[SyncSpec]:
        n = config.syncs
        kinds = assign_kinds(n, config.seed)
        owners = assign_users(n, self.users, config.seed)
        ids = uuid_list(derive(config.seed, "paragon", "sync-ids"), n)
        u = {name: self._draw(name, n) for name in _DRAWS}
        forced_done = False
        specs = []
        for i in range(n):
            draws = {name: float(values[i]) for name, values in u.items()}
            force = kinds[i] == "rate_limited" and not forced_done
            forced_done = forced_done or force
            specs.append(self._spec(i, ids[i], kinds[i], owners[i], draws, config, force))
        return specs

    def _spec(
        self,
        i: int,
        sync_id: str,
        kind: str,
        user: str,
        u: dict[str, float],
        config: WorldConfig,
        force_rate_limit: bool,
    ) -> SyncSpec:
        integration, pipelines = INTEGRATIONS[int(u["integration"] * len(INTEGRATIONS))]
        pipeline = pipelines[int(u["pipeline"] * len(pipelines))]
        credential = uuid_list(derive(self.seed, "paragon", "credential", user, integration), 1)[0]
        frequency = _frequency(kind, u["frequency"], force_rate_limit)
        initial = round(300 * 10 ** (u["initial"] * 2.5))  # 300 .. ~95k records
        per_hour = 2 * 10 ** (u["rate"] * 2.7)  # 2 .. ~1000 changed records an hour
        created, init_start = _creation(kind, u, self.t0, config.days)
        key = derive(self.seed, "paragon", "sync", sync_id)
        return SyncSpec(
            index=i,
            id=sync_id,
            key=key,
            user_id=user,
            integration=integration,
            pipeline=pipeline,
            credential_id=credential,
            frequency=frequency,
            kind=kind,
            created_ms=created,
            init_start_ms=init_start,
            init_dur_ms=int(30 * SECOND + initial * 12 + u["init_dur"] * 10 * MINUTE),
            initial_records=initial,
            mean_records=per_hour * FREQUENCIES[frequency] / HOUR,
            segments=_segments(kind, u, self.t0, key, integration, credential),
            forced_rate_limit_at=self.t0 if force_rate_limit else None,
        )


_DRAWS = (
    "integration",
    "pipeline",
    "frequency",
    "initial",
    "rate",
    "created",
    "init_delay",
    "init_dur",
    "since",
    "until",
    "reason",
)


def _frequency(kind: str, u: float, force_rate_limit: bool) -> str:
    """A weighted frequency; the forced rate-limited sync polls every 1 or 5 minutes."""
    if force_rate_limit:
        return "1m" if u < 0.5 else "5m"
    names = list(FREQUENCIES)
    if kind in ("rate_limited", "flaky"):
        names = list(SHORT_FREQUENCIES)
    weights = np.array(FREQUENCY_WEIGHTS[: len(names)])
    cumulative = np.cumsum(weights / weights.sum())
    return names[min(int(np.searchsorted(cumulative, u, side="right")), len(names) - 1)]


def _creation(kind: str, u: dict[str, float], t0: int, days: int) -> tuple[int, int]:
    """Created-at and first-sync start: new syncs a few minutes before T0, others before history.

    An initializing sync's first sync has not finished at T0; the even ones have not even
    started (INITIALIZING), the odd ones are in their initial ACTIVE phase.
    """
    if kind == "initializing":
        created = t0 - int((2 + u["created"] * 25) * MINUTE)
        if u["init_delay"] < 0.5:
            return created, t0 + int((1 + u["init_delay"] * 16) * MINUTE)
        return created, created + int((u["init_delay"] - 0.5) * 2 * (t0 - created))
    created = t0 - days * DAY - int((1 + u["created"] * 71) * HOUR)
    return created, created + int((1 + u["init_delay"] * 9) * MINUTE)


def _segments(
    kind: str, u: dict[str, float], t0: int, key: int, integration: str, credential: str
) -> tuple[Segment, ...]:
    """The status forced on a sync by its kind: disabled or errored since before T0.

    A "recovering" sync goes back to running 5 to 35 minutes after T0, so advancing the clock
    shows a recovery; an "errored" one stays errored until an admin changes it.
    """
    since = t0 - int((20 * MINUTE) + u["since"] * 3 * DAY)
    if kind == "disabled":
        return (Segment(since, DISABLED, None),)
    if kind in ("errored", "recovering"):
        reason = reason_text(key, 0, integration, credential, u["reason"])
        if kind == "errored":
            return (Segment(since, ERRORED, reason),)
        until = t0 + int((5 + u["until"] * 30) * MINUTE)
        return (Segment(since, ERRORED, reason), Segment(until, RUNNING, None))
    return ()

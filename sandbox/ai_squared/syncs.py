"""The AI Squared syncs of a world: schedule, connectors and data volume per sync."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sandbox import anomalies
from sandbox.clock import DAY, HOUR, MINUTE
from sandbox.config import WorldConfig
from sandbox.hashing import derive
from sandbox.messages import DESTINATIONS, SOURCES, STREAMS
from sandbox.profiles import SyncProfile, assign_kinds, make_profile
from sandbox.timeline import Schedule, profile_schedule

from .model import Volume

WEEK = 7 * DAY
WORKSPACE_ID = 7
CRONS = {15 * MINUTE: "*/15 * * * *", 30 * MINUTE: "*/30 * * * *", HOUR: "0 * * * *",
         6 * HOUR: "0 */6 * * *", DAY: "30 2 * * *", WEEK: "0 3 * * 1"}  # fmt: skip
FIELD_POOL = ("email_address", "first_name", "last_name", "phone_number", "state", "company",
              "amount", "plan", "is_active", "score")  # fmt: skip
BIG_INT_FIELDS = ("external_ref", "crm_object_id", "ledger_entry_id")  # 70-bit integers
DECIMAL_FIELDS = ("lifetime_value", "account_balance", "fx_rate")  # decimals sent as strings


@dataclass
class Connector:
    """A source or destination connector; several syncs can share one, and a rename shows in all
    of them without touching any sync's `updated_at`."""

    id: int
    name: str
    kind: str  # connector_name, e.g. Salesforce
    connector_type: str  # source | destination
    created_ms: int
    updated_ms: int


@dataclass
class SyncDef:
    id: int
    key: int
    profile: SyncProfile
    schedule: Schedule
    volume: Volume
    attributes: dict  # static attributes; status and updated_at are derived at serve time
    record_fields: tuple[str, ...]
    config_updated_ms: int
    exact_fields: tuple[str, ...] = ()  # big-integer and decimal-string fields of `record`
    destination_kind: str = ""  # decides the shape of the records' `logs`

    @property
    def disabled_at_ms(self) -> int | None:
        return self.profile.disabled_at_ms


def interval_fields(interval_ms: int) -> tuple[int, str]:
    for unit, size in (("weeks", WEEK), ("days", DAY), ("hours", HOUR)):
        if interval_ms % size == 0:
            return interval_ms // size, unit
    return interval_ms // MINUTE, "minutes"


def make_syncs(config: WorldConfig) -> tuple[list[SyncDef], dict[int, Connector]]:
    rng = random.Random(derive(config.seed, "ai_squared", "profiles"))
    t0, history = config.start_ms, config.days * DAY
    kinds = assign_kinds(config.syncs, rng)
    profiles = [make_profile(kind, rng, t0, history) for kind in kinds]
    profiles = anomalies.choose(profiles, config.seed, "ai_squared", config.anomalies, t0, config.days)
    total_weight = sum(p.weight for p in profiles)
    syncs = []
    connectors: dict[int, Connector] = {}
    for i, profile in enumerate(profiles):
        sync_id = i + 1
        key = derive(config.seed, "ai_squared", "sync", sync_id)
        schedule = profile_schedule(profile, key)
        target = config.records * profile.weight / total_weight
        attributes = _attributes(sync_id, profile, rng, connectors)
        syncs.append(
            SyncDef(
                id=sync_id,
                key=key,
                profile=profile,
                schedule=schedule,
                volume=_volume(profile, len(schedule.scheduled(t0)), target, key),
                attributes=attributes,
                record_fields=("id", *rng.sample(FIELD_POOL, rng.randint(3, 6))),
                config_updated_ms=profile.disabled_at_ms or profile.created_ms,
                exact_fields=_exact_fields(key) if config.exact_numbers else (),
                destination_kind=connectors[attributes["destination_id"]].kind,
            )
        )
    for connector in connectors.values():
        first = min(s.profile.created_ms for s in syncs if connector.id in _connector_ids(s))
        connector.created_ms = connector.updated_ms = first - HOUR
    return syncs, connectors


def _volume(profile: SyncProfile, runs_by_t0: int, target: float, key: int) -> Volume:
    """Rows per moving run, sized so the sync's runs up to T0 move about `target` records.

    Frequent syncs find changes less often (a 15-minute sync moves on ~1 run in 24, a 6-hourly
    one on every run); 4 in 10 failed runs stop before moving a row (`timeline._runs`), so
    the batch is scaled up to match. Drawn from the sync's own stream, so changing how one
    sync's volume is drawn never shifts another sync's draws.
    """
    rng = random.Random(derive(key, "volume"))
    move_p = min(1.0, max(0.03, profile.interval_ms / (6 * HOUR))) * rng.uniform(0.7, 1.0)
    moving_runs = max(1, runs_by_t0) * move_p * (1 - 0.4 * profile.fail_p)
    flaky = profile.kind == "flaky"
    return Volume(
        move_p=move_p,
        batch=target / max(1.0, moving_runs),
        update_ratio=rng.uniform(0.0, 0.6),
        skip_ratio=rng.uniform(0.0, 0.3),
        record_fail_p=rng.uniform(0.05, 0.15) if flaky else rng.uniform(0.001, 0.03),
    )


def _connector_ids(sync: SyncDef) -> tuple[int, int]:
    return sync.attributes["source_id"], sync.attributes["destination_id"]


def _exact_fields(key: int) -> tuple[str, ...]:
    """About half the syncs read a 70-bit integer column, about half a decimal one."""
    h = derive(key, "exact_fields")
    fields = []
    if h & 1:
        fields.append(BIG_INT_FIELDS[(h >> 8) % len(BIG_INT_FIELDS)])
    if h & 2:
        fields.append(DECIMAL_FIELDS[(h >> 16) % len(DECIMAL_FIELDS)])
    return tuple(fields)


def _attributes(sync_id: int, profile: SyncProfile, rng: random.Random, connectors: dict) -> dict:
    """Static attributes; the nested connectors are rendered from `connectors` at serve time."""
    interval, unit = interval_fields(profile.interval_ms)
    cron = rng.random() < 0.15
    src_kind, src_name = rng.choice(SOURCES)
    dst_kind, dst_name = rng.choice(DESTINATIONS)
    source_id, destination_id = 100 + rng.randint(1, 40), 500 + rng.randint(1, 40)
    # A connector shared by several syncs is the one the first of them named.
    connectors.setdefault(source_id, Connector(source_id, src_name, src_kind, "source", 0, 0))
    connectors.setdefault(destination_id, Connector(destination_id, dst_name, dst_kind, "destination", 0, 0))
    return {
        "source_id": source_id,
        "destination_id": destination_id,
        "model_id": 900 + sync_id,
        "schedule_type": "cron_expression" if cron else "interval",
        "sync_mode": rng.choice(("incremental", "incremental", "full_refresh")),
        "sync_interval": interval,
        "sync_interval_unit": unit,
        "cron_expression": CRONS.get(profile.interval_ms) if cron else None,
        "stream_name": rng.choice(STREAMS),
    }

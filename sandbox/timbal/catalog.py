"""The static part of the Timbal world: org, API key, connectors and each sync's setup at T0.

Everything here is drawn once from the seed (`random.Random(derive(seed, "timbal", ...))`, one
generator per sync so sync 500 does not depend on how many syncs come before it). What changes
over time (settings, runs) lives in `settings.py` and `runs.py`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sandbox.clock import DAY
from sandbox.config import WorldConfig
from sandbox.hashing import derive
from sandbox.profiles import SyncProfile, assign_kinds, make_profile

# source kind -> (schema, tables)
SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "postgres": ("public", ("customers", "orders", "invoices", "subscriptions", "events", "users")),
    "mysql": ("shop", ("products", "carts", "order_items", "reviews", "coupons")),
    "snowflake": ("ANALYTICS", ("DIM_ACCOUNTS", "FCT_ORDERS", "FCT_SESSIONS", "DIM_PRODUCTS")),
    "s3": ("landing-zone", ("exports/orders/", "exports/tickets/", "logs/app/", "crm/contacts/")),
    "bigquery": ("marketing_ops", ("campaigns", "ad_spend", "leads", "attribution")),
}
CURSOR_COLUMNS = ("updated_at", "modified_at", "_loaded_at", "id", "event_ts")
REGIONS = ("eu-west-1", "us-east-1", "ap-northeast-1", "eu-central-1")
# Some names carry non-ASCII text on purpose: the warehouse must keep it intact.
NAMES = (
    "Clientes — ventas",
    "Bestellungen (Müller GmbH)",
    "顧客マスタ同期",
    "Заказы → KB",
    "Orders nightly",
    "Invoices ✓",
    "Support tickets",
    "Données produits",
    "Søkeindeks: events",
    "Marketing leads",
)
TIMEOUT_KINDS = ("flaky", "failing")  # always report some `timed_out` runs, so tests see one


@dataclass(frozen=True)
class Connector:
    id: str
    source_kind: str
    connection_ref: str
    source_schema: str


@dataclass(frozen=True)
class SyncSetup:
    """One sync as it stands at T0 (its initial settings) plus the profile that drives its runs."""

    index: int
    key: int  # hashing key of the sync: schedule, runs, job ids, messages
    id: str
    connector: Connector
    source_table: str
    kb_uid: str
    cursor_column: str
    dest_table: str
    name: str | None
    profile: SyncProfile
    base_rows: int  # rows a run of median volume emits
    timeout_share: float  # share of (non-early) failed runs that report `timed_out`

    @property
    def updated_ms(self) -> int:
        """Last config change before T0: disabling is one; otherwise the creation."""
        return self.profile.disabled_at_ms or self.profile.created_ms


@dataclass(frozen=True)
class Catalog:
    org_id: str
    api_key: str
    connectors: tuple[Connector, ...]
    syncs: tuple[SyncSetup, ...]


def hex_id(prefix: str, *parts: object, length: int = 12) -> str:
    """`prefix` + hex digits derived from the parts (stable across processes and runs)."""
    return prefix + f"{derive(*parts):016x}"[:length]


def _owners(config: WorldConfig) -> list[int]:
    """Connector index of every sync: groups of 4 to 6 (the last one smaller), shuffled."""
    rng = random.Random(derive(config.seed, "timbal", "membership"))
    owners: list[int] = []
    while len(owners) < config.syncs:
        owners += [owners[-1] + 1 if owners else 0] * rng.randint(4, 6)
    owners = owners[: config.syncs]
    rng.shuffle(owners)
    return owners


def _connector(config: WorldConfig, c: int) -> Connector:
    """Connector `c`: one source connection (kind, region) that all its syncs read."""
    rng = random.Random(derive(config.seed, "timbal", "connector", c))
    kind = rng.choice(list(SOURCES))
    ref = f"{kind}-{rng.choice(REGIONS)}-{rng.randint(1, 9)}"
    return Connector(hex_id("conn_", config.seed, "timbal", "conn", c), kind, ref, SOURCES[kind][0])


def _sync(config: WorldConfig, i: int, kind: str, connector: Connector) -> SyncSetup:
    key = derive(config.seed, "timbal", "sync", i)
    rng = random.Random(derive(config.seed, "timbal", "profile", i))
    profile = make_profile(kind, rng, config.start_ms, config.days * DAY)
    table = rng.choice(SOURCES[connector.source_kind][1])
    slug = table.strip("/").replace("/", "_").lower()
    return SyncSetup(
        index=i,
        key=key,
        id=hex_id("sync_", key),
        connector=connector,
        source_table=table,
        kb_uid=hex_id("kb_", config.seed, "timbal", "kb", i, length=16),
        cursor_column=rng.choice(CURSOR_COLUMNS),
        dest_table=f"kb_{slug}",
        name=None if i % 8 == 3 else NAMES[rng.randrange(len(NAMES))],
        profile=profile,
        base_rows=max(50, int(rng.uniform(500, 20_000) * profile.weight)),
        timeout_share=0.15 if rng.random() < 0.25 or kind in TIMEOUT_KINDS else 0.0,
    )


def build_catalog(config: WorldConfig) -> Catalog:
    """The whole static world; cheap (a few ms for 1,000 syncs), so built eagerly."""
    owners = _owners(config)
    connectors = [_connector(config, c) for c in range(max(owners) + 1)]
    kinds = assign_kinds(config.syncs, random.Random(derive(config.seed, "timbal", "kinds")))
    syncs = tuple(_sync(config, i, kinds[i], connectors[owners[i]]) for i in range(config.syncs))
    if len({s.id for s in syncs}) != len(syncs):  # 48-bit ids: astronomically unlikely
        raise RuntimeError("sync id collision; choose another seed")
    return Catalog(
        org_id=hex_id("org_", config.seed, "timbal", "org"),
        api_key="tbl_sk_" + f"{derive(config.seed, 'timbal', 'key', 0):016x}"
        f"{derive(config.seed, 'timbal', 'key', 1):016x}",
        connectors=tuple(connectors),
        syncs=syncs,
    )

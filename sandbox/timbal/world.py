"""The Timbal world: one org, its connectors and syncs, their runs, config changes and truth.

The world is a pure function of (seed, start time, clock, config changes). Runs are never stored:
each sync's runs are generated on demand from its schedule and cached in small LRUs keyed by
(sync, clock now, settings version), so a 1,000-sync world builds in milliseconds and serves
with bounded memory, and any change of clock or settings misses the cache by construction.
"""

from __future__ import annotations

import threading

from sandbox.clock import SECOND, WorldClock
from sandbox.config import WorldConfig
from sandbox.http import Router
from sandbox.lru import LRU
from sandbox.timbal.api import add_admin_routes as add_timbal_admin_routes
from sandbox.timbal.api import public_router
from sandbox.timbal.catalog import Catalog, SyncSetup, build_catalog
from sandbox.timbal.runs import RunTable, Summary, newest_first, run_table, stats, summarize
from sandbox.timbal.settings import Settings, SettingsLog, validate_changes
from sandbox.timbal.views import config_view, run_views, sync_view
from sandbox.timeline import Schedule, profile_schedule


class UnknownSync(KeyError):
    """No sync with that id in this world."""


class TimbalWorld:
    """Timbal's side of the sandbox (see `sandbox.world.VendorWorld`)."""

    name = "timbal"
    TABLE_CACHE = 64  # full run tables (largest: ~2,700 runs x a few arrays each)
    SUMMARY_CACHE = 8192  # a few ints per sync: every sync of a large world fits

    def __init__(self, config: WorldConfig, clock: WorldClock) -> None:
        self.config = config
        self.clock = clock
        self.catalog: Catalog = build_catalog(config)
        self._by_id = {s.id: s for s in self.catalog.syncs}
        self._order = sorted(self.catalog.syncs, key=lambda s: (s.profile.created_ms, s.id))
        self._logs = [SettingsLog([Settings.initial(s, config.start_ms)]) for s in self.catalog.syncs]
        self._schedules: dict[int, Schedule] = {}  # built on first use
        self._tables: LRU[RunTable] = LRU(self.TABLE_CACHE)
        self._summaries: LRU[Summary] = LRU(self.SUMMARY_CACHE)
        # The HTTP server serialises handlers with the World's lock; in-process callers (tests,
        # the CLI) may run beside it, so the world guards its own caches and settings too.
        self._lock = threading.RLock()

    # identity -------------------------------------------------------------------------------
    @property
    def org_id(self) -> str:
        return self.catalog.org_id

    @property
    def api_key(self) -> str:
        return self.catalog.api_key

    @property
    def connector_ids(self) -> list[str]:
        return [c.id for c in self.catalog.connectors]

    @property
    def sync_ids(self) -> list[str]:
        """Every sync id, in the order the list endpoint serves them."""
        return [s.id for s in self._ordered()]

    def env(self, base_url: str) -> dict[str, str]:
        return {
            "SOURCES__TIMBAL__BASE_URL": base_url,
            "SOURCES__TIMBAL__ORG_ID": self.org_id,
            "SOURCES__TIMBAL__API_KEY": self.api_key,
        }

    def router(self) -> Router:
        return public_router(self)

    def add_admin_routes(self, admin: Router) -> None:
        add_timbal_admin_routes(self, admin)

    # what the API serves -------------------------------------------------------------------
    def find(self, sync_id: str) -> SyncSetup | None:
        """The sync's static setup, None if this world has no such sync."""
        return self._by_id.get(sync_id)

    def setup(self, sync_id: str) -> SyncSetup:
        """The sync's static setup; UnknownSync if there is none."""
        found = self._by_id.get(sync_id)
        if found is None:
            raise UnknownSync(sync_id)
        return found

    def list_syncs(self, connector_id: str | None = None) -> list[dict[str, object]]:
        """SyncViews at now, ordered by created_at then id; an unknown connector lists none."""
        with self._lock:
            now = self.clock.now
            return [
                self._sync_view(s, now)
                for s in self._ordered()
                if connector_id is None or s.connector.id == connector_id
            ]

    def sync_detail(self, sync_id: str) -> dict[str, object]:
        """SyncDetailRes at now: the sync, stats over all its runs, the newest runs."""
        with self._lock:
            return self._detail(self.setup(sync_id), self.clock.now)

    # config changes ------------------------------------------------------------------------
    def update_sync(self, sync_id: str, /, **changes: object) -> dict[str, object]:
        """Apply config changes at now and return the new SyncView.

        Accepts enabled, interval_secs, name, cursor_column, dest_table (ChangeError otherwise;
        UnknownSync for an unknown id). Disabling stops the schedule now; enabling or a new
        interval on an enabled sync restarts it with the first run one interval from now.
        """
        checked = validate_changes(changes)
        with self._lock:
            setup, now = self.setup(sync_id), self.clock.now
            schedule = self._schedule(setup)
            before, after = self._logs[setup.index].apply(checked, now)
            if before.enabled and not after.enabled:
                schedule.change(now, None)
            elif after.enabled and (not before.enabled or before.interval_secs != after.interval_secs):
                schedule.change(now, after.interval_secs * SECOND)
            return self._sync_view(setup, now)

    # truth ---------------------------------------------------------------------------------
    def truth_syncs(self) -> list[dict[str, object]]:
        """SyncDetailRes of every sync at now, in list order."""
        with self._lock:
            now = self.clock.now  # one instant for all: an advance mid-way must not mix times
            return [self._detail(s, now) for s in self._ordered()]

    def truth_runs(self, sync_id: str | None = None) -> list[dict[str, object]]:
        """Every run created by now (full history, not just the recent window), as SyncRunView
        plus `sync_id`: syncs in list order, each sync's runs oldest first."""
        with self._lock:
            now = self.clock.now
            setups = [self.setup(sync_id)] if sync_id is not None else self._ordered()
            out: list[dict[str, object]] = []
            for setup in setups:
                table = self._table(setup, now)
                views = run_views(setup, table, list(range(len(table))))
                out += [{**view, "sync_id": setup.id} for view in views]
            return out

    def truth_config_versions(self, sync_id: str) -> list[dict[str, object]]:
        """Each configuration the sync has had since T0, oldest first, with `valid_from`
        (the T0 version is valid from its `updated_at`, each later one from its change)."""
        with self._lock:
            setup = self.setup(sync_id)
            return [
                {"valid_from": view["updated_at"], **view}
                for view in (config_view(setup, s) for s in self._logs[setup.index].versions)
            ]

    def truth_kinds(self) -> dict[str, str]:
        """Profile kind (healthy, flaky, failing, ...) of every sync, by id."""
        return {s.id: s.profile.kind for s in self.catalog.syncs}

    # internals -----------------------------------------------------------------------------
    def _ordered(self) -> list[SyncSetup]:
        """List order: created_at, then id (created_at never changes, so neither does this)."""
        return self._order

    def _schedule(self, setup: SyncSetup) -> Schedule:
        if setup.index not in self._schedules:
            self._schedules[setup.index] = profile_schedule(setup.profile, setup.key)
        return self._schedules[setup.index]

    def _key(self, setup: SyncSetup, now: int) -> tuple[int, int, int]:
        return (setup.index, now, self._logs[setup.index].version)

    def _table(self, setup: SyncSetup, now: int) -> RunTable:
        return self._tables.get(self._key(setup, now), lambda: run_table(setup, self._schedule(setup), now))

    def _detail(self, setup: SyncSetup, now: int) -> dict[str, object]:
        table = self._table(setup, now)
        recent = newest_first(table, self.config.timbal_recent_runs).tolist()
        return {
            "sync": self._sync_view(setup, now),
            "stats": stats(table),
            "recent_runs": run_views(setup, table, recent),
        }

    def _sync_view(self, setup: SyncSetup, now: int) -> dict[str, object]:
        summary = self._summaries.get(self._key(setup, now), lambda: summarize(self._table(setup, now)))
        return sync_view(setup, self._logs[setup.index].current, summary, now)

"""The AI Squared world: syncs, their runs and records at the clock's current time, and truth."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from sandbox.clock import DAY, MINUTE, WorldClock, iso_ms
from sandbox.config import WorldConfig
from sandbox.hashing import derive
from sandbox.lru import LRU
from sandbox.timeline import FAILED, SUCCEEDED, generate_runs
from sandbox.tokens import make_jwt, read_jwt

from .edits import Move, move_rows, touch_runs
from .hooks import HookBook
from .model import (
    RECORD_ID_STRIDE,
    RECORD_STATUSES,
    RUN_ID_STRIDE,
    STATUSES,
    SUCCESS,
    RecordState,
    RunState,
    build_records,
    build_runs,
)
from .serialize import connector_resource, record_resources, run_resource, sync_resource
from .syncs import WORKSPACE_ID, Connector, SyncDef, make_syncs

TOKEN_TTL_MS = 30 * MINUTE
SYNC_STATUS = {SUCCEEDED: "healthy", FAILED: "failed"}  # cancelled: aborted
EDITABLE = frozenset({"schedule_type", "sync_mode", "sync_interval", "sync_interval_unit", "cron_expression",
                      "stream_name"})  # fmt: skip


class AiSquaredWorld:
    name = "ai_squared"

    def __init__(self, config: WorldConfig, clock: WorldClock) -> None:
        self.config = config
        self.clock = clock
        self.workspace_id = WORKSPACE_ID
        self.email = "ops@example.com"
        self.password = f"sandbox-{derive(config.seed, 'password') % 10**8:08d}"
        self._secret = f"ai-squared-{config.seed}"
        self._logins = 0
        # A long-lived token, as an API key would be; tokens from /login expire after 30 minutes.
        self.api_token = make_jwt(
            self._secret, {"sub": 1, "jti": "api", "exp": (config.start_ms + 3650 * DAY) // 1000}
        )
        syncs, self.connectors = make_syncs(config)
        self.syncs: dict[int, SyncDef] = {s.id: s for s in syncs}
        self._runs: LRU[tuple[RunState, np.ndarray]] = LRU(64)
        self._records: LRU[RecordState] = LRU(16)
        self._sync_list: LRU[list[dict]] = LRU(2)
        # Test edits (see edits.py); every edit bumps the version that keys the caches.
        self.version = 0
        self._touched: dict[int, dict[int, int]] = {}
        self._moves: dict[int, list[Move]] = {}
        self.hooks = HookBook(self)

    # auth -----------------------------------------------------------------------------------
    def login(self, email: str, password: str) -> str | None:
        if (email, password) != (self.email, self.password):
            return None
        self._logins += 1
        claims = {
            "sub": 1,
            "jti": f"login-{self._logins}",
            "exp": (self.clock.now + TOKEN_TTL_MS) // 1000,
        }
        return make_jwt(self._secret, claims)

    def token_valid(self, token: str) -> bool:
        claims = read_jwt(self._secret, token)
        return bool(claims) and int(claims.get("exp", 0)) * 1000 > self.clock.now

    # state at now ---------------------------------------------------------------------------
    def runs(self, sync: SyncDef) -> RunState:
        return self._run_state(sync)[0]

    def _run_state(self, sync: SyncDef) -> tuple[RunState, np.ndarray]:
        now = self.clock.now

        def build() -> tuple[RunState, np.ndarray]:
            state, touches = build_runs(sync.profile, sync.schedule, sync.key, sync.volume, sync.id, now)
            return touch_runs(state, self._touched.get(sync.id, {})), touches

        return self._runs.get((sync.id, now, self.version), build)

    def records(self, sync: SyncDef) -> RecordState:
        now = self.clock.now
        runs, touches = self._run_state(sync)
        moves = self._moves.get(sync.id, [])
        return self._records.get(
            (sync.id, now, self.version), lambda: move_rows(build_records(runs, touches, now), runs, moves)
        )

    def sync_status(self, sync: SyncDef) -> tuple[str, int]:
        """(status, updated_at): derived from the newest finished run, as the server updates it."""
        now = self.clock.now
        if sync.disabled_at_ms is not None and sync.disabled_at_ms <= now:
            return "disabled", sync.config_updated_ms
        # Status needs run times and outcomes only, not the record model behind RunState.
        frame = generate_runs(sync.profile, sync.schedule, sync.key, now)
        done = np.nonzero(frame.finished <= now)[0]
        if not len(done):
            return "pending", sync.config_updated_ms
        last = done[np.argmax(frame.finished[done])]
        status = SYNC_STATUS.get(int(frame.outcome[last]), "aborted")
        return status, max(sync.config_updated_ms, int(frame.finished[last]))

    def sync_resources(self) -> list[dict]:
        """Every sync, newest updated_at first (the list endpoint's order), cached per instant."""
        return self._sync_list.get((self.clock.now, self.version), self._list_syncs)

    def _list_syncs(self) -> list[dict]:
        rows = []
        for sync in self.syncs.values():
            status, updated = self.sync_status(sync)
            rows.append((updated, sync.id, sync_resource(sync, status, updated, self.connectors)))
        rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
        return [r[2] for r in rows]

    def run_order(self, sync: SyncDef, status: str | None = None) -> np.ndarray:
        """Run indexes newest updated_at first (ties: higher id first), optionally by status."""
        runs = self.runs(sync)
        order = np.lexsort((-runs.run_ids, -runs.updated))
        if status is not None:
            wanted = STATUSES.index(status) if status in STATUSES else -1
            order = order[runs.phase[order] == wanted]
        return order

    def run_index(self, sync: SyncDef, run_id: int) -> int | None:
        k = run_id - sync.id * RUN_ID_STRIDE - 1
        return k if 0 <= k < len(self.runs(sync).frame) else None

    def record_positions(self, sync: SyncDef, k: int, status: str | None = None) -> np.ndarray:
        records, runs = self.records(sync), self.runs(sync)
        pos = np.arange(records.run_offsets[k], records.run_offsets[k + 1])
        if status is None:
            return pos
        terminal = runs.phase[k] >= SUCCESS
        if status == "pending":
            return pos if not terminal else pos[:0]
        if not terminal:
            return pos[:0]
        return pos[records.failed[pos] == (status == "failed")]

    # edits (tests place races with them; hooks.py fires them mid-crawl) ---------------------
    def _edited(self) -> None:
        self.version += 1

    def remove_sync(self, sync_id: int) -> bool:
        """Delete a sync (as a user would); its URLs answer 404 afterwards."""
        self._edited()
        return self.syncs.pop(sync_id, None) is not None

    def sync(self, sync_id: int) -> SyncDef:
        if sync_id not in self.syncs:
            raise LookupError(f"no sync {sync_id}")
        return self.syncs[sync_id]

    def edit_sync(self, sync_id: int, changes: dict | None = None) -> dict:
        """A user saves the sync now: its `updated_at` becomes now, so it moves to page 1."""
        sync = self.sync(sync_id)
        unknown = set(changes or {}) - EDITABLE
        if unknown:
            editable = ", ".join(sorted(EDITABLE))
            raise ValueError(f"cannot edit {', '.join(sorted(unknown))}; editable: {editable}")
        sync.attributes.update(changes or {})
        sync.config_updated_ms = self.clock.now
        self._edited()
        return {"sync_id": sync_id, "updated_at": iso_ms(self.clock.now)}

    def rename_connector(self, connector_id: int, name: str) -> dict:
        """Rename a source or destination: every sync using it shows the new name, and no sync's
        `updated_at` moves (only the connector's own)."""
        if connector_id not in self.connectors:
            raise LookupError(f"no connector {connector_id}")
        connector: Connector = self.connectors[connector_id]
        connector.name, connector.updated_ms = str(name), self.clock.now
        self._edited()
        return {"connector_id": connector_id, "name": connector.name}

    def touch_run(self, sync_id: int, run_id: int) -> dict:
        """The run's row is written now: `updated_at` = now, first in its sync's run list."""
        sync = self.sync(sync_id)
        k = self._run_k(sync, run_id)
        self._touched.setdefault(sync_id, {})[k] = self.clock.now
        self._edited()
        return {"run_id": run_id, "updated_at": iso_ms(self.clock.now)}

    def move_records(
        self, sync_id: int, run_id: int, count: int | None = None, to_run_id: int | None = None
    ) -> dict:
        """The first `count` records of the run (its list order; all by default) move to a newer
        run (the sync's newest by default), as a later run rewriting those source rows does."""
        sync = self.sync(sync_id)
        k = self._run_k(sync, run_id)
        target = len(self.runs(sync).frame) - 1 if to_run_id is None else self._run_k(sync, to_run_id)
        if target <= k:
            raise ValueError(f"run {run_id} has no newer run to move records to")
        records = self.records(sync)
        rows = records.row[records.run_offsets[k] : records.run_offsets[k + 1]][:count]
        self._moves.setdefault(sync_id, []).append(Move(rows.copy(), target, self.clock.now))
        self._edited()
        ids = [sync_id * RECORD_ID_STRIDE + int(r) + 1 for r in rows]
        to_run_id = int(self.runs(sync).run_ids[target])
        return {"moved": len(ids), "record_ids": [str(i) for i in ids], "to_run_id": to_run_id}

    def _run_k(self, sync: SyncDef, run_id: int) -> int:
        k = self.run_index(sync, run_id)
        if k is None:
            raise LookupError(f"no run {run_id} in sync {sync.id}")
        return k

    # truth ----------------------------------------------------------------------------------
    def truth_syncs(self) -> list[dict]:
        return self.sync_resources()

    def truth_runs(self, sync_id: int | None = None) -> list[dict]:
        """Every run created by now, as the API serves it now (newest updated first per sync)."""
        out = []
        for sync in self._selected(sync_id):
            runs = self.runs(sync)
            out.extend(run_resource(sync, runs, int(k)) for k in self.run_order(sync))
        return out

    def truth_records(
        self, sync_id: int | None = None, run_id: int | None = None, status: str | None = None
    ) -> Iterator[dict]:
        """Every record row visible now (each under the run that owns it now)."""
        if status is not None and status not in RECORD_STATUSES:
            raise ValueError(f"status must be one of {RECORD_STATUSES}")
        for sync in self._selected(sync_id):
            runs = self.runs(sync)
            ks = range(len(runs.frame)) if run_id is None else [self.run_index(sync, run_id)]
            for k in ks:
                if k is None:
                    continue
                pos = self.record_positions(sync, k, status)
                for start in range(0, len(pos), 10_000):
                    chunk = pos[start : start + 10_000]
                    yield from record_resources(sync, runs, self.records(sync), chunk, truth=True)

    def truth_connectors(self) -> list[dict]:
        """Every connector as syncs nest it, by id."""
        return [connector_resource(c) for _, c in sorted(self.connectors.items())]

    def truth_counts(self) -> dict[str, int]:
        runs = records = failed = 0
        for sync in self.syncs.values():
            state = self.runs(sync)
            runs += len(state.frame)
            rec = self.records(sync)
            records += len(rec.row)
            failed += int((rec.failed & (state.phase[rec.run] >= SUCCESS)).sum())
        return {
            "syncs": len(self.syncs),
            "runs": runs,
            "records": records,
            "failed_records": failed,
        }

    def _selected(self, sync_id: int | None) -> list[SyncDef]:
        if sync_id is None:
            return list(self.syncs.values())
        return [self.syncs[sync_id]] if sync_id in self.syncs else []

    # service hooks --------------------------------------------------------------------------
    def router(self):  # -> Router (import cycle avoided)
        from .api import build_router

        return build_router(self)

    def add_admin_routes(self, admin) -> None:
        from .admin import add_admin_routes

        add_admin_routes(self, admin)

    def env(self, base_url: str) -> dict[str, str]:
        return {
            "SOURCES__AI_SQUARED__BASE_URL": base_url,
            "SOURCES__AI_SQUARED__API_TOKEN": self.api_token,
            "SOURCES__AI_SQUARED__WORKSPACE_ID": str(self.workspace_id),
            "SOURCES__AI_SQUARED__LOGIN_EMAIL": self.email,
            "SOURCES__AI_SQUARED__LOGIN_PASSWORD": self.password,
        }

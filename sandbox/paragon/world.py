"""ParagonWorld: connected users, their syncs' status at the clock's now, and the truth behind it.

The world keeps no per-request state: a sync's status is a function of its spec, its segments
(kind plus admin changes) and the clock, cached per (sync, now, segments version) so repeated
polls of an unchanged world cost a dict lookup and serve identical bytes.
"""

from __future__ import annotations

import threading

import orjson

from sandbox.clock import DAY, WorldClock, iso_ms
from sandbox.config import WorldConfig
from sandbox.hashing import derive
from sandbox.http import Router
from sandbox.lru import LRU
from sandbox.paragon import api
from sandbox.paragon.catalog import Catalog, SyncSpec
from sandbox.paragon.cycles import Timeline
from sandbox.paragon.history import completed_cycles, transitions
from sandbox.paragon.segments import DISABLED, ERRORED, RUNNING, Segment, append
from sandbox.paragon.status import sync_status
from sandbox.tokens import make_jwt, read_jwt

# What set_status accepts: the forced statuses, or a running one (the cycles then decide).
MODES = {
    "DISABLED": DISABLED,
    "ERRORED": ERRORED,
    "ACTIVE": RUNNING,
    "IDLE": RUNNING,
    "ENABLED": RUNNING,
    "RUNNING": RUNNING,
}
TOKEN_LIFETIME_S = 10 * 365 * DAY // 1000


class ParagonWorld:
    name = "paragon"

    def __init__(self, config: WorldConfig, clock: WorldClock) -> None:
        self.config = config
        self.clock = clock
        self.catalog = Catalog(config)
        self.project_id = self.catalog.project_id
        self.audience = f"useparagon.com/{self.project_id}"
        # The project's signing key: tests use it to mint expired or foreign tokens.
        self.signing_key = f"{derive(config.seed, 'paragon', 'signing-key'):016x}"
        self._segments: dict[str, tuple[Segment, ...]] = {}  # only syncs an admin changed
        self._versions: dict[str, int] = {}
        self._timelines: LRU[Timeline] = LRU(max(256, 2 * config.syncs))
        self._statuses: LRU[bytes] = LRU(max(256, 2 * config.syncs))
        self._lock = threading.RLock()
        issued = config.start_ms // 1000 - 3600
        self._tokens = {user: self._mint(user, issued) for user in self.catalog.users}

    # users and tokens --------------------------------------------------------------------------
    def _mint(self, user_id: str, issued_s: int) -> str:
        claims = {"sub": user_id, "aud": self.audience, "iat": issued_s}
        return make_jwt(self.signing_key, {**claims, "exp": issued_s + TOKEN_LIFETIME_S})

    def tokens(self) -> list[str]:
        """One Paragon User Token per connected user, in user order."""
        return list(self._tokens.values())

    def token_of(self, user_id: str) -> str:
        return self._tokens[user_id]

    @property
    def users(self) -> list[str]:
        return list(self.catalog.users)

    def authenticate(self, token: str | None) -> str | None:
        """The user a token belongs to; None when missing, forged, foreign or expired."""
        claims = read_jwt(self.signing_key, token) if token else None
        if not claims or claims.get("aud") != self.audience:
            return None
        exp, user = claims.get("exp"), claims.get("sub")
        if not isinstance(exp, int | float) or exp * 1000 <= self.clock.now:
            return None
        return user if user in self._tokens else None

    # syncs -------------------------------------------------------------------------------------
    def spec(self, sync_id: str) -> SyncSpec | None:
        return self.catalog.by_id.get(sync_id)

    def syncs_of(self, user_id: str, credential_id: str | None = None) -> list[SyncSpec]:
        """A user's syncs, oldest first, optionally only those of one credential."""
        specs = self.catalog.by_user.get(user_id, [])
        return [s for s in specs if credential_id is None or s.credential_id == credential_id]

    def segments(self, sync_id: str) -> tuple[Segment, ...]:
        return self._segments.get(sync_id, self.catalog.by_id[sync_id].segments)

    def timeline(self, sync_id: str) -> Timeline:
        version = self._versions.get(sync_id, 0)
        return self._timelines.get(
            (sync_id, version), lambda: Timeline(self.catalog.by_id[sync_id], self.segments(sync_id))
        )

    def status_bytes(self, sync_id: str) -> bytes:
        """The serialised SyncStatus at now, cached per (sync, now, version)."""
        now, version = self.clock.now, self._versions.get(sync_id, 0)
        return self._statuses.get(
            (sync_id, now, version), lambda: orjson.dumps(sync_status(self.timeline(sync_id), now))
        )

    def status(self, sync_id: str) -> dict:
        return orjson.loads(self.status_bytes(sync_id))

    def list_item(self, spec: SyncSpec) -> dict:
        """One GET /api/syncs entry; `reason` only when ERRORED, like the detail."""
        status = self.status(spec.id)
        item = {"id": spec.id, "integration": spec.integration, "pipeline": spec.pipeline}
        item["status"] = status["status"]
        if "reason" in status:
            item["reason"] = status["reason"]
        item["credentialId"] = spec.credential_id
        return item

    # admin -------------------------------------------------------------------------------------
    def set_status(self, sync_id: str, status: str, reason: str | None = None) -> dict:
        """Force DISABLED or ERRORED (with a reason), or resume running, from the clock's now on.

        Raises KeyError for an unknown sync and ValueError for a bad status or reason.
        """
        if sync_id not in self.catalog.by_id:
            raise KeyError(sync_id)
        mode = MODES.get(status.upper()) if isinstance(status, str) else None
        if mode is None:
            raise ValueError(f"status must be one of {', '.join(MODES)}; got {status!r}")
        if mode == ERRORED and (not isinstance(reason, str) or not reason.strip()):
            raise ValueError("reason (a non-empty string) is required when status is ERRORED")
        if mode != ERRORED and reason is not None:
            raise ValueError("reason is only allowed when status is ERRORED")
        with self._lock:
            self._segments[sync_id] = append(self.segments(sync_id), self.clock.now, mode, reason)
            self._versions[sync_id] = self._versions.get(sync_id, 0) + 1
        return self.status(sync_id)

    # truth -------------------------------------------------------------------------------------
    def truth_status(self, sync_id: str) -> dict:
        """Exactly the body GET /api/syncs/{id} serves now."""
        return self.status(sync_id)

    def truth_syncs(self) -> list[dict]:
        return [
            {
                "id": s.id,
                "user_id": s.user_id,
                "integration": s.integration,
                "pipeline": s.pipeline,
                "credential_id": s.credential_id,
                "status": self.status(s.id)["status"],
                "frequency": s.frequency,
                "kind": s.kind,
                "created_at": iso_ms(s.created_ms),
            }
            for s in self.catalog.syncs
        ]

    def truth_cycles(self, sync_id: str | None = None, until: int | None = None) -> list[dict]:
        """Completed cycles (tick 0 = the initial sync) up to min(until, now), by sync then time."""
        end = self.clock.now if until is None else min(int(until), self.clock.now)
        ids = [sync_id] if sync_id is not None else [s.id for s in self.catalog.syncs]
        return [
            {
                "sync_id": sid,
                "cycle": c.tick,
                "started_at": iso_ms(c.started_ms),
                "finished_at": iso_ms(c.finished_ms),
                "records": c.records,
                "synced_records_count": c.synced_records,
            }
            for sid in ids
            for c in completed_cycles(self.timeline(sid), end)
        ]

    def truth_transitions(self, sync_id: str) -> list[dict]:
        """Each change of (status, reason, rateLimitBackoffMs) from creation up to now."""
        out = []
        for t, state in transitions(self.timeline(sync_id), self.clock.now):
            row: dict[str, object] = {"at": iso_ms(t), "at_ms": t, "status": state.status}
            if state.reason is not None:
                row["reason"] = state.reason
            if state.backoff_ms is not None:
                row["rateLimitBackoffMs"] = state.backoff_ms
            out.append(row)
        return out

    # service hooks -----------------------------------------------------------------------------
    def router(self) -> Router:
        return api.build_router(self)

    def add_admin_routes(self, admin: Router) -> None:
        api.add_admin_routes(self, admin)

    def env(self, base_url: str) -> dict[str, str]:
        return {
            "SOURCES__PARAGON__BASE_URL": base_url,
            "SOURCES__PARAGON__USER_TOKENS": orjson.dumps(self.tokens()).decode(),
        }

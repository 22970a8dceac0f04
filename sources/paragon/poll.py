"""One pass over every connected user's syncs: list them, then read each status in parallel.

Both resources (`syncs`, `sync_status_snapshots`) read the same pass, taken once per load, so a
sync's row and its snapshot describe the same answer. Syncs still inside a rate-limit backoff
are listed but not read: Paragon asks clients to wait `rateLimitBackoffMs` before polling again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sources.concurrency import map_completed
from sources.http import NotFound
from sources.toolkit import Once, epoch_ms
from sources.validate import Shape, accept, accept_one
from sources.where import where

from .api import ParagonApi
from .tokens import VENDOR, UserToken

log = logging.getLogger("syncscope.paragon")

# A status the snapshot cannot be built from is set aside (raw_paragon._rejected); the sync is
# then treated as not read this load, so its state is kept and the next load reads it again.
STATUS_SHAPE = Shape(
    "sync_status_snapshots",
    {
        "status": "text",
        "credentialId": "text",
        "summary.totalRecords": "bigint",
        "summary.syncedRecordsCount": "bigint",
        "summary.lastSyncedAt": "timestamp",
        "summary.latestCursor": "text",
        "reason": "text",
        "rateLimitBackoffMs": "bigint",
        "incrementalAccumulatorFrequency": "text",
    },
    required=("status",),
)
LISTED_SHAPE = Shape(
    "syncs",
    dict.fromkeys(("id", "integration", "pipeline", "credentialId", "status", "reason"), "text"),
    required=("id",),
    keys=("id",),
)


@dataclass(frozen=True)
class Observation:
    """What one load learnt about one listed sync."""

    user: UserToken
    item: dict  # the GET /api/syncs entry
    listed_at: datetime
    status: dict | None = None  # the GET /api/syncs/{id} body; None when skipped or gone
    polled_at: datetime | None = None
    gone: bool = False  # listed, then 404 on its status: deleted in between

    @property
    def sync_id(self) -> str:
        return str(self.item["id"])


class Poll:
    """The load's pass, taken on first use; `backoff_until` gives epoch ms per sync to skip."""

    def __init__(
        self,
        api: ParagonApi,
        users: list[UserToken],
        workers: int,
        sync_ids: list[str] | None,
        backoff_until: Callable[[], Mapping[str, int]],
    ) -> None:
        self.api, self.users, self.workers = api, users, workers
        self.sync_ids = None if sync_ids is None else {str(s) for s in sync_ids}
        self.backoff_until = backoff_until
        self._result = Once(lambda: self._take(self.backoff_until()))

    def get(self) -> list[Observation]:
        return self._result.get()

    def _take(self, backoff_until: Mapping[str, int]) -> list[Observation]:
        listed = self._list()
        to_read = [o for o in listed if backoff_until.get(o.sync_id, 0) <= epoch_ms(o.listed_at)]
        skipped = len(listed) - len(to_read)
        if skipped:
            log.info(
                "paragon: %d rate-limited sync%s skipped until %s backoff passes",
                skipped, "s" if skipped > 1 else "", "their" if skipped > 1 else "its",
            )  # fmt: skip
        read: dict[str, Observation] = {}
        jobs = map_completed(self._read, to_read, self.workers, name="paragon_status")
        for obs, future in jobs:
            try:
                with where(sync=obs.sync_id):
                    read[obs.sync_id] = future.result()
            except NotFound:
                log.warning(
                    "paragon: sync %s of %s not found (HTTP 404): deleted after it was listed; skipped",
                    obs.sync_id, obs.user.label,
                )  # fmt: skip
                read[obs.sync_id] = Observation(obs.user, obs.item, obs.listed_at, gone=True)
        return [read.get(o.sync_id, o) for o in listed]

    def _read(self, obs: Observation) -> Observation:
        body, polled_at = self.api.sync_status(obs.user, obs.sync_id)
        status = accept_one(VENDOR, STATUS_SHAPE, body, sync_id=obs.sync_id, user_id=obs.user.user_id)
        if status is None:
            return obs  # set aside: as if not read this load
        return Observation(obs.user, obs.item, obs.listed_at, status, polled_at)

    def _list(self) -> list[Observation]:
        """Every user's syncs in token order; a sync two tokens can see counts once."""
        listings: dict[int, tuple[list[dict], datetime]] = {}
        jobs = map_completed(self.api.list_syncs, self.users, self.workers, name="paragon_list")
        for user, future in jobs:
            listings[user.index] = future.result()  # AuthError: the whole load fails, naming the token
        out: dict[str, Observation] = {}
        for user in self.users:
            items, listed_at = listings[user.index]
            for item in accept(VENDOR, LISTED_SHAPE, items, user_id=user.user_id):
                obs = Observation(user, item, listed_at)
                out.setdefault(obs.sync_id, obs)
        if self.sync_ids is not None:
            for missing in sorted(self.sync_ids - out.keys()):
                log.warning("%s: sync %s (from sources.paragon.sync_ids) not found; skipped", VENDOR, missing)
            return [o for o in out.values() if o.sync_id in self.sync_ids]
        return list(out.values())

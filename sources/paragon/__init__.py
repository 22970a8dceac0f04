"""Paragon Managed Sync telemetry: each connected user's syncs and their status snapshots.

Paragon has no run history, only the current status of a sync. Each load reads every status
once and appends a snapshot row only when the observable state moved since the last row for
that sync, so an idle sync polled every minute adds nothing, and runs can be inferred later from
consecutive rows (an advance of `last_synced_at` is a completed cycle, a move to ERRORED a
failure). Per-sync fingerprints and rate-limit backoffs live in dlt state and are committed with
the rows they describe, so a load killed mid-way and run again neither loses nor repeats a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from sources.toolkit import epoch_ms, from_epoch_ms, merged_dict_rows
from sources.where import where

from .api import ParagonApi
from .poll import Observation, Poll
from .settings import SETTINGS, ParagonSettings
from .tables import (
    SNAPSHOT_COLUMNS,
    SYNC_COLUMNS,
    fingerprint,
    snapshot_row,
    snapshot_state,
    snapshots_table,
    sync_row,
)

__all__ = ["paragon"]

SNAPSHOTS = "sync_status_snapshots"
RATE_LIMITED = "RATE_LIMITED"


@SETTINGS.source()
def paragon(settings: ParagonSettings) -> Sequence[DltResource]:
    """`syncs` and `sync_status_snapshots` of every sync the configured user tokens can list.

    One argument per setting of `ParagonSettings` (settings.py), injected by dlt from
    `sources.paragon.*`.
    """
    users = settings.users()  # AuthError when none: the runner skips Paragon
    poll = Poll(
        ParagonApi(settings.client()),
        users,
        settings.http_concurrency,
        settings.sync_ids,
        # Read when the pass is taken, by whichever resource asks first.
        lambda: dict(dlt.current.resource_state(SNAPSHOTS).get("backoff_until", {})),
    )

    @merged_dict_rows("syncs", "id", SYNC_COLUMNS)
    def syncs() -> Iterator[list[dict[str, Any]]]:
        """Each sync's latest known state, written only when it changed."""
        rows = changed_syncs(dlt.current.resource_state().setdefault("known", {}), poll.get())
        if rows:
            yield rows

    @dlt.resource(
        name=SNAPSHOTS,
        primary_key=("sync_id", "first_seen_at"),
        write_disposition="merge",  # a re-run after a crash rewrites, never repeats, a row
        columns=SNAPSHOT_COLUMNS,
    )
    def sync_status_snapshots() -> Iterator[pa.Table]:
        """A row per sync whose observable state changed since its last row."""
        rows = changed_snapshots(dlt.current.resource_state(), poll.get())
        if rows:
            yield snapshots_table(rows)

    return syncs(), sync_status_snapshots()


def changed_syncs(known: dict[str, list], observations: Iterable[Observation]) -> list[dict[str, Any]]:
    """`syncs` rows of the syncs that changed; updates `known` in place.

    `known`: id -> [fingerprint, frequency, first_seen_at ms]; entries from before the third
    field existed take the poll's time once (the best still knowable).
    """
    rows = []
    for obs in observations:
        if obs.gone:
            continue
        previous = known.get(obs.sync_id)
        first_seen = from_epoch_ms(previous[2]) if previous and len(previous) > 2 else None
        with where(sync=obs.sync_id):
            row = sync_row(obs, previous[1] if previous else None, first_seen)
        if row["status"] is None:  # status set aside and none listed: the next load tries again
            continue
        digest = fingerprint([v for k, v in row.items() if k != "first_seen_at"])
        if previous is None or previous[0] != digest:
            known[obs.sync_id] = [digest, row["frequency"], epoch_ms(row["first_seen_at"])]
            rows.append(row)
    return rows


def changed_snapshots(state: dict[str, Any], observations: Iterable[Observation]) -> list[dict[str, Any]]:
    """`sync_status_snapshots` rows of the syncs whose observable state moved; updates `state`
    in place: `last` (id -> [fingerprint, first_seen_at ms]) and `backoff_until` (id -> ms)."""
    last: dict[str, list] = state.setdefault("last", {})
    backoff_until: dict[str, int] = state.setdefault("backoff_until", {})
    rows = []
    for obs in observations:
        if obs.status is None:  # skipped for a backoff, or gone
            continue
        with where(sync=obs.sync_id):
            _note_backoff(backoff_until, obs)
            digest = fingerprint(snapshot_state(obs.status))
            previous = last.get(obs.sync_id)
            if previous is None or previous[0] != digest:
                seen_ms = _first_seen_ms(obs, previous)
                last[obs.sync_id] = [digest, seen_ms]
                rows.append(snapshot_row(obs, from_epoch_ms(seen_ms)))
    return rows


def _note_backoff(backoff_until: dict[str, int], obs: Observation) -> None:
    """Remember until when a RATE_LIMITED sync must not be read, counted from this poll."""
    assert obs.status is not None and obs.polled_at is not None
    wait_ms = obs.status.get("rateLimitBackoffMs")
    if obs.status.get("status") == RATE_LIMITED and isinstance(wait_ms, int | float) and wait_ms > 0:
        backoff_until[obs.sync_id] = epoch_ms(obs.polled_at) + int(wait_ms)
    else:
        backoff_until.pop(obs.sync_id, None)


def _first_seen_ms(obs: Observation, previous: list | None) -> int:
    """The poll time, kept 1 ms past the sync's previous row when the vendor clock did not move
    on (two loads within one second of `Date`): keys stay unique and in order, no state is lost."""
    assert obs.polled_at is not None
    polled = epoch_ms(obs.polled_at)
    return polled if previous is None else max(polled, int(previous[1]) + 1)

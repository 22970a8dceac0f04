"""Timbal sync telemetry: sync configuration history, status snapshots, and every run seen.

Timbal has no run-history endpoint: a sync's detail shows its stats rollup and only its newest
few runs (`recent_runs`). So each load is a poll: list the org's syncs, fetch every detail, and
keep what changed since the last poll:

* `syncs` — configuration with history (dlt `scd2`): a change of enabled, interval, cursor
  column, destination table or name closes the old version and opens a new one, valid from the
  poll time. A sync missing from a poll's list is closed (deleted). With `connector_ids`, only
  syncs of those connectors can be closed; other connectors' versions stay as they are.
* `sync_snapshots` — stats rollup and freshness per sync, one row per poll that changed any of it,
  keyed (sync_id, polled_at).
* `sync_runs` — every run ever seen in `recent_runs`, merged on `job_id`, so a run seen running
  and later completed ends as one row with its final values.

History coverage: runs that started and left the recent window between two polls are never
seen. `stats.runs_total` of the newest snapshot minus the sync's rows in `sync_runs` is the number
of runs missed (`marts.history_coverage` reports it); poll more often than a sync's
interval x the window size to miss none.

Per-load state (dlt resource state, committed with the load package, so a crashed load
repeats cleanly): the last config fingerprint and boundary (`syncs`), a hash of each sync's last
snapshot (`sync_snapshots`), and a hash of each run in each sync's current window (`sync_runs`).
An unchanged world therefore loads no rows at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from sources.toolkit import BATCH_ROWS
from sources.where import rows_to, where

from .api import TimbalApi
from .poll import Detail, Poll
from .settings import SETTINGS, TimbalSettings
from .tables import (
    SNAPSHOT_COLUMNS,
    SYNC_COLUMNS,
    config_row,
    digest,
    run_row,
    runs_table,
    snapshot_hash,
    snapshot_row,
    snapshots_table,
    syncs_table,
    typed_snapshot,
)

SCD2: dict[str, Any] = {"disposition": "merge", "strategy": "scd2", "row_version_column_name": "config_hash"}


@SETTINGS.source(max_table_nesting=0)
def timbal(settings: TimbalSettings) -> Sequence[DltResource]:
    """syncs (scd2), sync_snapshots and sync_runs of one Timbal org.

    One argument per setting of `TimbalSettings` (settings.py), injected by dlt from
    `sources.timbal.*`; `connector_ids` narrows to those connectors' syncs (one list call each);
    default: every sync the API key can list.
    """
    api = TimbalApi(settings.client(), settings.org_id)
    poll = Poll(api, settings.connector_ids, settings.http_concurrency)
    scope = destination_scope(settings.connector_ids)

    @dlt.resource(name="syncs", write_disposition=SCD2, columns=SYNC_COLUMNS)
    def syncs() -> Iterator[Any]:
        """Every listed sync's configuration, when the listed set differs from the last load's.

        scd2 compares the load with the open versions: a listed sync with a new `config_hash`
        opens a version, an open version absent from the load (within `scope`) is closed. So the
        whole list goes in every time something changed, and nothing when nothing did.
        """
        listing = poll.listing()
        rows = [config_row(s) for s in listing.syncs]
        state = dlt.current.resource_state()
        listed = digest([scope, sorted(r["config_hash"] for r in rows)])
        if state.get("listed") == listed:
            return
        # Versions must not run backwards if the vendor's clock (or ours, as fallback) does.
        last = state.get("boundary")
        boundary = max(listing.polled_at, datetime.fromisoformat(last)) if last else listing.polled_at
        state["listed"], state["boundary"] = listed, boundary.isoformat()
        if rows:
            hints = {**SCD2, "boundary_timestamp": boundary, "destination_scope": scope}
            yield dlt.mark.with_hints(syncs_table(rows), dlt.mark.make_hints(write_disposition=hints))

    @dlt.resource(
        name="sync_snapshots",
        primary_key=("sync_id", "polled_at"),
        write_disposition="merge",
        columns=SNAPSHOT_COLUMNS,
    )
    def sync_snapshots() -> Iterator[pa.Table]:
        """A row per sync whose stats or freshness changed since its last snapshot."""
        hashes: dict[str, str] = dlt.current.resource_state().setdefault("hashes", {})
        changed = changed_snapshots(hashes, poll.details())
        _forget_unlisted(hashes, poll)
        if changed:
            yield snapshots_table(changed)

    @dlt.resource(name="sync_runs", primary_key="job_id", write_disposition="merge")
    def sync_runs() -> Iterator[pa.Table]:
        """Runs of each recent window that are new or changed since the last load saw them.

        A run only ever leaves the window (newer runs push it out), so remembering the current
        window's run hashes per sync is enough to skip every unchanged run, with bounded state.
        """
        recent: dict[str, dict[str, str]] = dlt.current.resource_state().setdefault("recent", {})
        batch: list[dict] = []
        for detail in poll.details():
            with where(sync=detail.sync_id):
                batch.extend(changed_runs(recent, detail))
            if len(batch) >= BATCH_ROWS:
                yield rows_to(runs_table, batch, "sync_id", "job_id")
                batch = []
        _forget_unlisted(recent, poll)
        if batch:
            yield rows_to(runs_table, batch, "sync_id", "job_id")

    return syncs(), sync_snapshots(), sync_runs()


def changed_snapshots(hashes: dict[str, str], details: Iterable[Detail]) -> list[dict[str, Any]]:
    """Snapshot rows of the syncs whose stats or freshness changed; updates `hashes` (sync id ->
    snapshot hash) in place."""
    changed = []
    for detail in details:
        with where(sync=detail.sync_id):
            row = snapshot_row(detail.view, detail.stats, detail.polled_at)
            row["sync_id"] = detail.sync_id
            fingerprint = snapshot_hash(row)
            if hashes.get(detail.sync_id) != fingerprint:
                hashes[detail.sync_id] = fingerprint
                changed.append(typed_snapshot(row))
    return changed


def changed_runs(recent: dict[str, dict[str, str]], detail: Detail) -> list[dict[str, Any]]:
    """Rows of the detail's recent runs that are new or changed; `recent[sync id]` becomes the
    window's run hashes (job id -> hash), so runs pushed out of the window are forgotten."""
    # "" is a job id like any other (the spec requires the field, with no minimum length)
    runs = [r for r in detail.recent_runs if isinstance(r, dict) and r.get("job_id") is not None]
    window = {str(r["job_id"]): digest(r) for r in runs}
    known = recent.get(detail.sync_id, {})
    recent[detail.sync_id] = window
    return [
        run_row(r, detail.sync_id) for r in runs if known.get(str(r["job_id"])) != window[str(r["job_id"])]
    ]


def destination_scope(connectors: list[str] | None) -> str:
    """The `syncs` rows a load may close: all (TRUE), or those of the configured connectors.

    dlt keeps this hint in the stored schema, so it is set on every load, TRUE included: a full
    load after a narrowed one must again close deleted syncs of every connector.
    """
    if connectors is None:
        return "TRUE"
    quoted = ", ".join(
        "'" + c.replace("'", "''").replace("{", "{{").replace("}", "}}") + "'" for c in connectors
    )
    return f"{{table}}.connector_id IN ({quoted})"


def _forget_unlisted(per_sync: dict[str, Any], poll: Poll) -> None:
    """Drop state of syncs a full list no longer shows (deleted); a narrowed list proves nothing."""
    if poll.narrowed:
        return
    listed = {s["id"] for s in poll.listing().syncs}
    for sync_id in [s for s in per_sync if s not in listed]:
        del per_sync[sync_id]

"""AI Squared (Multiwoven) sync telemetry: syncs, their runs and the runs' records.

Incremental per sync: runs come newest `updated_at` first, so each load pages until it reaches
the last load's cursor minus a lookback window, and a run that changed since (finished, moved
on a phase) is back on page 1 by itself; no extra request chases unfinished runs. Records are
fetched once per run, when it is first seen terminal.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from sources.columns import json_hints
from sources.concurrency import map_completed
from sources.http import NotFound
from sources.toolkit import BATCH_ROWS, iso_ms, merged_dict_rows
from sources.where import rows_to, where

from .api import AiSquaredApi
from .deletions import DELETED_COLUMNS, deletion_rows
from .incremental import advance, pending_runs, runs_needing_records, sync_digests, typed_sync
from .listing import Listing, digest
from .records import record_batches
from .settings import SETTINGS, AiSquaredSettings
from .tables import RECORD_KINDS, SYNC_COLUMNS, records_table, runs_table

log = logging.getLogger("syncscope.ai_squared")


@SETTINGS.source(max_table_nesting=1)
def ai_squared(settings: AiSquaredSettings) -> Sequence[DltResource]:
    """Syncs, sync_runs and sync_records of one AI Squared workspace.

    One argument per setting of `AiSquaredSettings` (settings.py), injected by dlt from
    `sources.ai_squared.*`; `records_mode` "failed" (default; what monitoring needs), "all" or
    "none"; `sync_ids` only these syncs (default: every sync the credentials can list).
    """
    client = settings.client()
    api = AiSquaredApi(client, settings.runs_per_page, settings.records_per_page)
    lookback_ms = settings.lookback_ms

    def known() -> set[int]:
        """Syncs loaded before and not recorded deleted: the ones a listing must account for."""
        loaded = sync_digests(dlt.current.resource_state("syncs"))
        deleted = dlt.current.resource_state("deleted_syncs").get("deleted", {})
        return {int(i) for i in loaded if i not in deleted}

    listing = Listing(api, settings.sync_ids, known)

    @merged_dict_rows("syncs", "id", SYNC_COLUMNS)
    def syncs() -> Iterator[list[dict]]:
        seen = sync_digests(dlt.current.resource_state())
        changed = []
        for sync in listing.syncs():
            fingerprint = digest(sync)
            if seen.get(str(sync["id"])) != fingerprint:
                seen[str(sync["id"])] = fingerprint
                with where(sync=sync["id"]):
                    changed.append(typed_sync(sync))
        if changed:
            yield changed

    @merged_dict_rows("deleted_syncs", "id", DELETED_COLUMNS)
    def deleted_syncs() -> Iterator[list[dict]]:
        """Syncs the server answers 404 for, from the load that first met the 404."""
        if settings.sync_ids is not None:
            return  # a narrowed load neither asks for nor proves anything about the others
        deleted = dlt.current.resource_state().setdefault("deleted", {})
        listed = [s["id"] for s in listing.syncs()]
        rows = deletion_rows(deleted, listing.gone(), listed, datetime.now(UTC))
        if rows:
            yield rows

    @dlt.resource(name="sync_runs", primary_key="id", write_disposition="merge")
    def sync_runs() -> Iterator[pa.Table]:
        listed = listing.syncs()  # every sync, changed or not: starting a run need not touch the sync
        state = dlt.current.resource_state()
        cursors: dict[str, int] = state.setdefault("cursors", {})
        recent: dict[str, dict[str, int]] = state.setdefault("recent", {})
        thresholds = {
            sync["id"]: None if (c := cursors.get(str(sync["id"]))) is None else c - lookback_ms
            for sync in listed
        }
        batch: list[dict] = []
        seen_now: dict[str, dict[str, int]] = {}
        crawl = map_completed(
            lambda sid: api.runs_since(sid, thresholds[sid]),
            thresholds,
            settings.http_concurrency,
            name="ai_sq_runs",
        )
        for sync_id, job in crawl:
            try:
                with where(sync=sync_id):
                    runs = job.result()
            except NotFound:
                log.warning("ai_squared: sync %s not found (HTTP 404); skipped", sync_id)
                continue
            versions = {str(r["id"]): iso_ms(r["updated_at"]) for r in runs}
            known = recent.get(str(sync_id), {})
            batch.extend(r for r in runs if known.get(str(r["id"])) != versions[str(r["id"])])
            seen_now[str(sync_id)] = versions
            if len(batch) >= BATCH_ROWS:
                yield rows_to(runs_table, batch, "sync_id", "id")
                advance(cursors, recent, seen_now, lookback_ms)
                batch, seen_now = [], {}
        batch.extend(pending_runs(api, dlt.current.resource_state("sync_records"), batch))
        if batch:
            yield rows_to(runs_table, batch, "sync_id", "id")
        advance(cursors, recent, seen_now, lookback_ms)

    @dlt.transformer(
        name="sync_records",
        primary_key=("sync_run_id", "id"),
        write_disposition="merge",
        columns=json_hints(RECORD_KINDS),
    )
    def sync_records(runs: pa.Table) -> Iterator[pa.Table]:
        state = dlt.current.resource_state()
        wanted = runs_needing_records(runs, settings.records_mode, state.setdefault("done", {}))
        status = "failed" if settings.records_mode == "failed" else None

        def pages_of(job: tuple[int, int, int]) -> Iterator[pa.Table]:
            # Arrow per page, in the worker: a tenth of the memory of dicts, off the main thread.
            return (records_table(page) for page in api.record_pages(job[0], job[1], status) if page)

        yield from record_batches(pages_of, wanted, settings.http_concurrency, state, lookback_ms)

    runs = sync_runs()
    return syncs(), deleted_syncs(), runs, runs | sync_records

"""AI Squared (Multiwoven) sync telemetry: syncs, their runs and the runs' records.

Incremental per sync: runs come newest `updated_at` first, so each load pages until it reaches
the last load's cursor minus a lookback window, and a run that changed since (finished, moved
on a phase) is back on page 1 by itself; no extra request chases unfinished runs. Records are
fetched once per run, when it is first seen terminal.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import dlt
import pyarrow as pa
from dlt.common.typing import TSecretStrValue
from dlt.sources import DltResource

from sources.concurrency import map_completed
from sources.http import ConfigError, NotFound, RetryPolicy, VendorClient

from .api import TERMINAL, AiSquaredApi, to_ms
from .auth import VENDOR, AiSquaredAuth
from .deletions import DELETED_COLUMNS, deletion_rows
from .tables import records_table, runs_table

log = logging.getLogger("syncscope.ai_squared")
RECORD_MODES = ("failed", "all", "none")
BATCH_ROWS = 20_000  # runs per yielded table: big enough for Arrow, small enough for memory


@dlt.source(name="ai_squared", max_table_nesting=1)
def ai_squared(
    base_url: str = dlt.config.value,
    api_token: TSecretStrValue | None = None,
    login_email: str | None = None,
    login_password: TSecretStrValue | None = None,
    workspace_id: str | None = None,
    sync_ids: list[int] | None = None,
    records_mode: str = "failed",
    runs_per_page: int = 500,
    records_per_page: int = 1000,
    http_concurrency: int = 8,
    lookback_seconds: int = 900,
    timeout_seconds: float = 30.0,
    max_attempts: int = 6,
) -> Sequence[DltResource]:
    """Syncs, sync_runs and sync_records of one AI Squared workspace.

    Args:
        records_mode: "failed" (default; what monitoring needs), "all" or "none".
        sync_ids: only these syncs (default: every sync the credentials can list).
        lookback_seconds: how far behind the last cursor each load re-reads, for runs updated
            while the previous load was paging.
    """
    if records_mode not in RECORD_MODES:
        raise ConfigError(
            VENDOR, f"records_mode must be one of {', '.join(RECORD_MODES)}, not {records_mode!r}"
        )
    headers = {"Workspace-Id": str(workspace_id)} if workspace_id else {}
    client = VendorClient(
        VENDOR,
        base_url,
        auth=AiSquaredAuth(api_token, login_email, login_password),
        headers=headers,
        timeout_s=timeout_seconds,
        max_connections=http_concurrency,
        retry=RetryPolicy(attempts=max_attempts),
        token_setting="sources.ai_squared.api_token (or login_email + login_password)",
    )
    api = AiSquaredApi(client, runs_per_page, records_per_page)
    lookback_ms = lookback_seconds * 1000

    listing = _Listing(api, sync_ids)

    @dlt.resource(name="syncs", primary_key="id", write_disposition="merge")
    def syncs() -> Iterator[list[dict]]:
        seen: dict[str, str] = dlt.current.resource_state().setdefault("updated_at", {})
        changed = [dict(s) for s in listing.get() if seen.get(str(s["id"])) != s["updated_at"]]
        for sync in changed:
            seen[str(sync["id"])] = sync["updated_at"]
            for name in ("created_at", "updated_at"):
                sync[name] = datetime.fromisoformat(sync[name])
        if changed:
            yield changed

    @dlt.resource(name="deleted_syncs", primary_key="id", write_disposition="merge", columns=DELETED_COLUMNS)
    def deleted_syncs() -> Iterator[list[dict]]:
        """Syncs a full listing stopped showing, from the load that first missed them."""
        if sync_ids is not None:
            return  # a narrowed listing proves nothing about the syncs it left out
        listed = [s["id"] for s in listing.get()]
        # Every sync `syncs` ever loaded (its state keeps each one's updated_at).
        loaded = dlt.current.resource_state("syncs").get("updated_at", {})
        deleted = dlt.current.resource_state().setdefault("deleted", {})
        rows = deletion_rows(loaded, deleted, listed, datetime.now(UTC))
        if rows:
            yield rows

    @dlt.resource(name="sync_runs", primary_key="id", write_disposition="merge")
    def sync_runs() -> Iterator[pa.Table]:
        listed = listing.get()  # every sync, changed or not: starting a run need not touch the sync
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
            lambda sid: api.runs_since(sid, thresholds[sid]), thresholds, http_concurrency, name="ai_sq_runs"
        )
        for sync_id, job in crawl:
            try:
                runs = job.result()
            except NotFound:
                log.warning("ai_squared: sync %s not found (HTTP 404); skipped", sync_id)
                continue
            versions = {str(r["id"]): to_ms(r["updated_at"]) for r in runs}
            known = recent.get(str(sync_id), {})
            batch.extend(r for r in runs if known.get(str(r["id"])) != versions[str(r["id"])])
            seen_now[str(sync_id)] = versions
            if len(batch) >= BATCH_ROWS:
                yield runs_table(batch)
                _advance(cursors, recent, seen_now, lookback_ms)
                batch, seen_now = [], {}
        if batch:
            yield runs_table(batch)
        _advance(cursors, recent, seen_now, lookback_ms)

    @dlt.transformer(
        name="sync_records",
        primary_key=("sync_run_id", "id"),
        write_disposition="merge",
        columns={"record": {"data_type": "json"}, "logs": {"data_type": "json"}},
    )
    def sync_records(runs: pa.Table) -> Iterator[pa.Table]:
        done: dict[str, dict[str, int]] = dlt.current.resource_state().setdefault("done", {})
        wanted = _runs_needing_records(runs, records_mode, done)
        status = "failed" if records_mode == "failed" else None

        def fetch(job: tuple[int, int, int]) -> list[pa.Table]:
            # Arrow per page, in the worker: a tenth of the memory of dicts, off the main thread.
            return [records_table(page) for page in api.record_pages(job[0], job[1], status) if page]

        batch: list[pa.Table] = []
        finished: list[tuple[int, int, int]] = []
        for job, future in map_completed(fetch, wanted, http_concurrency, name="ai_sq_records"):
            try:
                batch.extend(future.result())
            except NotFound:
                log.warning("ai_squared: run %s of sync %s not found (HTTP 404); skipped", job[1], job[0])
            finished.append(job)
            if sum(t.num_rows for t in batch) >= BATCH_ROWS:
                yield pa.concat_tables(batch, promote_options="permissive")
                _mark_done(done, finished, lookback_ms)
                batch, finished = [], []
        if batch:
            yield pa.concat_tables(batch, promote_options="permissive")
        _mark_done(done, finished, lookback_ms)

    runs = sync_runs()
    return syncs(), deleted_syncs(), runs, runs | sync_records


class _Listing:
    """The workspace's syncs, listed once per load and shared by the resources that need them."""

    def __init__(self, api: AiSquaredApi, sync_ids: list[int] | None) -> None:
        self.api, self.sync_ids = api, sync_ids
        self._syncs: list[dict] | None = None
        self._lock = threading.Lock()

    def get(self) -> list[dict]:
        with self._lock:
            if self._syncs is None:
                self._syncs = self._list()
            return self._syncs

    def _list(self) -> list[dict]:
        listed = self.api.syncs()
        if self.sync_ids is None:
            return listed
        wanted = set(self.sync_ids)
        for missing in sorted(wanted - {s["id"] for s in listed}):
            log.warning("ai_squared: sync %s (from sources.ai_squared.sync_ids) not found; skipped", missing)
        return [s for s in listed if s["id"] in wanted]


def _advance(
    cursors: dict[str, int],
    recent: dict[str, dict[str, int]],
    seen: dict[str, dict[str, int]],
    lookback_ms: int,
) -> None:
    """Move each sync's cursor to the newest run seen, and remember the runs a later load will
    page over again (inside the lookback window) so unchanged ones are not loaded twice."""
    for sync_id, versions in seen.items():
        if not versions:
            continue
        cursor = max(max(versions.values()), cursors.get(sync_id, 0))
        cursors[sync_id] = cursor
        window = {**recent.get(sync_id, {}), **versions}
        recent[sync_id] = {r: u for r, u in window.items() if u >= cursor - lookback_ms}


def _runs_needing_records(
    runs: pa.Table, mode: str, done: dict[str, dict[str, int]]
) -> list[tuple[int, int, int]]:
    """(sync, run, updated ms) of terminal runs with records to fetch that were not fetched yet."""
    if mode == "none" or runs.num_rows == 0:
        return []
    counter = "failed_rows" if mode == "failed" else "total_rows"
    columns = runs.select(["sync_id", "id", "status", counter, "updated_at"]).to_pydict()
    out = []
    for sync_id, run_id, status, count, updated in zip(*columns.values(), strict=True):
        if status in TERMINAL and count and str(run_id) not in done.get(str(sync_id), {}):
            out.append((sync_id, run_id, int(updated.timestamp() * 1000)))
    return out


def _mark_done(
    done: dict[str, dict[str, int]], finished: list[tuple[int, int, int]], lookback_ms: int
) -> None:
    """Remember fetched runs while a later load could still page over them, and no longer."""
    touched = set()
    for sync_id, run_id, updated in finished:
        done.setdefault(str(sync_id), {})[str(run_id)] = updated
        touched.add(str(sync_id))
    for sync_id in touched:
        runs = done[sync_id]
        horizon = max(runs.values()) - 2 * lookback_ms
        for run_id in [r for r, u in runs.items() if u < horizon]:
            del runs[run_id]

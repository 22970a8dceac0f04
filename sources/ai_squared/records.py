"""The records hand-over: runs' record pages to dlt one page at a time, runs marked done after their last.

A run's records are read page by page (`links.next`); handing a run over only once all its pages
are read held every page of up to 2 x http_concurrency runs at once, so memory grew with the
records per run (bench/RESULTS.md, 4b). Here each page goes on as soon as it is read and the
in-flight window bounds pages, not runs. A run is marked done (incremental.py) only once the
batch holding its last page has been yielded, i.e. dlt took it: a load stopped before then asks
for the run again next time (its pages already loaded merge onto themselves).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

import pyarrow as pa

from sources.concurrency import stream_completed
from sources.http import NotFound
from sources.toolkit import BATCH_ROWS
from sources.where import where

from .incremental import mark_done

log = logging.getLogger("syncscope.ai_squared")

Job = tuple[int, int, int]  # (sync id, run id, run updated_at ms)


def record_batches(
    pages_of: Callable[[Job], Iterable[pa.Table]],
    wanted: list[Job],
    workers: int,
    state: dict,
    lookback_ms: int,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[pa.Table]:
    """Tables of about `batch_rows` records of the `wanted` runs, read by `pages_of(job)` on
    `workers` threads; `state` is the `sync_records` resource state (`done`, `pending`)."""
    done: dict[str, dict[str, int]] = state.setdefault("done", {})
    pending: dict[str, dict[str, int]] = state.setdefault("pending", {})
    batch: list[pa.Table] = []
    batched = 0  # rows in `batch`, kept as it grows (summing it per page would be quadratic)
    finished: list[Job] = []  # runs whose last page is in `batch` (or that had none)
    # window = workers: at most 2 x workers pages read and not yet in `batch` (the queue, plus one
    # per worker waiting for room), no more than map_completed held when each run was one page.
    for job, part in stream_completed(pages_of, wanted, workers, window=workers, name="ai_sq_records"):
        try:
            with where(sync=job[0], run=job[1]):
                page = part.result()
        except NotFound:
            # Marked done only when fetched: a transient 404 must not lose them for good.
            log.warning("ai_squared: run %s of sync %s: records 404; asked next load", job[1], job[0])
            pending.setdefault(str(job[0]), {})[str(job[1])] = job[2]
            continue
        if part.last:
            pending.get(str(job[0]), {}).pop(str(job[1]), None)
            finished.append(job)
            continue
        batch.append(page)
        batched += page.num_rows
        if batched >= batch_rows:
            yield pa.concat_tables(batch, promote_options="permissive")
            batch, batched = [], 0
            mark_done(done, finished, lookback_ms)  # after the yield: dlt has the last pages
            finished = []
    if batch:
        yield pa.concat_tables(batch, promote_options="permissive")
    mark_done(done, finished, lookback_ms)
    for sync_id in [s for s, runs in pending.items() if not runs]:
        del pending[sync_id]

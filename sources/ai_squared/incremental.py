"""What an AI Squared load remembers between loads, and the decisions taken from it.

State per resource (dlt resource state, kept in the warehouse too):
- `syncs.digests`: sync id -> content digest of the sync as last loaded;
- `sync_runs.cursors`: sync id -> newest run `updated_at` (ms) loaded; `sync_runs.recent`: runs
  inside the lookback window with their `updated_at`, so a re-read window loads no run twice;
- `sync_records.done`: runs whose records were fetched (pruned past twice the lookback);
  `sync_records.pending`: runs whose records fetch met a 404, asked again next load;
- `deleted_syncs.deleted`: sync id -> ms the 404 was first met.
"""

from __future__ import annotations

import logging

import pyarrow as pa
import pyarrow.compute as pc

from sources.exact_json import unknown_as_text
from sources.toolkit import parse_timestamp

from .api import AiSquaredApi

log = logging.getLogger("syncscope.ai_squared")

# Runs that can hold records whatever their counters say: the server writes counters only on
# success (VENDORS.md, verified), so a failed or canceled run shows 0 with failed records.
UNCOUNTED_TERMINAL = frozenset({"failed", "canceled"})


def sync_digests(syncs_state: dict) -> dict[str, str]:
    """The `syncs` resource's digests (sync id -> content digest): every sync loaded so far.

    Versions before content digests kept `updated_at` per sync instead; those syncs are taken
    over with an empty digest (reloaded once). Whichever resource reads first migrates.
    """
    digests: dict[str, str] = syncs_state.setdefault("digests", {})
    for sync_id in syncs_state.pop("updated_at", {}):
        digests.setdefault(sync_id, "")
    return digests


# The sync attributes of Multiwoven's serializer (VENDORS.md); others follow the unknown-property
# rule (README): their exact JSON text.
SYNC_ATTRIBUTES = frozenset(
    {
        "id", "source_id", "destination_id", "model_id", "schedule_type", "sync_mode", "sync_interval",
        "sync_interval_unit", "cron_expression", "stream_name", "status", "created_at", "updated_at",
        "source", "destination", "name",
    }
)  # fmt: skip


def typed_sync(sync: dict) -> dict:
    """A copy with its own timestamps as datetimes (nested connectors keep their text)."""
    row = unknown_as_text(sync, SYNC_ATTRIBUTES)
    for name in ("created_at", "updated_at"):
        if row.get(name) is not None:
            row[name] = parse_timestamp(row[name])
    return row


def advance(
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


def runs_needing_records(
    runs: pa.Table, mode: str, done: dict[str, dict[str, int]]
) -> list[tuple[int, int, int]]:
    """(sync, run, updated ms) of terminal runs whose records are wanted and not fetched yet.

    Failed and canceled runs always (their counters stay 0 whatever they hold); succeeded runs
    when their counter says there is something of the wanted kind.
    """
    if mode == "none" or runs.num_rows == 0:
        return []
    counter = "failed_rows" if mode == "failed" else "total_rows"
    status = runs["status"]
    # Filtered in Arrow first: most runs of a big load are not wanted, and turning every run into
    # Python values showed in profiles of full loads (bench/RESULTS.md). A null never matches.
    wanted = pc.or_kleene(
        pc.is_in(status, pa.array(sorted(UNCOUNTED_TERMINAL))),
        pc.and_kleene(pc.equal(status, "success"), pc.not_equal(runs[counter], 0)),
    )
    picked = runs.filter(wanted)
    columns = picked.select(["sync_id", "id"]).to_pydict()
    # Epoch ms from Arrow's microseconds, not through a Python datetime: an RFC 3339 offset can
    # name an instant past 9999-12-31 or before year 1, which `datetime` cannot hold.
    micros = picked.column("updated_at").cast(pa.int64()).to_pylist()
    out = []
    for sync_id, run_id, updated in zip(*columns.values(), micros, strict=True):
        if str(run_id) not in done.get(str(sync_id), {}):
            out.append((sync_id, run_id, updated // 1000))
    return out


def mark_done(
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


def pending_runs(api: AiSquaredApi, records_state: dict, batch: list[dict]) -> list[dict]:
    """Runs whose records a 404 kept from an earlier load, fetched again so their records are
    asked for again; a run that is gone (404 itself) is dropped from the pending list."""
    pending: dict[str, dict[str, int]] = records_state.get("pending", {})
    in_batch = {(str(r["sync_id"]), str(r["id"])) for r in batch}
    out = []
    for sync_id, runs in pending.items():
        for run_id in list(runs):
            if (sync_id, run_id) in in_batch:
                continue
            run = api.run(int(sync_id), int(run_id))
            if run is None:  # 404, or set aside (raw_ai_squared._rejected says why)
                log.warning("ai_squared: run %s of sync %s is gone; its records are dropped", run_id, sync_id)
                del runs[run_id]
            else:
                out.append(run)
    return out

"""JSON:API resources exactly as the AI Squared server renders them."""

from __future__ import annotations

import numpy as np

from sandbox.clock import iso_ms
from sandbox.hashing import derive, uniforms
from sandbox.messages import FIRST_NAMES, LAST_NAMES, REGIONS, ascii_slug, record_error, run_error

from .model import (
    FAIL,
    IN_PROGRESS,
    QUEUED,
    RECORD_ID_STRIDE,
    STARTED,
    STATUSES,
    SUCCESS,
    RecordState,
    RunState,
    record_hashes,
)
from .syncs import SyncDef

COMPANIES = ("Acme GmbH", "Société Générale de Test", "北京数据有限公司", "Initech", "Núcleo Ltda.")
PLANS = ("free", "pro", "enterprise")


def run_resource(sync: SyncDef, runs: RunState, k: int) -> dict:
    f = runs.frame
    phase = int(runs.phase[k])
    terminal = phase >= SUCCESS
    total, failed = int(runs.total_rows[k]), int(runs.failed_rows[k])
    test_run = uniforms(derive(sync.key, "test_run"), k) < 0.03
    attributes = {
        "sync_id": sync.id,
        "status": STATUSES[phase],
        "sync_run_type": "test" if test_run else "general",
        "started_at": iso_ms(f.started[k]) if phase >= STARTED else None,
        "finished_at": iso_ms(f.finished[k]) if terminal else None,
        "duration": (int(f.finished[k]) - int(f.started[k])) / 1000 if terminal else None,
        "total_query_rows": int(runs.total_query_rows[k]) if phase >= QUEUED else 0,
        "skipped_rows": int(runs.skipped_rows[k]) if phase >= QUEUED else 0,
        "total_rows": total if phase >= IN_PROGRESS else 0,
        "successful_rows": total - failed if terminal else 0,
        "failed_rows": failed if terminal else 0,
        "error": run_error(sync.key, k, float(f.message_u[k])) if phase == FAIL else None,
        "created_at": iso_ms(f.created[k]),
        "updated_at": iso_ms(runs.updated[k]),
    }
    return {"id": str(int(runs.run_ids[k])), "type": "sync_runs", "attributes": attributes}


def sync_resource(sync: SyncDef, status: str, updated_ms: int) -> dict:
    attributes = {
        **sync.attributes,
        "status": status,
        "created_at": iso_ms(sync.profile.created_ms),
        "updated_at": iso_ms(updated_ms),
    }
    return {"id": str(sync.id), "type": "syncs", "attributes": attributes}


def record_resources(sync: SyncDef, runs: RunState, records: RecordState, idx: np.ndarray) -> list[dict]:
    """Resources for the records at positions `idx` of `records`."""
    rows, owners = records.row[idx], records.run[idx]
    ident = record_hashes(sync.key, rows, np.zeros_like(rows), 4)
    version = record_hashes(sync.key, rows, owners, 4)
    err_u = uniforms(derive(sync.key, "record_error"), rows)
    out = []
    for j, i in enumerate(idx.tolist()):
        row, owner = int(rows[j]), int(owners[j])
        terminal = runs.phase[owner] >= SUCCESS
        failed = terminal and bool(records.failed[i])
        status = ("failed" if failed else "success") if terminal else "pending"
        error = record_error(sync.key, row * 64 + owner % 64, float(err_u[j])) if failed else None
        out.append(
            {
                "id": str(sync.id * RECORD_ID_STRIDE + row + 1),
                "type": "sync_records",
                "attributes": {
                    "sync_id": sync.id,
                    "sync_run_id": int(runs.run_ids[owner]),
                    "record": _record(sync.record_fields, row, ident[j], version[j]),
                    "status": status,
                    "action": "destination_insert" if records.inserted_by_owner[i] else "destination_update",
                    "error": error,
                    "logs": _logs(error, row) if failed else None,
                    "created_at": iso_ms(records.created[i]),
                    "updated_at": iso_ms(records.updated[i]),
                },
            }
        )
    return out


def _record(fields: tuple[str, ...], row: int, ident: np.ndarray, version: np.ndarray) -> dict:
    """The source row: identity fields follow the row, the rest change with each rewrite."""
    h = [int(x) for x in ident]
    v = [int(x) for x in version]
    first, last = FIRST_NAMES[h[0] % len(FIRST_NAMES)], LAST_NAMES[h[1] % len(LAST_NAMES)]
    values = {
        "id": 1000 + row,
        "email_address": f"{ascii_slug(first)}.{ascii_slug(last)}{row}@example.com",
        "first_name": first,
        "last_name": last,
        "phone_number": 15_550_000_000 + h[2] % 10_000_000,
        "state": REGIONS[h[3] % len(REGIONS)],
        "company": COMPANIES[h[3] % len(COMPANIES)],
        "amount": (v[0] % 10_000_000) / 100,
        "plan": PLANS[v[1] % len(PLANS)],
        "is_active": bool(v[2] & 1),
        "score": v[3] % 100,
    }
    return {name: values[name] for name in fields}


def _logs(error: str | None, row: int) -> dict:
    return {
        "level": "error",
        "request": {"method": "POST", "path": f"/records/{1000 + row}"},
        "response": {"status": 400, "body": error},
    }

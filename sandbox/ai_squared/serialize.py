"""JSON:API resources exactly as the AI Squared server renders them."""

from __future__ import annotations

import numpy as np
import orjson

from sandbox.clock import iso_ms
from sandbox.hashing import derive, uniforms
from sandbox.messages import FIRST_NAMES, LAST_NAMES, REGIONS, ascii_slug, run_error

from .logs import error_message, record_logs
from .model import (
    FAIL,
    QUEUED,
    RECORD_ID_STRIDE,
    STARTED,
    STATUSES,
    SUCCESS,
    RecordState,
    RunState,
    record_hashes,
)
from .syncs import BIG_INT_FIELDS, WORKSPACE_ID, Connector, SyncDef

COMPANIES = ("Acme GmbH", "Société Générale de Test", "北京数据有限公司", "Initech", "Núcleo Ltda.")
PLANS = ("free", "pro", "enterprise")
DESCRIPTIONS = ("Production", "Owned by RevOps", "Nightly exports — équipe data", "Managed by the data team")


def run_resource(sync: SyncDef, runs: RunState, k: int) -> dict:
    """A run as the server stores it: the reporter writes `finished_at` and the record counters
    only when the run succeeds; a failed or canceled run keeps them null and 0 (its end time is
    its `updated_at`). The query counters are written by the extractor, whatever the outcome."""
    f = runs.frame
    phase = int(runs.phase[k])
    done = phase == SUCCESS
    total, failed = int(runs.total_rows[k]), int(runs.failed_rows[k])
    test_run = uniforms(derive(sync.key, "test_run"), k) < 0.03
    attributes = {
        "sync_id": sync.id,
        "status": STATUSES[phase],
        "sync_run_type": "test" if test_run else "general",
        "started_at": iso_ms(f.started[k]) if phase >= STARTED else None,
        "finished_at": iso_ms(f.finished[k]) if done else None,
        "duration": (int(f.finished[k]) - int(f.started[k])) / 1000 if done else None,
        "total_query_rows": int(runs.total_query_rows[k]) if phase >= QUEUED else 0,
        "skipped_rows": int(runs.skipped_rows[k]) if phase >= QUEUED else 0,
        "total_rows": total if done else 0,
        "successful_rows": total - failed if done else 0,
        "failed_rows": failed if done else 0,
        "error": run_error(sync.key, k, float(f.message_u[k])) if phase == FAIL else None,
        "created_at": iso_ms(f.created[k]),
        "updated_at": iso_ms(runs.updated[k]),
    }
    return {"id": str(int(runs.run_ids[k])), "type": "sync_runs", "attributes": attributes}


def sync_resource(sync: SyncDef, status: str, updated_ms: int, connectors: dict[int, Connector]) -> dict:
    attributes = {
        **sync.attributes,
        "status": status,
        "created_at": iso_ms(sync.profile.created_ms),
        "updated_at": iso_ms(updated_ms),
        "source": connector_resource(connectors[sync.attributes["source_id"]]),
        "destination": connector_resource(connectors[sync.attributes["destination_id"]]),
    }
    return {"id": str(sync.id), "type": "syncs", "attributes": attributes}


def connector_resource(connector: Connector) -> dict:
    """The connector nested in a sync, as ConnectorSerializer renders it (configuration left out)."""
    return {
        "id": connector.id,
        "name": connector.name,
        "description": DESCRIPTIONS[connector.id % len(DESCRIPTIONS)],
        "connector_type": connector.connector_type,
        "workspace_id": WORKSPACE_ID,
        "created_at": iso_ms(connector.created_ms),
        "updated_at": iso_ms(connector.updated_ms),
        "connector_name": connector.kind,
        "icon": f"{ascii_slug(connector.kind)}.svg",
    }


class BigInt(int):
    """An integer beyond 64 bits: orjson cannot emit it, so `dumps` writes its digits itself."""


def _exact(obj: object) -> orjson.Fragment:
    if isinstance(obj, BigInt):
        return orjson.Fragment(str(int(obj)).encode())
    raise TypeError(f"cannot serialize {type(obj).__name__}")


def dumps(payload: object) -> bytes:
    """JSON bytes with every integer exact, however many bits it has."""
    return orjson.dumps(payload, default=_exact, option=orjson.OPT_PASSTHROUGH_SUBCLASS)


def record_resources(
    sync: SyncDef, runs: RunState, records: RecordState, idx: np.ndarray, truth: bool = False
) -> list[dict]:
    """Resources for the records at positions `idx` of `records`.

    With `truth`, each also carries `truth`: the error message its `logs` hold when it failed,
    and the exact JSON literal of each big-integer or decimal-string value of its `record`.
    """
    rows, owners = records.row[idx], records.run[idx]
    ident = record_hashes(sync.key, rows, np.zeros_like(rows), 4)
    version = record_hashes(sync.key, rows, owners, 4)
    out = []
    for j, i in enumerate(idx.tolist()):
        row, owner, log_run = int(rows[j]), int(owners[j]), int(records.log_run[i])
        logs = record_logs(sync, row, log_run, bool(records.log_failed[i])) if log_run >= 0 else None
        terminal = runs.phase[owner] >= SUCCESS
        failed = terminal and bool(records.failed[i])
        status = ("failed" if failed else "success") if terminal else "pending"
        body = _record(sync, row, ident[j], version[j])
        resource = {
            "id": str(sync.id * RECORD_ID_STRIDE + row + 1),
            "type": "sync_records",
            "attributes": {
                "sync_id": sync.id,
                "sync_run_id": int(runs.run_ids[owner]),
                "record": body,
                "status": status,
                "action": "destination_insert" if records.inserted_by_owner[i] else "destination_update",
                "logs": logs,
                "created_at": iso_ms(records.created[i]),
                "updated_at": iso_ms(records.updated[i]),
            },
        }
        if truth:
            resource["truth"] = {
                "error_message": error_message(sync, row, log_run) if failed else None,
                "exact": {k: _literal(body[k]) for k in sync.exact_fields},
            }
        out.append(resource)
    return out


def _literal(value: object) -> str:
    return value if isinstance(value, str) else str(int(value))


def _record(sync: SyncDef, row: int, ident: np.ndarray, version: np.ndarray) -> dict:
    """The source row: identity fields follow the row, the rest change with each rewrite.

    Big-integer fields hold 70-bit values and decimal fields strings with 18 fractional digits,
    as a connector reading NUMERIC columns sends them; which ones a sync has depends on the sync.
    """
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
    out = {name: values[name] for name in sync.record_fields}
    for n, name in enumerate(sync.exact_fields):
        v = int(version[n % 4]) ^ int(ident[(n + 1) % 4])
        if name in BIG_INT_FIELDS:
            out[name] = BigInt((1 << 69) + v % (1 << 64) * 16 + row % 16)
        else:
            out[name] = f"{v % 1_000_000}.{(v >> 20) % 10**18:018d}"
    return out

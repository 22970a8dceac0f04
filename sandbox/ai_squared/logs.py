"""A sync record's `logs`: what the destination answered to the write that last touched the row.

Multiwoven's loader stores the parsed log message of the destination connector: for a record
written on its own, `{"request": <text>, "response": <text>, "level": "error"|"info"}` where
request and response are the connector's strings (usually JSON text); for a record written in a
batch, `{"request": <reason>, "level": "error"}` on failure and nothing on success; when the write
raised, `{"error_message": <text>, "stack_trace": [...]}`. There is no `error` attribute, so the
error message sits in one of these places (README, "Sync record logs"):

- `logs.error_message` when present;
- else the JSON text `logs.response`: its `message` (an object) or each element's `message`
  (an array, Salesforce style; the sandbox sends one element);
- else `logs.request` (the batch reason, plain text).
"""

from __future__ import annotations

import orjson

from sandbox.hashing import derive, uniform
from sandbox.messages import record_error

from .syncs import SyncDef

BATCH_DESTINATIONS = ("Google Sheets", "Klaviyo")  # written in batches: no per-record response
RAISED_SHARE = 0.1  # failed per-record writes whose connector raised instead of answering
HOSTS = {
    "Salesforce": "example.my.salesforce.com/services/data/v59.0/sobjects/Contact",
    "Hubspot": "api.hubapi.com/crm/v3/objects/contacts",
    "Zendesk": "example.zendesk.com/api/v2/users/create_or_update",
    "Slack": "slack.com/api/chat.postMessage",
}
STACK = [
    "lib/reverse_etl/loaders/standard.rb:71:in 'block in process_individual_records'",
    "lib/multiwoven/integrations/core/http_client.rb:24:in 'request'",
]


def _write_key(row: int, run: int) -> int:
    return row * 64 + run % 64


def error_message(sync: SyncDef, row: int, run: int) -> str:
    """The destination's message for the failed write of `row` by run index `run`."""
    u = uniform(derive(sync.key, "record_error"), row)
    return record_error(sync.key, _write_key(row, run), u)


def record_logs(sync: SyncDef, row: int, run: int, failed: bool) -> dict | None:
    """`logs` after run index `run` wrote `row` (None: nothing logged for that write)."""
    kind = sync.destination_kind
    batch = kind in BATCH_DESTINATIONS
    if not failed:
        if batch:
            return None
        answer = {"id": f"{derive(sync.key, 'dest_id', row) % 16**12:012x}", "success": True}
        return _exchange(kind, row, [answer] if kind == "Salesforce" else answer, "info")
    message = error_message(sync, row, run)
    if batch:
        return {"request": message, "level": "error"}
    if uniform(derive(sync.key, "raised"), _write_key(row, run)) < RAISED_SHARE:
        return {"error_message": message, "stack_trace": STACK}
    if kind == "Salesforce":
        answer: object = [{"message": message, "errorCode": "INVALID_FIELD", "fields": []}]
    else:
        answer = {"status": "error", "message": message, "category": "VALIDATION_ERROR"}
    return _exchange(kind, row, answer, "error")


def _exchange(kind: str, row: int, response: object, level: str) -> dict:
    request = {"method": "POST", "url": f"https://{HOSTS.get(kind, 'api.example.com/v1/records')}"}
    request["body"] = {"external_id": 1000 + row}
    return {
        "request": orjson.dumps(request).decode(),
        "response": orjson.dumps(response).decode(),
        "level": level,
    }

"""The ten cases of issue 19, and those found beyond them, as explicit spec worlds (each
spec-valid: the server checks).

Built by hand around one plain world per vendor, so each case changes only what it is about.
Case 6 (the error line) and case 8 (marts over counters near the int64 maximum) need more than a
load and have their own tests in test_conformance.py; their worlds are here too.
"""

from __future__ import annotations

from typing import Any

from .worlds import AiSquaredWorld, ParagonWorld, TimbalWorld

T0 = "2026-11-18T11:06:40.123Z"
T1 = "2026-11-18T11:16:40.456Z"
INT64_MAX = 2**63 - 1


def aisq_run(run_id: int, sync_id: int = 7, **attrs: Any) -> dict:
    attributes = {
        "sync_id": sync_id, "status": "failed", "started_at": T0, "finished_at": None, "duration": None,
        "total_query_rows": 3, "skipped_rows": 0, "total_rows": 0, "successful_rows": 0, "failed_rows": 0,
        "error": None, "created_at": T0, "updated_at": T1,
    }  # fmt: skip
    return {"id": str(run_id), "type": "sync_runs", "attributes": {**attributes, **attrs}}


def aisq_record(record_id: int, run_id: int, sync_id: int = 7, **attrs: Any) -> dict:
    attributes = {
        "sync_id": sync_id, "sync_run_id": run_id, "record": {"id": record_id, "email_address": "a@b.c"},
        "status": "failed", "action": "destination_insert", "logs": {"level": "error"},
        "created_at": T0, "updated_at": T1,
    }  # fmt: skip
    return {"id": str(record_id), "type": "sync_records", "attributes": {**attributes, **attrs}}


def aisq_world(runs: list[dict], records: list[dict] = (), **sync_attrs: Any) -> AiSquaredWorld:
    sync_id = 7
    connector = {"id": 1, "name": "Postgres", "connector_type": "source"}
    attributes = {
        "created_at": T0, "updated_at": T1, "source_id": 1, "destination_id": 2, "model_id": 3,
        "schedule_type": "interval", "sync_mode": "incremental", "sync_interval": 1,
        "sync_interval_unit": "hours", "stream_name": "users", "status": "healthy",
        "source": connector, "destination": {**connector, "id": 2, "connector_type": "destination"},
    }  # fmt: skip
    sync = {"id": str(sync_id), "type": "syncs", "attributes": {**attributes, **sync_attrs}}
    by_run: dict[tuple[int, int], list[dict]] = {(sync_id, int(r["id"])): [] for r in runs}
    for record in records:
        by_run[(sync_id, record["attributes"]["sync_run_id"])].append(record)
    return AiSquaredWorld([sync], {sync_id: runs}, by_run)


def timbal_run(job_id: str, **fields: Any) -> dict:
    run = {
        "job_id": job_id, "state": "completed", "rows_emitted": 10, "created_at": T0, "started_at": T0,
        "finished_at": T1, "duration_ms": 600_333, "rows_per_sec": 0.5, "message": None,
    }  # fmt: skip
    return {**run, **fields}


def timbal_world(runs: list[dict], stats: dict | None = None, **view_fields: Any) -> TimbalWorld:
    view = {
        "id": "sync_1", "connector_id": "conn_1", "source_kind": "postgres", "connection_ref": "pg",
        "source_schema": "public", "source_table": "users", "cursor_column": "updated_at", "kb_uid": "kb",
        "dest_table": "users", "interval_secs": 600, "enabled": True, "has_cursor": True,
        "created_at": T0, "updated_at": T1, "name": "Users", "last_run_at": T1, "last_state": "completed",
        "last_success_at": T1, "seconds_since_success": 5,
    }  # fmt: skip
    stats = stats or {"runs_total": 2, "runs_completed": 2, "runs_failed": 0, "rows_total": 20}
    return TimbalWorld("org_1", [{"sync": {**view, **view_fields}, "stats": stats, "recent_runs": runs}])


def paragon_world(**status_fields: Any) -> ParagonWorld:
    status = {
        "status": "IDLE", "credentialId": "cred-1",
        "summary": {"totalRecords": 10, "syncedRecordsCount": 10, "lastSyncedAt": T1, "latestCursor": "c1"},
    }  # fmt: skip
    status.update(status_fields)
    item = {"id": "sync-1", "integration": "salesforce", "pipeline": "contacts", "status": status["status"]}
    return ParagonWorld([item], {"sync-1": status})


def _without_parent_ids() -> AiSquaredWorld:
    """A run without `sync_id` and a record without `sync_id`/`sync_run_id`: the excerpts make
    every attribute optional."""
    run, record = aisq_run(1), aisq_record(10, 1)
    del run["attributes"]["sync_id"], record["attributes"]["sync_id"], record["attributes"]["sync_run_id"]
    world = aisq_world([run])
    world.records[(7, 1)].append(record)
    return world


NS = "2026-11-18T11:06:40.123456789Z"  # a Go or Rust service prints nanoseconds
LOWER = "2026-11-18t11:06:40.5z"

AI_SQUARED = {
    "1 fraction digits 7-9": aisq_world(
        [aisq_run(1, started_at=NS, created_at="2026-11-18T11:06:40.1234567Z",
                  updated_at="2026-11-18T11:16:40.12345678+01:00")],
        [aisq_record(10, 1, created_at=NS)],
    ),
    "2 unknown property {}": aisq_world([aisq_run(1, x_extra={})], [aisq_record(10, 1, x_extra={})]),
    "3 unknown property of mixed types": aisq_world(
        [aisq_run(1, x_mixed=1, x_list=[1]), aisq_run(2, x_mixed="a", x_list=2)],
        [aisq_record(10, 1, x_mixed=1), aisq_record(11, 1, x_mixed="a")],
    ),
    "4 whole numbers past 2^53 in a number": aisq_world(
        [aisq_run(1, status="success", duration=2**53 + 1), aisq_run(2, status="success", duration=10**20)]
    ),
    "5 lower-case t and z": aisq_world(
        [aisq_run(1, started_at=LOWER, created_at=LOWER, updated_at=LOWER)],
        [aisq_record(10, 1, created_at=LOWER, updated_at=LOWER)],
        created_at=LOWER, updated_at=LOWER,
    ),
    "7 integers past 64 bits in a record": aisq_world(
        [aisq_run(1)],
        [aisq_record(10, 1, record={"id": 2**64 + 1, "phone_number": -(2**70), "x": [2**65]},
                     logs={"n": 2**80})],
    ),
    "9 NUL characters": aisq_world(
        [aisq_run(1, error="bad\x00value", status="failed")],
        [aisq_record(10, 1, status="fa\x00iled", record={"id": 1, "state": "\x00"})],
        stream_name="users\x00v2",
    ),
    "parent ids left out (taken from the URL)": _without_parent_ids(),
    "instants before year 1 and after 9999": aisq_world(
        [aisq_run(1, started_at="0001-01-01T00:30:00+01:00", updated_at="9999-12-31T23:00:00.5-02:00")]
    ),
    "unknown properties named '' and 'Status'": aisq_world(
        [aisq_run(1, **{"": 0, "Status": "other", "a b": [1]})], [aisq_record(10, 1, **{"": "v", "ID": 3})]
    ),
}  # fmt: skip
TIMBAL = {
    "1 fraction digits 7-9": timbal_world(
        [timbal_run("j1", created_at=NS, started_at="2026-11-18T11:06:40.1234567Z")],
        created_at=NS, last_run_at=NS,
    ),
    "2 unknown property {}": timbal_world([timbal_run("j1", x_extra={})], x_extra={}),
    "3 unknown property of mixed types": timbal_world(
        [timbal_run("j1", x_mixed=1, x_list=[1]), timbal_run("j2", x_mixed="a", x_list=2)]
    ),
    "4 whole numbers past 2^53 in a number": timbal_world(
        [timbal_run("j1", rows_per_sec=2**53 + 1), timbal_run("j2", rows_per_sec=10**20)]
    ),
    "5 lower-case t and z": timbal_world(
        [timbal_run("j1", created_at=LOWER, started_at=LOWER, finished_at=LOWER)],
        created_at=LOWER, updated_at=LOWER, last_run_at=LOWER, last_success_at=LOWER,
    ),
    "9 NUL characters": timbal_world(
        [timbal_run("j\x001", message="a\x00b")], name="Users\x00", last_state="com\x00pleted"
    ),
    "10 empty job_id": timbal_world([timbal_run(""), timbal_run("j2")]),
    "instants before year 1 and after 9999": timbal_world(
        [timbal_run("j1", started_at="0001-01-01T00:30:00+01:00")], last_run_at="9999-12-31T23:00:00-02:00",
        created_at="0001-01-01T00:30:00+01:00",
    ),
    "one unknown name in the view and the stats": timbal_world(
        [], stats={"runs_total": 1, "runs_completed": 1, "runs_failed": 0, "rows_total": 2, "x_same": 1},
        x_same="a",
    ),
    "a view property named like a stats column": timbal_world(
        [], stats={"runs_total": 1, "runs_completed": 1, "runs_failed": 0, "rows_total": 2, "x": {}},
        runs_total="view's",
    ),
    "unknown properties named '' and 'Name'": timbal_world(
        [timbal_run("j1", **{"": 0, "STATE": "x"})], **{"": 1, "Name": "other"}
    ),
}  # fmt: skip
PARAGON = {
    "1 fraction digits 7-9": paragon_world(
        summary={"totalRecords": 1, "syncedRecordsCount": 1, "lastSyncedAt": NS}
    ),
    "5 lower-case t and z": paragon_world(
        summary={"totalRecords": 1, "syncedRecordsCount": 1, "lastSyncedAt": LOWER}
    ),
    "9 NUL characters": paragon_world(
        status="ERRORED", reason="Credential\x00gone", credentialId="cred\x00",
        summary={"totalRecords": 1, "syncedRecordsCount": 0, "latestCursor": "\x00"},
    ),
    "instants after 9999": paragon_world(
        summary={"totalRecords": 1, "syncedRecordsCount": 1, "lastSyncedAt": "9999-12-31T23:00:00-02:00"}
    ),
}  # fmt: skip

# Case 8: counters near the int64 maximum on one sync and day.
OVERFLOW = aisq_world(
    [
        aisq_run(1, status="success", total_rows=INT64_MAX, successful_rows=INT64_MAX,
                 total_query_rows=INT64_MAX, finished_at=T1, duration=600.333),
        aisq_run(2, status="success", total_rows=INT64_MAX - 1, successful_rows=INT64_MAX - 1,
                 total_query_rows=INT64_MAX, finished_at=T1, duration=600.0),
    ]
)  # fmt: skip

"""JSON shapes of the Timbal API (SyncView, SyncRunView, SyncDetailRes) and of the truth.

Kept in one place so the API and the truth endpoints serve the very same dicts: a test that
compares the warehouse with the truth compares it with what the API said.

Timestamps: UTC ISO-8601 with milliseconds and `Z` (`iso_ms`); the world's times are integer
milliseconds, and `duration_ms` = finished_at - started_at holds exactly with this precision.
"""

from __future__ import annotations

from sandbox.clock import SECOND, iso_ms
from sandbox.hashing import derive
from sandbox.messages import run_error
from sandbox.timbal.catalog import SyncSetup
from sandbox.timbal.runs import (
    CANCELLED_STATE,
    FAILED_STATE,
    STATES,
    TIMED_OUT,
    RunTable,
    Summary,
)
from sandbox.timbal.settings import Settings

CANCEL_MESSAGE = "cancelled by user"


def _iso(ms: int | None) -> str | None:
    return None if ms is None else iso_ms(ms)


def config_view(setup: SyncSetup, settings: Settings) -> dict[str, object]:
    """The configuration fields of a SyncView (what `update_sync` and versions deal in)."""
    connector = setup.connector
    return {
        "id": setup.id,
        "connector_id": connector.id,
        "name": settings.name,
        "source_kind": connector.source_kind,
        "connection_ref": connector.connection_ref,
        "source_schema": connector.source_schema,
        "source_table": setup.source_table,
        "cursor_column": settings.cursor_column,
        "kb_uid": setup.kb_uid,
        "dest_table": settings.dest_table,
        "interval_secs": settings.interval_secs,
        "enabled": settings.enabled,
        "created_at": iso_ms(setup.profile.created_ms),
        "updated_at": iso_ms(settings.updated_ms),
    }


def sync_view(setup: SyncSetup, settings: Settings, summary: Summary, now: int) -> dict[str, object]:
    """SyncView: configuration plus freshness derived from the runs."""
    since = None
    if summary.last_success_ms is not None:
        since = (now - summary.last_success_ms) // SECOND
    return {
        **config_view(setup, settings),
        "has_cursor": summary.has_cursor,
        "last_run_at": _iso(summary.last_run_ms),
        "last_state": summary.last_state,
        "last_success_at": _iso(summary.last_success_ms),
        "seconds_since_success": since,
    }


def _message(setup: SyncSetup, k: int, state: int, message_u: float) -> str | None:
    if state in (FAILED_STATE, TIMED_OUT):
        return run_error(derive(setup.key, "message"), k, message_u)
    if state == CANCELLED_STATE:
        return CANCEL_MESSAGE
    return None


def run_views(setup: SyncSetup, table: RunTable, positions: list[int]) -> list[dict[str, object]]:
    """SyncRunView of the runs at `positions` of `table`, in that order."""
    f, now = table.frame, table.now
    out = []
    for p in positions:
        k = int(f.index[p])
        state = int(table.state[p])
        started, finished = int(f.started[p]), int(f.finished[p])
        has_started, has_finished = now >= started, now >= finished
        duration = finished - started if has_finished else None
        rows = int(table.rows[p])
        out.append(
            {
                "job_id": f"job_{derive(setup.key, 'job', k):016x}",
                "state": STATES[state],
                "created_at": iso_ms(int(f.created[p])),
                "started_at": iso_ms(started) if has_started else None,
                "finished_at": iso_ms(finished) if has_finished else None,
                "duration_ms": duration,
                "rows_emitted": rows,
                "rows_per_sec": round(rows / (duration / 1000), 3) if duration else None,
                "message": _message(setup, k, state, float(f.message_u[p])),
            }
        )
    return out

"""Alert state in the warehouse, schema `alerts`: open/resolved incidents and every attempt.

`alerts.incidents` is what is wrong (one row per occurrence of a vendor:sync:rule breach);
`alerts.notifications` is what each destination was told. What to send is always derived from
the two (transitions.py), never kept in memory between runs, so a restart, a second machine on
the same warehouse or a re-run at the same as_of sends nothing twice. Attempts are written
ahead (`pending`) and committed before any request; the outcome is written after. A run killed
in between leaves `pending` rows that the next run marks `interrupted` and sends again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from pipelines.alerts.rules import RULES, Breach
from pipelines.warehouse_reads import rows_of, tables_present

DDL = (
    "create schema if not exists alerts",
    "create sequence if not exists alerts.notification_ids",
    """create table if not exists alerts.incidents (
        incident_id varchar primary key,  -- dedup_key@since
        dedup_key varchar not null,       -- vendor:sync_id:rule
        vendor varchar not null,
        sync_id varchar not null,
        sync_name varchar,
        rule varchar not null,
        severity varchar not null,
        opened_as varchar not null,       -- trigger | escalate
        status varchar not null,          -- open | resolved
        since timestamptz not null,       -- as_of of the first evaluation that saw the breach
        resolved_at timestamptz,          -- as_of of the first evaluation that no longer did
        value double,                     -- the latest measured value and its limit
        threshold double,
        reason varchar,
        last_notified_at timestamptz      -- as_of of the newest delivered notification
    )""",
    """create table if not exists alerts.notifications (
        notification_id bigint primary key default nextval('alerts.notification_ids'),
        message_id varchar not null,      -- one message per destination per run
        recorded_at timestamptz not null, -- wall clock of the write-ahead
        as_of timestamptz not null,
        destination varchar not null,     -- slack | pagerduty | webhook
        transition varchar not null,      -- trigger | escalate | remind | resolve
        dedup_key varchar not null,
        incident_id varchar not null,
        outcome varchar not null,         -- pending | sent | failed | interrupted
        http_status integer,
        attempts integer,
        error varchar,
        finished_at timestamptz
    )""",
)


def now() -> datetime:
    return datetime.now(UTC)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)


def has_state(con: duckdb.DuckDBPyConnection) -> bool:
    return tables_present(con, "alerts", ("incidents", "notifications")) == 2


def open_incidents(con: duckdb.DuckDBPyConnection) -> list[dict]:
    if not has_state(con):
        return []
    return rows_of(con, "select * from alerts.incidents where status = 'open' order by dedup_key")


def mark_interrupted(con: duckdb.DuckDBPyConnection) -> int:
    """Attempts a killed run recorded but never finished: sent again by this run."""
    return con.execute(
        "update alerts.notifications set outcome = 'interrupted', finished_at = ? where outcome = 'pending'",
        [now()],
    ).fetchone()[0]


def _rank(rule: str) -> int:
    return RULES.index(rule)


def apply(
    con: duckdb.DuckDBPyConnection, as_of: datetime, breaches: list[Breach], muted: set[tuple[str, str]]
) -> None:
    """Open incidents for new breaches, refresh open ones, resolve those no longer breaching
    (a muted sync's incidents stay as they are until the mute ends). Idempotent per as_of."""
    current = {i["dedup_key"]: i for i in open_incidents(con)}
    seen = {b.key for b in breaches}
    for breach in breaches:
        if breach.key in current:
            con.execute(
                "update alerts.incidents set value = ?, threshold = ?, reason = ?, sync_name = ? "
                "where incident_id = ?",
                [breach.value, breach.threshold, breach.reason, breach.sync_name,
                 current[breach.key]["incident_id"]],
            )  # fmt: skip
            continue
        milder_open = any(
            (i["vendor"], i["sync_id"]) == (breach.vendor, breach.sync_id)
            and _rank(i["rule"]) > _rank(breach.rule)
            for i in current.values()
        )
        con.execute(
            "insert into alerts.incidents values (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, null, ?, ?, ?, null)",
            [f"{breach.key}@{as_of.isoformat()}", breach.key, breach.vendor, breach.sync_id, breach.sync_name,
             breach.rule, breach.severity, "escalate" if milder_open else "trigger", as_of, breach.value,
             breach.threshold, breach.reason],
        )  # fmt: skip
    for key, incident in current.items():
        if key not in seen and (incident["vendor"], incident["sync_id"]) not in muted:
            con.execute(
                "update alerts.incidents set status = 'resolved', resolved_at = ? where incident_id = ?",
                [as_of, incident["incident_id"]],
            )


def record(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> list[int]:
    """Write-ahead: (message_id, as_of, destination, transition, dedup_key, incident_id) as pending."""
    ids = []
    stamp = now()
    for message_id, as_of, destination, transition, dedup_key, incident_id in rows:
        ids.append(
            con.execute(
                "insert into alerts.notifications (message_id, recorded_at, as_of, destination, transition, "
                "dedup_key, incident_id, outcome) values (?, ?, ?, ?, ?, ?, ?, 'pending') "
                "returning notification_id",
                [message_id, stamp, as_of, destination, transition, dedup_key, incident_id],
            ).fetchone()[0]
        )
    return ids


def finish(
    con: duckdb.DuckDBPyConnection, ids: list[int], outcome: str, status: int | None, tries: int, error: str
) -> None:
    for notification_id in ids:
        con.execute(
            "update alerts.notifications set outcome = ?, http_status = ?, attempts = ?, error = ?, "
            "finished_at = ? where notification_id = ?",
            [outcome, status, tries, error or None, now(), notification_id],
        )
    if outcome == "sent" and ids:
        con.execute(
            "update alerts.incidents as i set last_notified_at = n.as_of from alerts.notifications as n "
            "where n.incident_id = i.incident_id and n.notification_id in (select unnest(?))",
            [ids],
        )

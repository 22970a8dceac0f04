"""Open incidents for `syncscope report` and the HTML page: what on-call has been told is wrong."""

from __future__ import annotations

from html import escape
from pathlib import Path

import duckdb

from pipelines.alerts.rules import RULES

OPEN_SQL = """
select vendor, sync_id, sync_name, rule, severity, since, reason, last_notified_at
from alerts.incidents where status = 'open'
order by list_position(?, rule), since, vendor, sync_id
"""


def open_incidents(db: Path) -> list[dict]:
    """Open incidents, worst rule first, then oldest; [] when alerts never ran on this warehouse."""
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        found = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'alerts' and table_name = 'incidents'"
        ).fetchone()[0]
        if not found:
            return []
        relation = con.execute(OPEN_SQL, [list(RULES)])
        names = [d[0] for d in relation.description]
        return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


def lines(incidents: list[dict], limit: int | None = None) -> list[str]:
    """`[critical] ai_squared/12 (orders) failing_streak since 2026-11-20 12:00: <reason>`, capped."""
    out = [f"{len(incidents)} open incident{'s' * (len(incidents) != 1)} (syncscope alert):"]
    for i in incidents[:limit]:
        name = f" ({i['sync_name']})" if i["sync_name"] and i["sync_name"] != i["sync_id"] else ""
        out.append(f"  [{i['severity']}] {i['vendor']}/{i['sync_id']}{name} {i['rule']} "
                   f"since {i['since']:%Y-%m-%d %H:%M}: {i['reason']}")  # fmt: skip
    if limit is not None and len(incidents) > limit:
        out.append(f"  … and {len(incidents) - limit} more")
    return out


def html_table(incidents: list[dict]) -> str:
    rows = []
    for i in incidents:
        cells = (
            f"<span class='badge'>{escape(i['severity'])}</span>",
            escape(i["vendor"]),
            f"{escape(i['sync_name'] or i['sync_id'])}<small>{escape(i['sync_id'])}</small>",
            f"<code>{escape(i['rule'])}</code>",
            f"{i['since']:%Y-%m-%d %H:%M}",
            escape(i["reason"] or ""),
        )
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("severity", "vendor", "sync", "rule", "since (UTC)", "why"))
    return f"<table class='incidents'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

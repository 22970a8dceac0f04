"""The HTML report's anomalies (marts.sync_anomalies): read them, table the newest, mark their days.

Kept apart from html_report.py so the page module stays one job per part; everything read from
the warehouse is escaped here, as there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html import escape

import duckdb

TOP = 20  # rows in the table

SQL = """select a.vendor, a.sync_id, coalesce(s.sync_name, a.sync_id) as sync_name, a.metric,
        a.point, a.point_at, a.run_id is null as is_day, a.direction, a.z_score, a.explanation
    from marts.sync_anomalies as a left join marts.syncs as s using (vendor, sync_id)
    where a.point_at > {window} and a.point_at <= (select as_of from marts.as_of)
    order by a.point_at desc, a.vendor, a.sync_id, a.metric"""


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def load(con: duckdb.DuckDBPyConnection, window: str) -> tuple[list[dict], dict[str, dict[date, list[str]]]]:
    """The newest anomalies since `window` (an SQL time), and all of them as chart marks:
    vendor -> day -> "sync: sentence" (a day point on its own day, a run on the day it ended).
    A warehouse built before the mart existed has none."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'sync_anomalies'"
    ).fetchone()[0]
    if not exists:
        return [], {}
    relation = con.execute(SQL.format(window=window))
    names = [d[0] for d in relation.description]
    rows = [dict(zip(names, row, strict=True)) for row in relation.fetchall()]
    marks: dict[str, dict[date, list[str]]] = {}
    for r in rows:
        day = date.fromisoformat(r["point"]) if r["is_day"] else r["point_at"].date()
        marks.setdefault(r["vendor"], {}).setdefault(day, []).append(f"{r['sync_name']}: {r['explanation']}")
    return rows[:TOP], marks


def table(rows: list[dict], vendor_name: Callable[[str], str], window_days: int) -> str:
    """The newest anomalies: when, which sync, and the sentence that explains each."""
    if not rows:
        return f"<p class='empty-note'>No anomaly in the last {window_days} days.</p>"
    body = "".join(
        f"<tr><td class='num'>{r['point_at']:%Y-%m-%d %H:%M}</td>"
        f"<td class='vendor'>{e(vendor_name(r['vendor']))}</td>"
        f"<td class='name'>{e(r['sync_name'])}<small>{e(r['sync_id'])}</small></td>"
        f"<td><span class='badge {e(r['direction'])}'>{e(r['direction'])}</span></td>"
        f"<td>{e(r['explanation'])}<small>{e(r['metric'])} · {e(r['point'])}</small></td></tr>"
        for r in rows
    )
    return (
        "<table class='anomalies'><thead><tr><th class='num'>when (UTC)</th><th>vendor</th><th>sync</th>"
        f"<th></th><th>what</th></tr></thead><tbody>{body}</tbody></table>"
    )

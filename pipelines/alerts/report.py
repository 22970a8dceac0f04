"""Open incidents for `syncscope report` and the HTML page: what on-call has been told is wrong,
as lines and as a table (read by pipelines/warehouse_reads.open_incidents)."""

from __future__ import annotations

from html import escape


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

"""The terminal report: every sync's health, worst first, coloured by health (read by
pipelines/warehouse_reads.py; this module only renders)."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipelines.alerts.report import lines as incident_lines
from pipelines.alerts.rules import RULES
from pipelines.terminal import plain
from pipelines.warehouse_reads import SEVERITY, load_health, open_incidents, readable, recent_anomalies

COLOURS = {"failing": "bold red", "stale": "yellow", "degraded": "dark_orange", "healthy": "green",
           "disabled": "dim"}  # fmt: skip


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def seconds_text(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}s"


def console() -> Console:
    """Rich's own width on a terminal; a wide fixed one in logs and pipes, so nothing is cut."""
    return Console() if sys.stdout.isatty() else Console(width=150, no_color=True)


def render(db: Path, console: Console, limit: int | None = None) -> None:
    db = readable(db)  # one file for health, incidents and anomalies (the published copy while held)
    rows = load_health(db)
    if not rows:
        console.print("No syncs in the warehouse yet: run `syncscope run` (or `syncscope demo`).")
        return
    as_of = rows[0]["as_of"]
    counts = {h: sum(r["health"] == h for r in rows) for h in SEVERITY}
    summary = "  ".join(f"[{COLOURS[h]}]{n} {h}[/]" for h, n in counts.items() if n)
    console.print(f"[bold]{len(rows)} syncs[/] as of {as_of:%Y-%m-%d %H:%M:%S} UTC: {summary}")
    table = Table(show_lines=False, header_style="bold")
    for column in ("health", "vendor", "sync", "ok 7d", "ok 30d", "runs 7d", "last success", "streak",
                   "p50", "p95", "anom 24h"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("health", "vendor", "sync") else "right",
                         no_wrap=column != "sync", overflow="fold")  # fmt: skip
    for row in rows[:limit]:
        colour = COLOURS.get(row["health"], "")
        table.add_row(  # vendor text as Text: rich never parses it as markup
            Text(plain(row["health"]), style=colour),
            Text(plain(row["vendor"])),
            Text(plain(row["sync_name"] or row["sync_id"])[:60]),
            percent(row["success_rate_7d"]),
            percent(row["success_rate_30d"]),
            str(row["runs_7d"]),
            age(row["seconds_since_success"]) + (" ago" if row["seconds_since_success"] is not None else ""),
            str(row["consecutive_failures"]),
            seconds_text(row["duration_p50_s"]),
            seconds_text(row["duration_p95_s"]),
            str(row.get("open_anomalies", 0) or "·"),
        )
    console.print(table)
    if limit is not None and len(rows) > limit:
        console.print(f"… and {len(rows) - limit} more (syncscope report --all)")
    incidents = open_incidents(db, RULES)
    if incidents:
        console.print(
            "\n".join(incident_lines(incidents, limit)), markup=False, highlight=False, soft_wrap=True
        )
    anomalies = recent_anomalies(db)
    if anomalies:
        console.print(f"[bold]{len(anomalies)} anomalies in the last 24 h[/], newest first:")
        for vendor, sync_id, explanation, point_at in anomalies[:10]:
            console.print(f"  {point_at:%m-%d %H:%M} {vendor}/{sync_id}: {explanation}", markup=False)

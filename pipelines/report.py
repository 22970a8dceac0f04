"""The terminal report: every sync's health, worst first, coloured by health."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipelines.publish import BI_FILE, default_directory
from pipelines.terminal import plain
from pipelines.warehouse import WarehouseHeld, connect

log = logging.getLogger("syncscope.report")

SEVERITY = {"failing": 0, "stale": 1, "degraded": 2, "healthy": 3, "disabled": 4}
COLOURS = {"failing": "bold red", "stale": "yellow", "degraded": "dark_orange", "healthy": "green",
           "disabled": "dim"}  # fmt: skip


class WarehouseUnreadable(Exception):
    """The marts cannot be read (held by a writer, or never built); the message is one line."""


def open_incidents(db: Path) -> list[dict]:
    from pipelines.alerts.report import open_incidents as read  # alerts import this module

    return read(db)


def incident_lines(incidents: list[dict], limit: int | None) -> list[str]:
    from pipelines.alerts.report import lines

    return lines(incidents, limit)


def load_health(db: Path) -> list[dict]:
    """Every sync's health, worst first; WarehouseUnreadable when the marts cannot be read.

    While a run writes the warehouse, waits for it (warehouse.busy_timeout_seconds); if it still
    holds the file, reads the published copy beside it (`<db stem>_published/`, the marts of the
    last finished run) and says so on stderr; with no published copy, raises WarehouseHeld."""
    try:
        try:
            return _load_health(db)
        except WarehouseHeld:
            published = default_directory(db) / BI_FILE
            if not published.exists():
                raise
            log.warning("%s is held by another process: read the published copy %s", db, published)
            return _load_health(published)
    except duckdb.Error as exc:
        raise WarehouseUnreadable(f"cannot read {db}: {str(exc).splitlines()[0]}") from None


def _load_health(db: Path) -> list[dict]:
    with connect(db, read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        relation = con.execute("select * from marts.sync_health")
        names = [d[0] for d in relation.description]
        rows = [dict(zip(names, r, strict=True)) for r in relation.fetchall()]
    return sorted(
        rows,
        key=lambda r: (SEVERITY.get(r["health"], 9), r["success_rate_7d"] or 0, r["vendor"], r["sync_id"]),
    )


RECENT_ANOMALIES_SQL = """select a.vendor, a.sync_id, a.explanation, a.point_at
    from marts.sync_anomalies as a cross join marts.as_of as o
    where a.point_at > o.as_of - interval '24' hour and a.point_at <= o.as_of
    order by a.point_at desc, a.vendor, a.sync_id, a.metric"""


def recent_anomalies(db: Path) -> list[tuple]:
    """Anomalies of the last 24 h, newest first: (vendor, sync_id, explanation, point_at); none on a
    warehouse built before marts.sync_anomalies existed."""
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        try:
            return con.execute(RECENT_ANOMALIES_SQL).fetchall()
        except duckdb.CatalogException:
            return []


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
    incidents = open_incidents(db)
    if incidents:
        console.print(
            "\n".join(incident_lines(incidents, limit)), markup=False, highlight=False, soft_wrap=True
        )
    anomalies = recent_anomalies(db)
    if anomalies:
        console.print(f"[bold]{len(anomalies)} anomalies in the last 24 h[/], newest first:")
        for vendor, sync_id, explanation, point_at in anomalies[:10]:
            console.print(f"  {point_at:%m-%d %H:%M} {vendor}/{sync_id}: {explanation}", markup=False)

"""`syncscope report --html`: one self-contained page of fleet health, for people without a terminal.

The page is a single file that opens offline (attached to a mail, kept as a CI artefact): inline
CSS (pipelines/html_style.py), inline SVG charts drawn in Python (pipelines/charts.py), no script
at all, and a Content Security Policy that forbids the browser from fetching anything, so a stray
URL could never make it phone home. What it shows is read in one pass beforehand
(pipelines/warehouse_reads.load_page): rendering never touches the warehouse. Everything read
from the warehouse is HTML-escaped: sync names and error messages come from the vendors and may
hold any text.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path

import numpy as np

from pipelines import charts
from pipelines.alerts.report import html_table as incidents_table
from pipelines.alerts.rules import RULES
from pipelines.html_style import STYLE
from pipelines.report import age, percent, seconds_text
from pipelines.warehouse_reads import SEVERITY, TOP_ANOMALIES, WINDOW_DAYS, PageData, load_page

VENDOR_NAMES = {"ai_squared": "AI Squared", "timbal": "Timbal", "paragon": "Paragon"}
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
RUN = "run <code>syncscope run</code> (or <code>syncscope {}</code>)"
NO_MARTS = "This warehouse has no marts yet: " + RUN.format("models") + "."
NO_SYNCS = "No vendor loaded yet, so no syncs to report: " + RUN.format("demo") + "."


def e(value: object) -> str:
    """Escape for text and attribute values alike (quotes included)."""
    return escape("" if value is None else str(value), quote=True)


def vendor_name(vendor: str) -> str:
    return VENDOR_NAMES.get(vendor, vendor)


def vendors(data: PageData) -> list[str]:
    """Vendors with syncs in the warehouse, in the CLI's usual order."""
    order = list(VENDOR_NAMES)
    present = {r["vendor"] for r in data.health}
    return sorted(present, key=lambda v: (order.index(v) if v in order else len(order), v))


def _section(title: str, sub: str, content: str) -> str:
    return f"<section><h2>{title}</h2><p class='sub'>{sub}</p>{content}</section>"


def _summary(data: PageData) -> str:
    """Cards of the fleet's health counts, then one row per vendor with its health mix as a bar."""
    counts = {h: sum(r["health"] == h for r in data.health) for h in SEVERITY}
    cards = [f"<div class='card'><b>{len(data.health):,}</b><span>syncs</span></div>"]
    cards += [f"<div class='card {h}'><b>{n:,}</b><span>{h}</span></div>" for h, n in counts.items()]
    rows = []
    for vendor in vendors(data):
        per = {h: sum(r["health"] == h and r["vendor"] == vendor for r in data.health) for h in SEVERITY}
        total = sum(per.values())
        bar = "".join(
            f"<i class='{h}' style='width:{100 * n / total:.2f}%' title='{n} {h}'></i>"
            for h, n in per.items()
            if n
        )
        cells = "".join(f"<td class='num'>{n or '·'}</td>" for n in per.values())
        rows.append(
            f"<tr><td>{e(vendor_name(vendor))}</td><td class='mix'><div class='mixbar'>{bar}</div></td>"
            f"{cells}<td class='num'><b>{total}</b></td></tr>"
        )
    head = "".join(f"<th class='num'>{h}</th>" for h in SEVERITY)
    return (
        f"<section><div class='cards'>{''.join(cards)}</div><table class='fleet'><thead><tr>"
        f"<th>vendor</th><th>health mix</th>{head}<th class='num'>total</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _figure(vendor: str, note: str, chart: str, foot: str = "") -> str:
    caption = f"<figcaption><b>{e(vendor_name(vendor))}</b><span>{e(note)}</span></figcaption>"
    return f"<figure>{caption}{chart}" + (f"<p class='foot'>{e(foot)}</p>" if foot else "") + "</figure>"


def _rate_charts(data: PageData) -> str:
    """One success-rate chart per vendor, all on the same days so they line up."""
    last = data.as_of.date() if data.as_of else date.today()
    first = min([day for days in data.daily.values() for day, _, _ in days] or [last])
    figures = []
    for vendor in vendors(data):
        days = data.daily.get(vendor, [])
        ok, bad = sum(d[1] for d in days), sum(d[2] for d in days)
        if ok + bad:
            note = f"{ok / (ok + bad):.1%} of {ok + bad:,} runs"
            marks = sorted(data.anomaly_days.get(vendor, {}).items())
            chart = charts.rate_chart(days, first, last, data.degraded_below, vendor, marks)
        else:
            note, chart = (
                "",
                charts.empty_chart("no succeeded or failed run in the window", "success-rate", vendor),
            )
        figures.append(_figure(vendor, note, chart))
    return f"<div class='charts'>{''.join(figures)}</div>"


def _histograms(data: PageData, kind: str) -> str:
    """One histogram per vendor on shared log bins; zeros (instant failures, 0 rows) counted, not drawn."""
    by_vendor = data.runs.get(kind, {})
    edges = charts.log_bins(list(by_vendor.values()))
    fmt = charts.duration_label if kind == "duration" else charts.count_label
    figures = []
    for vendor in vendors(data):
        values = by_vendor.get(vendor, np.array([]))
        positive, zeros = values[values > 0], int((values <= 0).sum())
        unit = "s" if kind == "duration" else "rows/s"
        note, foot = "", f"{zeros:,} run{'s' * (zeros > 1)} at 0 {unit}, not drawn" if zeros else ""
        if edges is not None and len(positive):
            median = fmt(float(np.median(positive))) + ("" if kind == "duration" else " rows/s")
            note = f"median {median} · {len(positive):,} runs"
            ticks = charts.DURATION_TICKS if kind == "duration" else charts.decades(edges)
            chart = charts.histogram(values, edges, fmt, ticks, kind, vendor)
        else:
            chart = charts.empty_chart(f"no run reports a {kind} above 0", kind, vendor)
        figures.append(_figure(vendor, note, chart, foot))
    return f"<div class='charts'>{''.join(figures)}</div>"


COLUMNS = ("health", "vendor", "sync", "ok 7d", "ok 30d", "runs 7d", "last success", "streak", "p50", "p95",
           "anom 24h")  # fmt: skip
CELL_CLASSES = ("", "vendor", "name", *["num"] * 8)


def _incidents(data: PageData) -> str:
    """Open alert incidents (schema alerts), only when `syncscope alert` has any."""
    if not data.incidents:
        return ""
    sub = "breaches <code>syncscope alert</code> notified and has not seen recover; worst rule first"
    return _section("Open incidents", sub, incidents_table(data.incidents))


def _worst(data: PageData, limit: int | None) -> str:
    """The terminal report's table, same order and columns, with each sync's id under its name."""
    rows = []
    for r in data.health[:limit]:
        since = r["seconds_since_success"]
        cells = [
            f"<span class='badge {e(r['health'])}'>{e(r['health'])}</span>",
            e(vendor_name(r["vendor"])),
            f"{e(r['sync_name'] or r['sync_id'])}<small>{e(r['sync_id'])}</small>",
            percent(r["success_rate_7d"]),
            percent(r["success_rate_30d"]),
            e(r["runs_7d"]),
            age(since) + (" ago" if since is not None else ""),
            e(r["consecutive_failures"]),
            seconds_text(r["duration_p50_s"]),
            seconds_text(r["duration_p95_s"]),
            e(r.get("open_anomalies", 0) or "·"),
        ]
        tds = "".join(f"<td class='{cls}'>{c}</td>" for cls, c in zip(CELL_CLASSES, cells, strict=True))
        rows.append(f"<tr class='{e(r['health'])}'>{tds}</tr>")
    head = "".join(f"<th class='{cls}'>{c}</th>" for cls, c in zip(CELL_CLASSES, COLUMNS, strict=True))
    more = len(data.health) - len(rows)
    tail = f"<p class='sub more'>… and {more:,} more: <code>syncscope report --html FILE --all</code></p>"
    table = f"<table class='worst'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    return table + (tail if more else "")


def _errors(data: PageData) -> str:
    """Error groups, biggest first: the fingerprint says what went wrong, the example shows one instance."""
    if not data.errors:
        return "<p class='empty-note'>No failed records in the warehouse.</p>"
    rows = []
    for r in data.errors:
        also = (
            f"<small>and {r['syncs'] - 1} more sync{'s' if r['syncs'] > 2 else ''}</small>"
            if r["syncs"] > 1
            else ""
        )
        rows.append(
            f"<tr><td class='num'><b>{r['failed_records']:,}</b></td>"
            f"<td class='vendor'>{e(vendor_name(r['vendor']))}</td>"
            f"<td><code>{e(r['error_fingerprint'])}</code>"
            f"<div class='example'>{e(r['example_error'])}</div></td>"
            f"<td>{e(r['worst_sync'])}{also}</td><td class='num'>{r['last_seen_at']:%Y-%m-%d %H:%M}</td></tr>"
        )
    return (
        "<table class='errors'><thead><tr><th class='num'>records</th><th>vendor</th>"
        "<th>fingerprint and latest example</th><th>syncs (most affected)</th>"
        "<th class='num'>last seen (UTC)</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _anomalies(data: PageData) -> str:
    """The newest anomalies: when, which sync, and the sentence that explains each."""
    if not data.anomalies:
        return f"<p class='empty-note'>No anomaly in the last {WINDOW_DAYS} days.</p>"
    body = "".join(
        f"<tr><td class='num'>{r['point_at']:%Y-%m-%d %H:%M}</td>"
        f"<td class='vendor'>{e(vendor_name(r['vendor']))}</td>"
        f"<td class='name'>{e(r['sync_name'])}<small>{e(r['sync_id'])}</small></td>"
        f"<td><span class='badge {e(r['direction'])}'>{e(r['direction'])}</span></td>"
        f"<td>{e(r['explanation'])}<small>{e(r['metric'])} · {e(r['point'])}</small></td></tr>"
        for r in data.anomalies
    )
    return (
        "<table class='anomalies'><thead><tr><th class='num'>when (UTC)</th><th>vendor</th><th>sync</th>"
        f"<th></th><th>what</th></tr></thead><tbody>{body}</tbody></table>"
    )


def render_page(data: PageData, limit: int | None = 50) -> str:
    when = f"{data.as_of:%Y-%m-%d %H:%M:%S} UTC" if data.as_of else "no load yet"
    meta = (
        f"as of <b>{e(when)}</b> · warehouse <code>{e(data.db.name)}</code> · "
        f"generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    if data.marts_missing or not data.health:
        body = f"<p class='empty-note'>{NO_MARTS if data.marts_missing else NO_SYNCS}</p>"
    else:
        threshold = f"; dashed line: degraded below {data.degraded_below:.0%}" if data.degraded_below else ""
        window = f"runs finished in the last {WINDOW_DAYS} days"
        body = "".join((
            _summary(data),
            _incidents(data),
            _section("Success rate per day", f"succeeded ÷ (succeeded + failed) of the {window}, "
                     f"per UTC day{e(threshold)}; hover a dot for its counts", _rate_charts(data)),
            _section("Run duration", f"{window}, log-scaled bins shared by the vendors; dashed: the median",
                     _histograms(data, "duration")),
            _section("Throughput", f"rows synced ÷ duration (rows/s) of the {window}, log-scaled bins",
                     _histograms(data, "throughput")),
            _section("Worst syncs", "failing, stale, degraded, healthy, disabled; within each, lowest 7-day "
                     "success rate first (as in <code>syncscope report</code>)", _worst(data, limit)),
            _section("Latest anomalies", f"runs and days unusual for their own sync (z-score against its "
                     f"28 days before), newest first, at most {TOP_ANOMALIES}; red triangles on the "
                     "success-rate charts mark their days",
                     _anomalies(data)),
            _section("Top error groups", "failed records grouped by error fingerprint (ids, numbers, emails "
                     "and quoted values masked)", _errors(data)),
        ))  # fmt: skip
    return (
        f"<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Sync health · {e(when)} · syncscope</title><style>{STYLE}</style></head>"
        f"<body><main><header><h1>Sync health</h1><p class='meta'>{meta}</p></header>{body}"
        "<footer>syncscope · metric definitions in the README and in each <code>sql/marts/*.sql</code> header"
        "</footer></main></body></html>\n"
    )


def write_html(db: Path, path: Path, limit: int | None = 50) -> Path:
    """Write atomically (temp file, then rename): a browser refreshing the page never sees half of it."""
    page = render_page(load_page(db, RULES), limit)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(page, encoding="utf-8")
    temp.replace(path)
    return path

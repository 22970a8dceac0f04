"""What `report`, `check`, `alert` and the HTML page read from the built warehouse, in one place.

Every query the read side runs against the marts (and `alerts.incidents`) lives here, with the
one way of opening the file for it (pipelines/warehouse.py: a bounded wait for a writer, UTC), so
the rendering modules (report.py, html_report.py, alerts/report.py) only
render and the rule modules (check.py, alerts/rules.py) only decide. The alert's own bookkeeping
(alerts/state.py, alerts/transitions.py: the `alerts` schema it writes) keeps its SQL there, and
reads its rows with `rows_of`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.publish import BI_FILE, default_directory
from pipelines.warehouse import WarehouseHeld, connect

if TYPE_CHECKING:  # numpy is imported where the HTML page needs it: `syncscope alert` and `check` do not
    import numpy as np

log = logging.getLogger("syncscope.report")  # the name operators' log filters already know

SEVERITY = {"failing": 0, "stale": 1, "degraded": 2, "healthy": 3, "disabled": 4}  # worst first
WINDOW_DAYS = 30  # the HTML charts' window: that of success_rate_30d and of the duration percentiles
TOP_ERRORS = 15  # error groups on the HTML page
TOP_ANOMALIES = 20  # anomalies tabled on the HTML page (all of them mark the charts)
MARTS = ("sync_health", "sync_daily", "sync_runs", "record_errors", "syncs", "as_of")  # the page needs


class WarehouseUnreadable(Exception):
    """The marts cannot be read (held by a writer, or never built); the message is one line."""


def rows_of(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence | None = None) -> list[dict]:
    """Every row of `sql` as a dict keyed by column name."""
    relation = con.execute(sql, params)
    names = [d[0] for d in relation.description]
    return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


def first_column(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence | None = None) -> list:
    """The first column of every row of `sql` (names from the catalog, mostly)."""
    return [row[0] for row in con.execute(sql, params).fetchall()]


def tables_present(con: duckdb.DuckDBPyConnection, schema: str, names: Sequence[str]) -> int:
    """How many of the tables `names` exist in `schema` (a warehouse built by an older version, or
    never alerted on, lacks some)."""
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = ? and list_contains(?, table_name)",
        [schema, list(names)],
    ).fetchone()
    return int(found[0])


@contextmanager
def reading(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection in UTC, waiting (bounded) for a writer to let go of the file."""
    with connect(db, read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        yield con


def readable(db: Path) -> Path:
    """The file the read side reads: `db`, or, while a run still holds it after the bounded wait
    (warehouse.busy_timeout_seconds), the published copy beside it (`<db stem>_published/`, the
    marts of the last finished run), said on stderr. WarehouseHeld with no published copy;
    WarehouseUnreadable when the file is no warehouse.

    Resolved once per command, so that a report's health, incidents and anomalies come from the
    same file."""
    try:
        with reading(db):
            return db
    except WarehouseHeld:
        published = default_directory(db) / BI_FILE
        if not published.exists():
            raise
        log.warning("%s is held by another process: read the published copy %s", db, published)
        return published
    except duckdb.Error as exc:
        raise WarehouseUnreadable(f"cannot read {db}: {str(exc).splitlines()[0]}") from None


def load_health(db: Path) -> list[dict]:
    """Every sync's health (marts.sync_health), worst first, from `readable(db)`;
    WarehouseUnreadable when the marts cannot be read."""
    source = readable(db)
    try:
        return _load_health(source)
    except duckdb.Error as exc:
        raise WarehouseUnreadable(f"cannot read {source}: {str(exc).splitlines()[0]}") from None


def _load_health(db: Path) -> list[dict]:
    with reading(db) as con:
        rows = rows_of(con, "select * from marts.sync_health")
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
    with reading(db) as con:
        try:
            return con.execute(RECENT_ANOMALIES_SQL).fetchall()
        except duckdb.CatalogException:
            return []


OPEN_INCIDENTS_SQL = """
select vendor, sync_id, sync_name, rule, severity, since, reason, last_notified_at
from alerts.incidents where status = 'open'
order by list_position(?, rule), since, vendor, sync_id
"""


def open_incidents(db: Path, rule_order: Sequence[str]) -> list[dict]:
    """Open alert incidents, worst rule first (`rule_order`), then oldest; [] when alerts never ran
    on this warehouse."""
    with reading(db) as con:
        if not tables_present(con, "alerts", ["incidents"]):
            return []
        return rows_of(con, OPEN_INCIDENTS_SQL, [list(rule_order)])


# The alert rules' inputs, read on the alert run's own (read-write) connection.

# The newest finished run of each sync that counted records: failed / (synced + failed).
LAST_RUN_SHARE_SQL = """
select vendor, sync_id, run_id, rows_failed, rows_synced
from (
    select r.*, row_number() over (
        partition by r.vendor, r.sync_id order by r.finished_at desc, r.run_id desc) as n
    from marts.sync_runs as r cross join marts.as_of as a
    where r.finished_at <= a.as_of and r.rows_failed is not null
      and coalesce(r.rows_synced, 0) + r.rows_failed > 0
)
where n = 1
"""


def marts_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The marts' as_of (None before any load); duckdb.CatalogException without marts. (Not named
    `as_of`: DuckDB would scan a Python object of the missing table's name instead.)"""
    return con.execute("select max(as_of) from marts.as_of").fetchone()[0]


def health_by_sync(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """marts.sync_health in (vendor, sync_id) order."""
    return rows_of(con, "select * from marts.sync_health order by vendor, sync_id")


def last_run_shares(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict]:
    """(vendor, sync_id) -> the newest finished run that counted records (rows_failed, rows_synced)."""
    return {(s["vendor"], s["sync_id"]): s for s in rows_of(con, LAST_RUN_SHARE_SQL)}


# The HTML page's data, read in one pass so that rendering never touches the warehouse.

WINDOW = f"(select as_of - interval {WINDOW_DAYS} day from marts.as_of)"
DAILY_SQL = f"""select vendor, day, sum(succeeded) as ok, sum(failed) as bad from marts.sync_daily
    where day > cast({WINDOW} as date) and day <= (select cast(as_of as date) from marts.as_of)
    group by vendor, day order by vendor, day"""
RUNS_SQL = f"""select vendor, duration_s, rows_per_s from marts.sync_runs
    where ended_at > {WINDOW} and ended_at <= (select as_of from marts.as_of)"""
ERRORS_SQL = f"""with named as (
        select e.*, coalesce(s.sync_name, e.sync_id) as sync_name
        from marts.record_errors as e left join marts.syncs as s using (vendor, sync_id)
    )
    select vendor, error_fingerprint, sum(failed_records) as failed_records,
        count(distinct sync_id) as syncs, arg_max(sync_name, failed_records) as worst_sync,
        arg_max(example_error, last_seen_at) as example_error, max(last_seen_at) as last_seen_at
    from named group by vendor, error_fingerprint
    order by failed_records desc, vendor, error_fingerprint limit {TOP_ERRORS}"""
ANOMALIES_SQL = f"""select a.vendor, a.sync_id, coalesce(s.sync_name, a.sync_id) as sync_name, a.metric,
        a.point, a.point_at, a.run_id is null as is_day, a.direction, a.z_score, a.explanation
    from marts.sync_anomalies as a left join marts.syncs as s using (vendor, sync_id)
    where a.point_at > {WINDOW} and a.point_at <= (select as_of from marts.as_of)
    order by a.point_at desc, a.vendor, a.sync_id, a.metric"""


@dataclass
class PageData:
    """What the HTML page shows."""

    db: Path
    marts_missing: bool = False
    as_of: datetime | None = None
    degraded_below: float | None = None
    health: list[dict] = field(default_factory=list)
    daily: dict[str, list[tuple[date, int, int]]] = field(default_factory=dict)
    runs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # kind -> vendor -> values
    errors: list[dict] = field(default_factory=list)
    incidents: list[dict] = field(default_factory=list)  # open alert incidents (syncscope alert)
    anomalies: list[dict] = field(default_factory=list)  # newest first, TOP_ANOMALIES of them
    anomaly_days: dict[str, dict[date, list[str]]] = field(default_factory=dict)  # vendor -> day -> texts


def load_page(db: Path, rule_order: Sequence[str]) -> PageData:
    """Everything the page needs; a warehouse without marts or without loads is a page, not an error."""
    data = PageData(db)
    db = readable(db)
    with reading(db) as con:
        if tables_present(con, "marts", MARTS) < len(MARTS):
            data.marts_missing = True
            return data
        data.as_of, data.degraded_below = con.execute(
            "select as_of, degraded_below from marts.as_of"
        ).fetchone()
        if data.as_of is None:
            return data
        for row in rows_of(con, DAILY_SQL):
            data.daily.setdefault(row["vendor"], []).append((row["day"], int(row["ok"]), int(row["bad"])))
        import numpy as np  # here only: the HTML page is its one user

        runs = con.execute(RUNS_SQL).fetchnumpy()
        for kind, column in (("duration", "duration_s"), ("throughput", "rows_per_s")):
            values = np.ma.filled(np.ma.asarray(runs[column], dtype=float), np.nan)
            vendors = np.asarray(runs["vendor"], dtype=object)
            data.runs[kind] = {
                str(v): values[(vendors == v) & ~np.isnan(values)] for v in sorted(set(vendors.tolist()))
            }
        data.errors = rows_of(con, ERRORS_SQL)
        data.anomalies, data.anomaly_days = _anomalies(con)
    data.health = load_health(db)
    data.incidents = open_incidents(db, rule_order)
    return data


def _anomalies(con: duckdb.DuckDBPyConnection) -> tuple[list[dict], dict[str, dict[date, list[str]]]]:
    """The newest anomalies of the window, and all of them as chart marks: vendor -> day ->
    "sync: sentence" (a day point on its own day, a run on the day it ended). A warehouse built
    before the mart existed has none."""
    if not tables_present(con, "marts", ["sync_anomalies"]):
        return [], {}
    rows = rows_of(con, ANOMALIES_SQL)
    marks: dict[str, dict[date, list[str]]] = {}
    for r in rows:
        day = date.fromisoformat(r["point"]) if r["is_day"] else r["point_at"].date()
        marks.setdefault(r["vendor"], {}).setdefault(day, []).append(f"{r['sync_name']}: {r['explanation']}")
    return rows[:TOP_ANOMALIES], marks

"""Hand-made marts (as_of, sync_health, sync_runs) with exactly the values a test needs.

The alert rules read only these three marts, so a test states the fleet at each as_of
directly instead of building it from raw vendor rows.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

HEALTH_COLUMNS = {
    "as_of": "timestamptz", "vendor": "varchar", "sync_id": "varchar", "sync_name": "varchar",
    "seconds_since_success": "double", "staleness_s": "double", "expected_interval_s": "double",
    "success_rate_7d": "double", "consecutive_failures": "bigint", "health": "varchar",
}  # fmt: skip


def sync(sync_id: str, vendor: str = "ai_squared", **values: object) -> dict:
    """A healthy hourly sync that succeeded 10 minutes ago; override what the test is about."""
    row = {"vendor": vendor, "sync_id": sync_id, "sync_name": f"sync {sync_id}",
           "seconds_since_success": 600.0, "staleness_s": 600.0, "expected_interval_s": 3600.0,
           "success_rate_7d": 1.0, "consecutive_failures": 0, "health": "healthy"}  # fmt: skip
    row.update(values)
    return row


def failing(sync_id: str, streak: int = 5, vendor: str = "ai_squared") -> dict:
    return sync(sync_id, vendor, consecutive_failures=streak, health="failing", success_rate_7d=0.95)


def write_marts(db: Path, as_of: datetime, syncs: list[dict], runs: list[dict] | None = None) -> None:
    """Replace the three marts, as a models build at `as_of` would."""
    with duckdb.connect(str(db)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.as_of (as_of timestamptz, is_overridden boolean, "
                    "degraded_below double)")  # fmt: skip
        con.execute("insert into marts.as_of values (?, false, 0.9)", [as_of])
        columns = ", ".join(f"{name} {kind}" for name, kind in HEALTH_COLUMNS.items())
        con.execute(f"create or replace table marts.sync_health ({columns})")
        for row in syncs:
            values = [as_of, *(row[name] for name in list(HEALTH_COLUMNS)[1:])]
            con.execute(f"insert into marts.sync_health values ({', '.join('?' * len(values))})", values)
        runs_columns = ("vendor varchar, sync_id varchar, run_id varchar, finished_at timestamptz, "
                        "rows_synced bigint, rows_failed bigint")  # fmt: skip
        con.execute(f"create or replace table marts.sync_runs ({runs_columns})")
        for run in runs or []:
            con.execute("insert into marts.sync_runs values (?, ?, ?, ?, ?, ?)",
                        [run["vendor"], run["sync_id"], run["run_id"], run["finished_at"], run["rows_synced"],
                         run["rows_failed"]])  # fmt: skip


def table(db: Path, name: str, order: str = "1") -> list[dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        relation = con.execute(f"select * from {name} order by {order}")
        names = [d[0] for d in relation.description]
        return [dict(zip(names, r, strict=True)) for r in relation.fetchall()]

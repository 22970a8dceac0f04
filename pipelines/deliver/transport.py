"""How Arrow columns travel to a destination that dlt feeds with CSV (PostgreSQL: `COPY`).

pyarrow's CSV writer formats time-zone-aware timestamps ~10x slower than anything else (13 s of
the 20 s it took for 1 M `sync_runs` rows, bench/RESULTS.md case 6), and dlt writes every Arrow
table through it. DuckDB formats the same values as ISO-8601 text with an explicit UTC offset
in ~1 s, which PostgreSQL's `COPY` parses into `timestamp with time zone` whatever the session's
time zone; a dlt column hint keeps the destination column a timestamp. Callers set the DuckDB
session's TimeZone to UTC (the `::timestamp` cast below reads it).
"""

from __future__ import annotations

import duckdb

CSV_DESTINATIONS = ("postgres",)  # dlt loads them with CSV files (PostgreSQL: COPY); see __init__.py
TIMESTAMPTZ = "TIMESTAMP WITH TIME ZONE"
ISO_UTC = "%Y-%m-%dT%H:%M:%S.%f+00:00"


def described(
    con: duckdb.DuckDBPyConnection, source: str, skip: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """(column, DuckDB type) of `source`, without the `skip` columns."""
    return [(r[0], r[1]) for r in con.execute(f"describe {source}").fetchall() if r[0] not in skip]


def select_list(columns: list[tuple[str, str]], alias: str = "", as_text: bool = False) -> str:
    """The columns for a SELECT, time-zone-aware timestamps as ISO text in UTC when `as_text`."""
    prefix = f"{alias}." if alias else ""
    out = []
    for name, kind in columns:
        ident = prefix + _ident(name)
        if as_text and kind == TIMESTAMPTZ:
            out.append(f"strftime({ident}::timestamp, '{ISO_UTC}') as {_ident(name)}")
        else:
            out.append(ident)
    return ", ".join(out)


def hints(columns: list[tuple[str, str]], as_text: bool) -> dict[str, dict]:
    """dlt column hints that keep the text-carried timestamps timestamps in the destination."""
    if not as_text:
        return {}
    return {
        name: {"data_type": "timestamp", "timezone": True} for name, kind in columns if kind == TIMESTAMPTZ
    }


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'

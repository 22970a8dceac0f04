"""Delivery of the marts to a local PostgreSQL: rows/s against COPY of the same rows (the ceiling).

    python -m bench.delivery --db WAREHOUSE.duckdb [--repeat 3] [--out bench/RESULTS.md]

The warehouse is any built one (bench/RESULTS.md names the 1,000-sync world used). Each
repetition delivers into a fresh database of a throwaway PostgreSQL server (tests/deliver/
pg_server.py: the Debian `postgresql` package's binaries) with an empty local record, so the
first delivery sends everything; then a second delivery with nothing changed. The ceiling exports
the same marts to Parquet with DuckDB and loads them with PostgreSQL's `COPY` (Parquet -> CSV
written by DuckDB, then `COPY ... FROM STDIN`: PostgreSQL reads no Parquet itself) into
tables of the same types. Also case 8 of `python -m bench` (`case`). By hand, the section is
written between markers at the end of RESULTS.md, in the part `python -m bench` keeps.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

import duckdb
import psycopg2

from bench.results import Case, Target, machine
from pipelines.deliver import DeliverSettings, changes, deliver
from pipelines.warehouse_reads import first_column
from tests.deliver.pg_server import remove, start_server

BEGIN, END = "<!-- delivery: begin -->", "<!-- delivery: end -->"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def ceiling(db: Path, url: str, folder: Path) -> tuple[int, float, float]:
    """Rows, seconds of COPY alone, and seconds from the Parquet files to the rows in PostgreSQL.

    PostgreSQL reads no Parquet, so each file becomes CSV first: DuckDB reads the Parquet file
    and writes CSV (every core, timestamps with their offset, which PostgreSQL reads as
    `timestamptz`), then `COPY ... FROM STDIN` reads it. The fastest route we know, so the bar
    the delivery is held to is a hard one (round 2 used pyarrow's CSV writer, ~10x slower on
    time-zone-aware timestamps, which flattered the delivery).
    """
    with duckdb.connect(str(db), read_only=True) as con:
        marts = first_column(con, "select table_name from duckdb_tables() where schema_name = 'marts'")
        for mart in marts:
            con.execute(f"copy marts.{mart} to '{folder / mart}.parquet' (format parquet)").fetchall()
    rows, copy_s, total_s = 0, 0.0, 0.0
    with psycopg2.connect(url) as pg, pg.cursor() as cur, duckdb.connect() as convert:
        convert.execute("set TimeZone = 'UTC'")
        cur.execute("create schema ceiling")
        for mart in marts:
            cur.execute(f"create table ceiling.{mart} (like syncscope.{mart})")
        pg.commit()
        for mart in marts:
            started = time.perf_counter()
            csv = folder / f"{mart}.csv"
            parquet = folder / f"{mart}.parquet"
            convert.execute(f"copy (select * from read_parquet('{parquet}')) to '{csv}' (header true)")
            converted = time.perf_counter()
            with csv.open("rb") as buffer:
                cur.copy_expert(f"copy ceiling.{mart} from stdin with (format csv, header true)", buffer)
            pg.commit()
            done = time.perf_counter()
            rows += convert.execute(f"select count(*) from read_parquet('{parquet}')").fetchone()[0]
            copy_s += done - converted
            total_s += done - started
    return rows, copy_s, total_s


def run(db: Path, repeat: int) -> dict[str, list[float]]:
    server = start_server()
    figures: dict[str, list[float]] = {}
    previous = os.environ.get("DESTINATION__POSTGRES__CREDENTIALS")
    try:
        for rep in range(repeat):
            server.psql(f"create database bench{rep}")
            url = server.url(f"bench{rep}")
            os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = url
            settings = DeliverSettings("postgres")
            state = changes.state_directory(db, "postgres", "syncscope").parent
            shutil.rmtree(state, ignore_errors=True)
            started = time.perf_counter()
            first = deliver(db, settings)
            first_s = time.perf_counter() - started
            started = time.perf_counter()
            again = deliver(db, settings)
            again_s = time.perf_counter() - started
            with tempfile.TemporaryDirectory() as folder:
                rows, copy_s, total_s = ceiling(db, url, Path(folder))
            for key, value in {
                "rows": sum(first.rows.values()),
                "sync_runs": first.rows["sync_runs"],
                "deliver_s": first_s,
                "noop_s": again_s,
                "noop_sent_runs": again.sent.get("changed_sync_runs", 0),
                "noop_unchanged": int(again.unchanged),  # known unchanged without reading the marts
                "copy_rows": rows,
                "copy_s": copy_s,
                "copy_total_s": total_s,
            }.items():
                figures.setdefault(key, []).append(value)
            print(
                f"rep {rep}: deliver {first_s:.1f}s, no-op {again_s:.1f}s, COPY {copy_s:.1f}/{total_s:.1f}s"
            )
    finally:
        remove(server)
        os.environ.pop("DESTINATION__POSTGRES__CREDENTIALS", None)
        if previous is not None:
            os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = previous
    return figures


def section(db: Path, figures: dict[str, list[float]], argv: list[str]) -> str:
    med = {k: statistics.median(v) for k, v in figures.items()}

    def span(key: str) -> str:
        return f"{min(figures[key]):.2f}-{max(figures[key]):.2f}"

    rows = int(med["rows"])
    info = machine()
    return "\n".join(
        [
            BEGIN,
            "",
            f"## 6. Delivery of the marts to a local PostgreSQL 15 ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
            "",
            f"Warehouse: {int(med['sync_runs']):,} sync_runs rows, {rows:,} rows in all marts; "
            f"{len(figures['rows'])} repetitions, medians. {info['CPU']}; {info['Code']}; "
            f"load average at start {info['Load average at start (1/5/15 min)']}.",
            "",
            "| figure | median | range |",
            "|---|---|---|",
            f"| first delivery (everything), wall time | {med['deliver_s']:.2f} s | {span('deliver_s')} |",
            f"| its rate | {rows / med['deliver_s']:,.0f} rows/s |  |",
            f"| ceiling: the same Parquet files -> CSV (DuckDB) -> `COPY` | {med['copy_total_s']:.2f} s "
            f"| {span('copy_total_s')} |",
            f"| its rate | {rows / med['copy_total_s']:,.0f} rows/s |  |",
            f"| of which `COPY` alone | {med['copy_s']:.2f} s | {span('copy_s')} |",
            f"| delivery against the ceiling | {med['copy_total_s'] / med['deliver_s']:.2f}x |  |",
            f"| no-op delivery (nothing changed) | {med['noop_s']:.2f} s | {span('noop_s')} |",
            f"| sync_runs rows it sent (dlt's load info) | {int(med['noop_sent_runs'])} |  |",
            "",
            f"Reproduce: `python -m bench.delivery {' '.join(argv)}` on a warehouse built by "
            "`syncscope run` against `syncscope sandbox --syncs 1000 --days 28 --records 100000 --seed 42 "
            "--start 2026-11-01T00:00:00Z`.",
            "",
            END,
        ]
    )


NOOP_SHARE = 2.0  # %: a delivery with nothing changed costs at most this share of a full one
VS_CEILING = 0.5


def case(repeat: int, db: Path) -> Case:
    """Case 8 of `python -m bench`: delivery to a throwaway PostgreSQL against COPY, and a no-op."""
    figures = run(db, repeat)
    med = {k: statistics.median(v) for k, v in figures.items()}
    rows = int(med["rows"])
    vs = statistics.median(
        [c / d for c, d in zip(figures["copy_total_s"], figures["deliver_s"], strict=True)]
    )
    vs_copy = statistics.median([c / d for c, d in zip(figures["copy_s"], figures["deliver_s"], strict=True)])
    noop = statistics.median([n / d for n, d in zip(figures["noop_s"], figures["deliver_s"], strict=True)])

    def cell(key: str) -> list[str]:
        values = figures[key]
        return [f"{med[key]:.2f} s", f"{min(values):.2f}-{max(values):.2f}" if len(values) > 1 else ""]

    built = Case(
        "delivery",
        f"8. Delivery of the marts to a local PostgreSQL ({int(med['sync_runs']):,} sync_runs rows, "
        f"{rows:,} rows in all marts)",
        ["figure", "median", "range"],
    )
    built.rows = [
        ["first delivery (everything), wall time", *cell("deliver_s")],
        ["its rate", f"{rows / med['deliver_s']:,.0f} rows/s", ""],
        ["ceiling: the same marts' Parquet files -> CSV (DuckDB) -> `COPY`", *cell("copy_total_s")],
        ["its rate", f"{rows / med['copy_total_s']:,.0f} rows/s", ""],
        ["of which `COPY` alone", *cell("copy_s")],
        ["delivery vs `COPY` alone (rows/s)", f"{vs_copy:.2f}x", ""],
        ["no-op delivery (nothing changed), wall time", *cell("noop_s")],
        ["sync_runs rows the no-op sent", f"{int(med['noop_sent_runs'])}", ""],
        ["no-ops known unchanged without reading the marts", f"{sum(figures['noop_unchanged']):.0f} of "
         f"{len(figures['noop_unchanged'])}", ""],
    ]  # fmt: skip
    built.targets = [
        Target("delivery to PostgreSQL vs the COPY ceiling (rows/s)", vs, ">=", VS_CEILING),
        Target("no-op delivery time vs a full one", noop * 100, "<=", NOOP_SHARE, "%"),
    ]
    built.notes = [
        "Each repetition delivers into a fresh database of a throwaway PostgreSQL server "
        "(tests/deliver/pg_server.py) with no local record, so the first delivery sends everything; the "
        "no-op is the next delivery with nothing changed. Ratios are per repetition, then the median. "
        "The first delivery `COPY`s the marts straight into the live tables inside its final transaction; "
        "the no-op finds the warehouse's build fingerprint unchanged and the destination holding the last "
        "delivery (one row-count query), so it reads no mart (pipelines/deliver/unchanged.py).",
    ]
    built.commands = [f"python -m bench.delivery --db {db.name} --repeat {repeat}"]
    built.data = {"vs_ceiling": vs, "vs_copy": vs_copy, "noop_share": noop, "rows": rows,
                  "noop_sent_runs": med["noop_sent_runs"]}  # fmt: skip
    return built


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a built warehouse")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    figures = run(args.db, args.repeat)
    text = section(args.db, figures, [f"--db {args.db.name}", f"--repeat {args.repeat}"])
    old = args.out.read_text() if args.out.exists() else ""
    if BEGIN in old:
        old = old.split(BEGIN, 1)[0] + old.split(END, 1)[1].lstrip("\n")
    args.out.write_text(old.rstrip("\n") + "\n\n" + text + "\n")
    print(text)


if __name__ == "__main__":
    main()

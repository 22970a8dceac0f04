"""What marts.sync_anomalies costs: `syncscope models` with and without it on one warehouse.

The "without" build is the same models minus sql/marts/sync_anomalies.sql and minus the lines of
sql/marts/sync_health.sql that read it (open_anomalies), so nothing else differs. Builds alternate
(with, without, with, ...) so both see the same machine load, and medians are compared. Also case 6
of `python -m bench`, on case 5's warehouse (1,000 syncs, ~1 M runs).

    python -m bench.anomaly_build --db big.duckdb --repeat 3
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import tempfile
from pathlib import Path

import duckdb

from bench.results import Case, Target
from pipelines.models import SQL_DIR, build

TARGET = 1.5  # the bound: the build with the mart within 1.5x the build without it


def health_without(sql: str) -> str:
    """sync_health.sql without open_anomalies: its CTE, join, columns and header line."""
    sql = re.sub(r"anomalies_24h as \(.*?\n\),\n\n", "", sql, flags=re.S)
    return "".join(line for line in sql.splitlines(keepends=True) if "anomal" not in line)


def sql_without(workdir: Path) -> Path:
    """Today's models minus the mart and what reads it."""
    target = workdir / "sql"
    shutil.copytree(SQL_DIR, target)
    (target / "marts" / "sync_anomalies.sql").unlink()
    health = target / "marts" / "sync_health.sql"
    health.write_text(health_without(health.read_text()))
    return target


def measure(db: Path, repeat: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        without = sql_without(Path(tmp))
        times: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(repeat):
            times["with"].append(build(db, sensitivity_overrides={}).seconds)
            times["without"].append(build(db, sql_dir=without, sensitivity_overrides={}).seconds)
    build(db, sensitivity_overrides={})  # leave the warehouse with the mart
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("select count(*) from marts.sync_runs").fetchone()[0]
        syncs = con.execute("select count(*) from marts.syncs").fetchone()[0]
        flagged = con.execute("select count(*) from marts.sync_anomalies").fetchone()[0]
    with_s, without_s = statistics.median(times["with"]), statistics.median(times["without"])
    return {
        "syncs": syncs, "runs": runs, "anomalies": flagged, "with_s": with_s, "without_s": without_s,
        "ratio": with_s / without_s, "times": times,
    }  # fmt: skip


def case(repeat: int, db: Path) -> Case:
    """Case 6 of `python -m bench`: the mart's build cost on case 5's warehouse."""
    r = measure(db, repeat)
    built = Case(
        "anomalies",
        f"6. marts.sync_anomalies: build with and without it ({r['syncs']:,} syncs, {r['runs']:,} runs)",
        ["figure", "with sync_anomalies", "without"],
    )
    built.rows = [
        ["build of every model, median", f"{r['with_s']:.2f} s", f"{r['without_s']:.2f} s"],
        ["builds (s)", ", ".join(f"{t:.2f}" for t in r["times"]["with"]),
         ", ".join(f"{t:.2f}" for t in r["times"]["without"])],
        ["anomalies found", f"{r['anomalies']:,}", ""],
    ]  # fmt: skip
    built.targets = [Target("models build with sync_anomalies vs without", r["ratio"], "<=", TARGET)]
    built.commands = [f"python -m bench.anomaly_build --db {db.name} --repeat {repeat}"]
    built.data = {"ratio": r["ratio"], "with_s": r["with_s"], "without_s": r["without_s"]}
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    r = measure(args.db, args.repeat)
    print(f"{r['syncs']:,} syncs, {r['runs']:,} runs: build {r['with_s']:.2f} s with sync_anomalies, "
          f"{r['without_s']:.2f} s without: {r['ratio']:.2f}x; {r['anomalies']:,} anomalies")  # fmt: skip
    print(f"builds (s): {r['times']}")


if __name__ == "__main__":
    main()

"""What marts.sync_anomalies costs: `syncscope models` with and without it on one warehouse.

The "without" build is the same models minus sql/marts/sync_anomalies.sql, with sync_health read
from git (the commit given, default the commit before the mart) so nothing else differs. Builds
alternate (with, without, with, ...) so both see the same machine load; medians are reported
with the flagged share of judged points, which needs the warehouse only.

    python -m bench.anomaly_build --db big.duckdb --repeat 3 [--before c84e174]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import duckdb

from pipelines.models import SQL_DIR, build

ROOT = SQL_DIR.parent
BEFORE = "c84e174"  # the commit before marts.sync_anomalies existed

JUDGED_SQL = """select count(*) from marts.sync_runs
    where status = 'succeeded' and ended_at <= (select as_of from marts.as_of)"""


def sql_without(workdir: Path, commit: str) -> Path:
    """The models as they stood at `commit` (today's models minus the mart and its health column)."""
    target = workdir / "sql"
    shutil.copytree(SQL_DIR, target)
    (target / "marts" / "sync_anomalies.sql").unlink()
    old = subprocess.run(["git", "show", f"{commit}:sql/marts/sync_health.sql"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    (target / "marts" / "sync_health.sql").write_text(old)
    return target


def measure(db: Path, repeat: int, commit: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        without = sql_without(Path(tmp), commit)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", default=BEFORE, help="commit whose sync_health.sql is the baseline")
    args = parser.parse_args()
    r = measure(args.db, args.repeat, args.before)
    print(f"{r['syncs']:,} syncs, {r['runs']:,} runs: build {r['with_s']:.2f} s with sync_anomalies, "
          f"{r['without_s']:.2f} s without: {r['ratio']:.2f}x; {r['anomalies']:,} anomalies")  # fmt: skip
    print(f"builds (s): {r['times']}")


if __name__ == "__main__":
    main()

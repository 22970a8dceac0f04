"""Issue 19, case 8, end to end: the sandbox serves counters at the int64 maximum (spec-valid) for
one AI Squared and one Timbal sync; `syncscope run` loads them, builds every mart and exits 0,
and marts.sync_daily holds each day's exact sum, or null where it does not fit 64 bits.

The expected sums are computed here in Python, with exact integers, from the bodies served.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

import sandbox.ai_squared.api as served_ai_squared
from pipelines.commands.demo import environment
from pipelines.commands.run import execute
from pipelines.exit_codes import EXIT_OK
from sandbox.service import Sandbox
from tests.conftest import box_fixture

MAX = 2**63 - 1
MARTS = {
    "sync_runs",
    "sync_daily",
    "sync_health",
    "sync_anomalies",
    "history_coverage",
    "syncs",
    "record_errors",
}


def day_of(*times: str | None) -> date:
    first = next(t for t in times if t)
    return datetime.fromisoformat(first.replace("Z", "+00:00")).date()


def fits(value: int) -> int | None:
    return value if -(2**63) <= value <= MAX else None


box = box_fixture(days=2, records=500)


def test_counters_at_the_int64_maximum_load_every_mart_builds_and_daily_sums_are_exact(
    monkeypatch: pytest.MonkeyPatch, box: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The AI Squared sync and the Timbal sync with the most succeeded runs on one day.
    succeeded = Counter(
        (r["attributes"]["sync_id"], day_of(r["attributes"]["finished_at"]))
        for r in box.world.ai_squared.truth_runs()
        if r["attributes"]["status"] == "success"
    )
    ai_sync = succeeded.most_common(1)[0][0][0]
    timbal = box.world.timbal
    details = {s["sync"]["id"]: timbal.sync_detail(s["sync"]["id"]) for s in timbal.truth_syncs()}
    timbal_sync = max(
        details, key=lambda i: sum(r["state"] == "completed" for r in details[i]["recent_runs"])
    )

    serve_run = served_ai_squared.run_resource

    def at_maximum(sync: object, runs: object, k: int) -> dict:
        run = serve_run(sync, runs, k)
        attributes = run["attributes"]
        if attributes["sync_id"] == ai_sync and attributes["status"] == "success":
            attributes = {**attributes, "total_rows": MAX, "successful_rows": MAX, "failed_rows": MAX}
        return {**run, "attributes": attributes}

    serve_detail = type(timbal).sync_detail

    def detail_at_maximum(self: object, sync_id: str) -> dict:
        detail = serve_detail(self, sync_id)
        if sync_id != timbal_sync:
            return detail
        runs = [{**r, "rows_emitted": MAX} if r["state"] == "completed" else r for r in detail["recent_runs"]]
        return {**detail, "recent_runs": runs, "stats": {**detail["stats"], "rows_total": MAX}}

    monkeypatch.setattr(served_ai_squared, "run_resource", at_maximum)
    monkeypatch.setattr(type(timbal), "sync_detail", detail_at_maximum)

    expected: dict[tuple[str, str, date], int] = defaultdict(int)
    for run in box.world.ai_squared.truth_runs(ai_sync):
        a = run["attributes"]
        rows = MAX if a["status"] == "success" else a["successful_rows"]
        ended = a["finished_at"] or (
            a["updated_at"] if a["status"] in ("success", "failed", "canceled") else None
        )
        expected["ai_squared", str(ai_sync), day_of(ended, a["started_at"], a["created_at"])] += rows
    for run in detail_at_maximum(timbal, timbal_sync)["recent_runs"]:
        day = day_of(run["finished_at"], run["started_at"], run["created_at"])
        expected["timbal", timbal_sync, day] += run["rows_emitted"]

    db = tmp_path / "w.duckdb"
    with environment(box.env()):
        outcome = execute(db, ["ai_squared", "timbal"])  # models, data tests, publish
    out, err = capsys.readouterr()
    assert outcome.exit_code == EXIT_OK, out + err
    lines = out.splitlines()
    beyond = {key: total for key, total in expected.items() if fits(total) is None}
    assert 0 < len(beyond) <= 5  # the warning shows up to 5 rows
    warning = lines.index(
        f"data test   warning: sql/tests/aggregates_overflowing_64_bits.sql: {len(beyond)} offending rows"
    )
    assert sorted(lines[warning + 1 : warning + 1 + len(beyond)]) == sorted(
        f"    value_of='marts.sync_daily.rows_synced', vendor={v!r}, sync_id={s!r}, point='{d}', "
        f"exact='{total}'"
        for (v, s, d), total in beyond.items()
    )
    with duckdb.connect(str(db), read_only=True) as con:
        built = {
            n
            for (n,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        }
        daily = con.execute(
            "select vendor, sync_id, day, rows_synced from marts.sync_daily where (vendor, sync_id) in "
            "(('ai_squared', ?), ('timbal', ?))",
            [str(ai_sync), timbal_sync],
        ).fetchall()
    assert built >= MARTS
    assert {(v, s, d): n for v, s, d, n in daily} == {key: fits(total) for key, total in expected.items()}
    assert None in {fits(total) for total in expected.values()}, "some day must overflow 64 bits"

"""Everything the vendor excerpts allow loads, exactly (issue 19).

Spec worlds (tests/conformance/worlds.py) are served over loopback, every answer validated
against its excerpt first, loaded with the real pipeline into DuckDB, and every served id and
scalar is looked up in raw_<vendor> (tests/conformance/expect.py). The issue's cases, and
those the random worlds found beyond them, are explicit worlds (tests/conformance/cases.py), one
test each; each vendor also gets seeded random worlds. Hypothesis runs derandomized and without
its example database, so CI sees the same worlds on every run, and the example counts keep the
module at a few tens of seconds on two cores (a load is about a second).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, Phase, given, settings

from . import cases
from .harness import assert_faithful, load_world
from .worlds import (
    AiSquaredWorld,
    ParagonWorld,
    TimbalWorld,
    ai_squared_worlds,
    paragon_worlds,
    timbal_worlds,
)

RANDOM_WORLDS = 6  # seeded random worlds per vendor, on top of the explicit cases

bounded = settings(
    max_examples=RANDOM_WORLDS,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],  # no shrinking in CI: the failing world is printed whole
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    print_blob=False,
)
CASES = {"ai_squared": cases.AI_SQUARED, "timbal": cases.TIMBAL, "paragon": cases.PARAGON}


@pytest.mark.parametrize(
    ("vendor", "case"), [(vendor, case) for vendor, worlds in CASES.items() for case in worlds]
)
def test_each_case_of_the_issue_loads_exactly(vendor: str, case: str) -> None:
    assert_faithful(vendor, CASES[vendor][case])


@bounded
@given(world=ai_squared_worlds())
def test_random_ai_squared_worlds_load_exactly(world: AiSquaredWorld) -> None:
    assert_faithful("ai_squared", world)


@bounded
@given(world=timbal_worlds())
def test_random_timbal_worlds_load_exactly(world: TimbalWorld) -> None:
    assert_faithful("timbal", world)


@bounded
@given(world=paragon_worlds())
def test_random_paragon_worlds_load_exactly(world: ParagonWorld) -> None:
    assert_faithful("paragon", world)


def test_a_lossy_load_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Negative control: a source step that keeps milliseconds and drops NUL characters."""
    import sources.ai_squared as aisq

    real = aisq.runs_table

    def lossy(runs: list[dict]) -> pa.Table:
        def cut(value: object) -> object:
            if isinstance(value, str) and value[:4].isdigit() and "." in value:
                head, tail = value.split(".", 1)
                return f"{head}.{tail[:3]}Z"
            return value.replace("\x00", "") if isinstance(value, str) else value

        return real([{k: cut(v) for k, v in run.items()} for run in runs])

    monkeypatch.setattr(aisq, "runs_table", lossy)
    world = cases.aisq_world([cases.aisq_run(1, started_at="2026-11-18T11:06:40.123456Z", error="a\x00b")])
    assert load_world("ai_squared", world) == [
        "sync_runs 1: started_at: served '2026-11-18T11:06:40.123456Z', "
        "stored 1795000000123000 (TIMESTAMP WITH TIME ZONE)",
        "sync_runs 1: error: served 'a\\x00b', stored 'ab' (VARCHAR)",
    ]


def test_a_failed_load_names_the_real_cause(monkeypatch: pytest.MonkeyPatch) -> None:
    """Case 6: the failure line names the vendor, sync, run, table and the error, never the
    StopIteration of dlt's iterator that the error interrupted."""
    import sources.ai_squared as aisq

    def broken(runs: list[dict]) -> pa.Table:
        return pa.table({"id": pa.array(["12abc"]).cast(pa.int64())})

    monkeypatch.setattr(aisq, "runs_table", broken)
    assert load_world("ai_squared", cases.aisq_world([cases.aisq_run(1)])) == [
        "load failed: ai_squared: sync 7 run 1: sync_runs: "
        "Failed to parse string: '12abc' as a scalar of type int64 (ArrowInvalid)"
    ]


def test_a_body_the_excerpt_refuses_is_reported_not_used() -> None:
    """The harness's own check: a run whose `total_rows` is text breaks the excerpt."""
    world = cases.aisq_world([cases.aisq_run(1, total_rows="12abc")])
    problems = load_world("ai_squared", world)
    assert len(problems) == 1
    assert problems[0].startswith("not spec-valid (a harness bug): /api/v1/syncs/7/sync_runs: InvalidData")


def test_counters_near_the_int64_maximum_build_the_marts(tmp_path: Path) -> None:
    """Case 8: two runs of one sync and day whose counters sum past int64 load and build."""
    from pipelines.models import build

    db = tmp_path / "warehouse.duckdb"
    assert load_world("ai_squared", cases.OVERFLOW, db) == []
    build(db, as_of=datetime(2026, 11, 19, tzinfo=UTC))  # ModelError (exit 6) before the fix
    with duckdb.connect(str(db), read_only=True) as con:
        days = con.execute("select count(*) from marts.sync_daily where vendor = 'ai_squared'").fetchone()
    assert days == (1,)

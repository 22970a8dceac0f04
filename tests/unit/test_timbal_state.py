"""Timbal's hashing state (`hashes`, `recent`, `listed`) and destination scope, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb

from sources.timbal import _forget_unlisted, changed_runs, changed_snapshots, destination_scope
from sources.timbal.poll import Detail, Listing
from sources.timbal.tables import config_row

T0 = datetime(2026, 11, 18, tzinfo=UTC)
VIEW = {
    "id": "s1",
    "connector_id": "c1",
    "name": "orders",
    "interval_secs": 300,
    "enabled": True,
    "created_at": "2026-11-01T00:00:00+00:00",
    "updated_at": "2026-11-02T00:00:00+00:00",
    "last_state": "completed",
    "seconds_since_success": 60,
}
STATS = {"runs_total": 3, "runs_completed": 3, "runs_failed": 0, "rows_total": 90}


def detail(view: dict = VIEW, stats: dict = STATS, runs: list | None = None, at: datetime = T0) -> Detail:
    return Detail(str(view["id"]), view, stats, runs or [], at)


def run(job: str, state: str = "completed", rows: int = 10) -> dict:
    return {"job_id": job, "state": state, "rows_emitted": rows}


def test_destination_scope_is_all_or_the_quoted_connectors() -> None:
    assert destination_scope(None) == "TRUE"
    assert destination_scope(["c1", "o'k", "{x}"]) == "{table}.connector_id IN ('c1', 'o''k', '{{x}}')"


def test_destination_scope_selects_exactly_the_named_connectors_in_sql() -> None:
    scope = destination_scope(["c1", "o'k", "{x}"]).format(table="t")
    con = duckdb.connect()
    con.execute(
        "create table t as select * from (values ('c1'), ('o''k'), ('{x}'), ('c2'), ('x')) v(connector_id)"
    )
    assert sorted(r[0] for r in con.execute(f"select connector_id from t where {scope}").fetchall()) == [
        "c1",
        "o'k",
        "{x}",
    ]


def test_config_hash_covers_configuration_only() -> None:
    base = config_row(VIEW)["config_hash"]
    assert config_row({**VIEW, "updated_at": "2026-11-03T00:00:00+00:00"})["config_hash"] == base
    assert config_row({**VIEW, "last_state": "failed"})["config_hash"] == base
    assert config_row({**VIEW, "interval_secs": 600})["config_hash"] != base
    assert config_row({**VIEW, "enabled": False})["config_hash"] != base


def test_changed_snapshots_ignores_the_growing_lag_and_sees_stats() -> None:
    hashes: dict[str, str] = {}
    rows = changed_snapshots(hashes, [detail()])
    assert [(r["sync_id"], r["polled_at"], r["runs_total"], r["seconds_since_success"]) for r in rows] == [
        ("s1", T0, 3, 60)
    ]
    first = hashes["s1"]
    later = T0 + timedelta(minutes=5)
    lagging = {**VIEW, "seconds_since_success": 360}
    assert changed_snapshots(hashes, [detail(lagging, at=later)]) == []
    assert hashes == {"s1": first}
    more = {**STATS, "runs_total": 4}
    rows = changed_snapshots(hashes, [detail(lagging, more, at=later)])
    assert [(r["polled_at"], r["runs_total"]) for r in rows] == [(later, 4)]
    assert hashes["s1"] != first


def test_changed_runs_loads_new_and_changed_runs_once() -> None:
    recent: dict[str, dict[str, str]] = {}
    rows = changed_runs(recent, detail(runs=[run("j1", "running", 0), {"no": "job id"}, "junk"]))
    assert rows == [{**run("j1", "running", 0), "sync_id": "s1"}]
    assert list(recent["s1"]) == ["j1"]
    assert changed_runs(recent, detail(runs=[run("j1", "running", 0)])) == []
    rows = changed_runs(recent, detail(runs=[run("j2"), run("j1")]))  # j1 completed, j2 new
    assert [(r["job_id"], r["state"]) for r in rows] == [("j2", "completed"), ("j1", "completed")]
    rows = changed_runs(recent, detail(runs=[run("j3"), run("j2")]))  # j1 left the window
    assert [r["job_id"] for r in rows] == ["j3"]
    assert sorted(recent["s1"]) == ["j2", "j3"]


class FakePoll:
    def __init__(self, ids: list[str], narrowed: bool) -> None:
        self.narrowed, self._ids = narrowed, ids

    def listing(self) -> Listing:
        return Listing([{"id": i} for i in self._ids], T0)


def test_state_of_unlisted_syncs_is_forgotten_only_after_a_full_list() -> None:
    state = {"s1": "a", "s2": "b", "s3": "c"}
    _forget_unlisted(state, FakePoll(["s1"], narrowed=True))  # type: ignore[arg-type]
    assert state == {"s1": "a", "s2": "b", "s3": "c"}
    _forget_unlisted(state, FakePoll(["s1", "s3", "s9"], narrowed=False))  # type: ignore[arg-type]
    assert state == {"s1": "a", "s3": "c"}

"""The Timbal source keeps what the sandbox showed at each poll: config history, snapshots, runs.

Expectations come from the sandbox's truth, recorded at each poll (the world only moves when the
test advances it), never from the warehouse or the source's own logic.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from pipelines.models import build
from pipelines.runner import VendorResult, state_dir
from sandbox.clock import iso_ms
from sandbox.faults import Faults
from sandbox.http import Request
from sandbox.service import Sandbox
from tests.conftest import Loader, kill_midway, small_config
from tests.sources.warehouse import all_text, rows
from tests.spec_validation import spec_dict

RAW = "raw_timbal"
# The configuration is what the vendor's SyncView documents, less what a run moves (its spec
# says so of has_cursor, last_*, seconds_since_success) and the row's own touch time.
RUN_DRIVEN = {"has_cursor", "last_run_at", "last_state", "last_success_at", "seconds_since_success"}
SYNC_VIEW = spec_dict("timbal_get_connector_sync")["components"]["schemas"]["SyncView"]["properties"]
CONFIG = tuple(sorted(set(SYNC_VIEW) - RUN_DRIVEN - {"updated_at"}))
FRESHNESS = ("has_cursor", "last_run_at", "last_state", "last_success_at")


class Polls:
    """Loads the Timbal source and records, per load, the world time and the truth at it."""

    def __init__(self, box: Sandbox, load: Loader, db: Path) -> None:
        self.box, self.load, self.db = box, load, db
        self.window = box.world.config.timbal_recent_runs
        self.times: list[int] = []
        self.runs_at: list[list[dict]] = []
        self.details_at: list[list[dict]] = []

    def poll(self, **settings: object) -> VendorResult:
        result = self.load(self.box, "timbal", **settings)
        assert result.status == "loaded", result.message
        self.record()
        return result

    def record(self) -> None:
        world = self.box.world.timbal
        self.times.append(self.box.world.now)
        self.runs_at.append(world.truth_runs())
        self.details_at.append(world.truth_syncs())

    # expectations ----------------------------------------------------------------------------
    def shown(self) -> dict[str, set[str]]:
        """Job ids each sync showed in some poll's window, from the final full history alone."""
        by_sync: dict[str, list[dict]] = defaultdict(list)
        for run in self.box.world.timbal.truth_runs():
            by_sync[run["sync_id"]].append(run)
        out = {}
        for sync_id, runs in by_sync.items():
            runs.sort(key=lambda r: r["created_at"])
            out[sync_id] = set()
            for t in self.times:
                visible = [r["job_id"] for r in runs if r["created_at"] <= iso_ms(t)]
                out[sync_id] |= set(visible[-self.window :])
        return out

    def missed(self) -> dict[str, int]:
        """Runs created by the last poll that no poll's window showed, per sync."""
        last = iso_ms(self.times[-1])
        created: dict[str, int] = defaultdict(int)
        for run in self.box.world.timbal.truth_runs():
            created[run["sync_id"]] += run["created_at"] <= last
        shown = self.shown()
        return {s: created[s] - len(shown.get(s, ())) for s in self.box.world.timbal.sync_ids}

    def runs_as_last_shown(self) -> dict[str, dict]:
        """Each shown run with the values of the last poll that showed it."""
        out = {}
        for runs in self.runs_at:
            by_sync: dict[str, list[dict]] = defaultdict(list)
            for run in runs:
                by_sync[run["sync_id"]].append(run)
            for sync_runs in by_sync.values():
                for run in sorted(sync_runs, key=lambda r: r["created_at"])[-self.window :]:
                    out[run["job_id"]] = run
        return out

    def snapshots(self) -> dict[tuple[str, str], dict]:
        """A row per sync and poll whose stats or freshness differ from that sync's last row."""
        out, last = {}, {}
        for t, details in zip(self.times, self.details_at, strict=True):
            for detail in details:
                sync = detail["sync"]
                content = {**detail["stats"], **{k: sync[k] for k in FRESHNESS}}
                if last.get(sync["id"]) != content:
                    last[sync["id"]] = content
                    row = {"sync_id": sync["id"], "polled_at": iso_ms(t), **content}
                    out[(sync["id"], iso_ms(t))] = {
                        **row,
                        "seconds_since_success": sync["seconds_since_success"],
                    }
        return out

    def versions(self) -> dict[str, list[dict]]:
        """Per sync, each configuration as first seen by a poll, valid until a poll saw another."""
        out: dict[str, list[dict]] = defaultdict(list)
        for t, details in zip(self.times, self.details_at, strict=True):
            for detail in details:
                sync, versions = detail["sync"], out[detail["sync"]["id"]]
                config = {k: sync[k] for k in CONFIG}
                if versions and {k: versions[-1][k] for k in CONFIG} == config:
                    continue
                if versions:
                    versions[-1]["_dlt_valid_to"] = iso_ms(t)
                row = {**config, "updated_at": sync["updated_at"]}
                versions.append({**row, "_dlt_valid_from": iso_ms(t), "_dlt_valid_to": None})
        return dict(out)


def versions_in(db: Path) -> dict[str, list[dict]]:
    """The warehouse's sync versions per sync, oldest first, with validity as ISO-ms text."""
    with duckdb.connect(str(db), read_only=True) as con:
        relation = con.sql(f"select * from {RAW}.syncs order by id, _dlt_valid_from")
        names, data = relation.columns, relation.fetchall()
    out: dict[str, list[dict]] = defaultdict(list)
    for values in data:
        row = dict(zip(names, values, strict=True))
        keep = {k: row[k] for k in (*CONFIG, "updated_at", "_dlt_valid_from", "_dlt_valid_to")}
        for k, v in keep.items():
            if hasattr(v, "astimezone"):
                keep[k] = iso_ms(int(v.timestamp() * 1000))
        out[row["id"]].append(keep)
    return dict(out)


def runs_in(db: Path) -> dict[str, dict]:
    return {r["job_id"]: r for r in rows(db, RAW, "sync_runs")}


def snapshots_in(db: Path) -> dict[tuple[str, str], dict]:
    return {(r["sync_id"], r["polled_at"]): r for r in rows(db, RAW, "sync_snapshots")}


def coverage_in(db: Path) -> dict[str, int]:
    """Runs missed per sync, as the warehouse reports them (marts.history_coverage)."""
    build(db)
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("select sync_id, runs_missed from marts.history_coverage").fetchall())


def assert_equals_truth(polls: Polls) -> None:
    assert runs_in(polls.db) == polls.runs_as_last_shown()
    assert snapshots_in(polls.db) == polls.snapshots()
    assert versions_in(polls.db) == polls.versions()


@pytest.fixture
def box() -> Sandbox:
    with Sandbox(small_config()) as sandbox:
        yield sandbox


@pytest.fixture
def polls(box: Sandbox, load: Loader, db: Path) -> Polls:
    return Polls(box, load, db)


def test_polls_closer_than_the_window_keep_every_run_shown_with_its_final_values(polls: Polls) -> None:
    for _ in range(3):
        polls.poll()
        polls.box.advance(2 * 3600)  # < window x the shortest enabled interval (10 x 30 min)
    polls.poll()
    final = {r["job_id"]: r for r in polls.box.world.timbal.truth_runs()}
    shown = set().union(*polls.shown().values())
    assert runs_in(polls.db) == {job: final[job] for job in shown}
    first = iso_ms(polls.times[0])
    assert all(job in shown for job, run in final.items() if run["created_at"] > first)
    assert coverage_in(polls.db) == polls.missed()
    assert sum(polls.missed().values()) > 0  # history from before the first poll is out of reach


def test_polls_wider_than_the_window_report_exactly_the_runs_missed(polls: Polls) -> None:
    for _ in range(2):
        polls.poll()
        polls.box.advance(2 * 24 * 3600)
    polls.poll()
    missed = polls.missed()
    assert coverage_in(polls.db) == missed
    assert runs_in(polls.db) == polls.runs_as_last_shown()
    assert set(runs_in(polls.db)) == set().union(*polls.shown().values())
    assert missed["sync_dc778c6ea435"] > 2 * 48 - 2 * polls.window  # a 30-minute sync lost most


def test_snapshots_are_appended_only_when_stats_or_freshness_change(polls: Polls) -> None:
    results = []
    for step in (3600, 600, 0):
        results.append(polls.poll())
        polls.box.advance(step)
    results.append(polls.poll())
    expected = polls.snapshots()
    assert snapshots_in(polls.db) == expected
    per_poll = [sum(k[1] == iso_ms(t) for k in expected) for t in polls.times[:3]]
    assert per_poll[0] == len(polls.box.world.timbal.sync_ids)
    assert 0 < per_poll[2] < per_poll[1] < per_poll[0]  # 10 minutes move fewer syncs than an hour
    assert [r.rows.get("sync_snapshots", 0) for r in results] == [*per_poll, 0]


def test_config_changes_close_one_version_and_open_one_and_nothing_else_moves(polls: Polls) -> None:
    world = polls.box.world.timbal
    disabled, retimed = "sync_b2aa245dc7b2", "sync_12e8da3f3e70"
    polls.poll()
    polls.box.advance(2 * 3600)
    world.update_sync(disabled, enabled=False)
    world.update_sync(retimed, interval_secs=7200)
    polls.box.advance(600)
    polls.poll()
    for _ in range(2):
        polls.box.advance(3600)
        polls.poll()
    found = versions_in(polls.db)
    assert found == polls.versions()
    first, second = iso_ms(polls.times[0]), iso_ms(polls.times[1])
    for sync_id in (disabled, retimed):
        old, new = found[sync_id]
        assert (old["_dlt_valid_from"], old["_dlt_valid_to"]) == (first, second)
        assert (new["_dlt_valid_from"], new["_dlt_valid_to"]) == (second, None)
        truth = world.truth_config_versions(sync_id)
        assert [{k: v[k] for k in (*CONFIG, "updated_at")} for v in truth] == [
            {k: v[k] for k in (*CONFIG, "updated_at")} for v in (old, new)
        ]
    assert not found[disabled][1]["enabled"] and found[retimed][1]["interval_secs"] == 7200
    unchanged = set(world.sync_ids) - {disabled, retimed}
    assert all(len(found[s]) == 1 and found[s][0]["_dlt_valid_to"] is None for s in unchanged)
    # Freshness and has_cursor moved during these polls without opening any version.
    flipped = {d["sync"]["id"] for d in polls.details_at[-1] if d["sync"]["has_cursor"]} - {
        d["sync"]["id"] for d in polls.details_at[0] if d["sync"]["has_cursor"]
    }
    assert flipped & unchanged


def test_an_unchanged_world_polled_again_loads_nothing_with_one_request_per_sync(polls: Polls) -> None:
    polls.poll()
    polls.box.reset_requests()
    result = polls.poll()
    world = polls.box.world.timbal
    targets = sorted(r.target for r in polls.box.requests("timbal"))
    org = world.org_id
    details = sorted(
        f"/orgs/{org}/connectors/{s['connector_id']}/syncs/{s['id']}" for s in world.list_syncs()
    )
    assert targets == sorted([f"/orgs/{org}/connectors/syncs", *details])
    assert result.rows == {} and result.requests == 1 + len(world.sync_ids)
    assert_equals_truth(polls)


def test_connector_ids_narrow_the_polls_and_never_close_other_connectors_syncs(
    polls: Polls, caplog: pytest.LogCaptureFixture
) -> None:
    world, box = polls.box.world.timbal, polls.box
    narrowed, other = world.connector_ids[0], world.connector_ids[1]
    mine = [s["id"] for s in world.list_syncs(narrowed)]
    polls.poll()
    box.advance(600)
    world.update_sync(mine[0], enabled=False)
    world.update_sync(world.list_syncs(other)[0]["id"], name="renamed")
    box.reset_requests()
    result = polls.load(box, "timbal", connector_ids=f'["{narrowed}", "conn_unknown"]')
    assert result.status == "loaded", result.message
    assert "timbal: connector conn_unknown (from sources.timbal.connector_ids) lists no syncs" in caplog.text
    lists = sorted(r.target for r in box.requests("timbal") if r.target.split("?")[0].endswith("/syncs"))
    assert lists == [
        f"/orgs/{world.org_id}/connectors/syncs?connector_id={c}" for c in sorted([narrowed, "conn_unknown"])
    ]
    assert result.requests == 2 + len(mine)
    found = versions_in(polls.db)
    assert [v["enabled"] for v in found[mine[0]]] == [True, False]
    assert all(v[-1]["_dlt_valid_to"] is None for v in found.values())  # other connectors kept open
    assert {
        r["sync_id"] for r in rows(polls.db, RAW, "sync_snapshots") if r["polled_at"] > iso_ms(polls.times[0])
    } <= set(mine)

    # A full list that no longer shows the other connectors' syncs (deleted) closes them, even
    # though the previous load was narrowed: the scope is set on every load.
    box.advance(600)

    def only_narrowed(request: Request) -> None:
        if request.path.endswith("/connectors/syncs"):
            request.query = [("connector_id", narrowed)]

    box.before_request("timbal", only_narrowed)
    assert polls.load(box, "timbal", connector_ids=None).status == "loaded"
    box.before_request("timbal", None)
    found = versions_in(polls.db)
    closed_at = iso_ms(box.world.now)
    assert all(found[s][-1]["_dlt_valid_to"] is None for s in mine)
    gone = set(world.sync_ids) - set(mine)
    assert all(found[s][-1]["_dlt_valid_to"] == closed_at for s in gone)
    assert all(len(found[s]) == 1 for s in gone)  # the rename was never seen: no version for it


def test_a_sync_deleted_between_list_and_detail_is_a_warning_and_stays_listed(
    polls: Polls, caplog: pytest.LogCaptureFixture
) -> None:
    world = polls.box.world.timbal
    gone = world.sync_ids[3]
    connector = world.setup(gone).connector.id

    def not_found(request: Request) -> None:
        if request.path.endswith(f"/syncs/{gone}"):
            request.path = request.path.replace(gone, "sync_deleted")

    polls.box.before_request("timbal", not_found)
    polls.poll()
    polls.box.before_request("timbal", None)
    assert (
        f"timbal: sync {gone} of connector {connector} not found (HTTP 404; deleted since it was listed?); "
        "skipped" in caplog.text
    )
    assert gone not in {r["sync_id"] for r in rows(polls.db, RAW, "sync_snapshots")}
    assert gone not in {r["sync_id"] for r in rows(polls.db, RAW, "sync_runs")}
    assert versions_in(polls.db)[gone][0]["_dlt_valid_to"] is None  # listed, so not closed
    polls.box.advance(600)
    polls.poll()
    polls.times, polls.runs_at, polls.details_at = polls.times[1:], polls.runs_at[1:], polls.details_at[1:]
    assert {k for k in snapshots_in(polls.db) if k[0] == gone} == {(gone, iso_ms(polls.times[0]))}
    assert {j for j, r in runs_in(polls.db).items() if r["sync_id"] == gone} == polls.shown()[gone]


def test_faults_do_not_change_what_is_loaded(polls: Polls) -> None:
    faults = Faults(rate_limit_per_s=8, error_rate=0.15, drop_rate=0.1, truncate_rate=0.1, seed=3)
    polls.box.set_faults("timbal", faults)
    first = polls.poll(max_attempts=12)
    polls.box.advance(3600)
    second = polls.poll(max_attempts=12)
    statuses = {r.status for r in polls.box.requests("timbal")}
    assert {429, 0} <= statuses and statuses & {500, 502, 503}
    assert first.retries + second.retries > 0
    assert_equals_truth(polls)


def test_a_load_killed_mid_way_then_rerun_equals_the_truth(polls: Polls, db: Path) -> None:
    box = polls.box
    box.set_faults("timbal", Faults(latency_ms=300))
    kill_midway(box, "timbal", db, after_requests=4)
    box.set_faults("timbal", Faults())
    box.advance(1800)
    polls.poll()
    polls.box.advance(1800)
    polls.poll()
    assert_equals_truth(polls)


KILL_IN_MERGE = """
import os, signal, sys
from dlt.destinations.sql_jobs import SqlMergeFollowupJob
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
SqlMergeFollowupJob.gen_scd2_sql = classmethod(die)
from pipelines.cli import main
sys.argv = ["syncscope", "run", "--vendor", "timbal", "--db", sys.argv[1]]
main()
"""


def test_a_load_killed_inside_the_warehouse_merge_is_finished_by_the_next_runs(
    polls: Polls, load: Loader, db: Path
) -> None:
    box = polls.box
    env = {**os.environ, **box.env(), "RUNTIME__DLTHUB_TELEMETRY": "false"}
    proc = subprocess.run(
        [sys.executable, "-c", KILL_IN_MERGE, str(db)], env=env, capture_output=True, timeout=60
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    polls.record()  # the killed load polled this world; its package is still pending
    finished = load(box, "timbal")
    assert finished.status == "loaded", finished.message
    box.advance(1800)
    polls.poll()
    assert_equals_truth(polls)


def test_api_key_never_appears_in_logs_errors_tables_or_state(
    polls: Polls, caplog: pytest.LogCaptureFixture
) -> None:
    key = polls.box.world.timbal.api_key
    caplog.set_level(logging.DEBUG)
    polls.box.set_faults("timbal", Faults(error_rate=0.2, seed=1))
    polls.poll()
    polls.box.set_faults("timbal", Faults())
    failed = polls.load(polls.box, "timbal", api_key=key[:-4] + "AAAA")
    assert failed.status == "failed"
    secrets = (key, key[:-4] + "AAAA")
    assert not any(s in caplog.text for s in secrets)
    assert not any(s in failed.message for s in secrets)
    assert not any(s in all_text(polls.db) for s in secrets)
    for path in state_dir(polls.db).rglob("*"):
        if path.is_file():
            assert not any(s.encode() in path.read_bytes() for s in secrets), path


def test_wrong_key_fails_in_one_line_naming_the_setting(box: Sandbox, load: Loader) -> None:
    result = load(box, "timbal", api_key="tbl_sk_wrong")
    assert (result.status, result.message) == (
        "failed",
        f"timbal: HTTP 403 Forbidden from /orgs/{box.world.timbal.org_id}/connectors/syncs: "
        "check sources.timbal.api_key",
    )


def test_without_an_api_key_the_vendor_is_skipped_in_one_line(box: Sandbox, load: Loader) -> None:
    result = load(box, "timbal", api_key=None)
    assert (result.status, result.message) == (
        "skipped",
        "timbal: no credentials: set sources.timbal.api_key",
    )

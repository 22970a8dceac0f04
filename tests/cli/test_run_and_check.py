"""`syncscope run`, `check` and `demo` as a scheduler and an on-call engineer meet them."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.check import Thresholds, breaches
from pipelines.commands.demo import environment
from pipelines.commands.run import execute
from pipelines.data_tests import run_tests
from pipelines.exit_codes import (
    EXIT_CONFIG,
    EXIT_DATA_TESTS,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_VENDORS_FAILED,
)
from pipelines.lock import LockHeld, warehouse_lock
from pipelines.models import SQL_DIR
from pipelines.warehouse_reads import load_health
from sandbox.faults import Faults
from sandbox.service import Sandbox
from tests.conftest import small_config


def syncscope(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """Run the CLI with exactly the SOURCES__ variables given (none from the calling shell)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SOURCES__")}
    environment.update({"RUNTIME__DLTHUB_TELEMETRY": "false", **(env or {})})
    command = [sys.executable, "-m", "pipelines.cli", *args]
    return subprocess.run(command, env=environment, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def box() -> Sandbox:
    with Sandbox(small_config(records=5_000)) as sandbox:
        yield sandbox


def test_run_loads_every_configured_vendor_and_builds_models(box: Sandbox, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    result = syncscope("run", "--db", str(db), env=box.env())
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [
        "ai_squared",
        "timbal",
        "paragon",
        "models",
        "tests",
        "publish",
    ]
    assert all(" loaded in " in line for line in lines[:3])
    assert lines[4] == f"tests       {len(run_tests(db))} data tests passed"
    assert len(load_health(db)) == 3 * len(box.world.ai_squared.syncs)


def published_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a publish folder, by relative path: the copy BI tools read, byte for byte."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_failing_data_test_exits_8_shows_its_rows_and_publishes_nothing(
    box: Sandbox, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    assert syncscope("run", "--db", str(db), env=box.env()).returncode == EXIT_OK
    before = published_bytes(tmp_path / "w_published")
    with duckdb.connect(str(db)) as con:  # a raw run stored twice: its key is no longer unique
        run_id = con.execute("select min(id) from raw_ai_squared.sync_runs").fetchone()[0]
        twice = "insert into raw_ai_squared.sync_runs select * from raw_ai_squared.sync_runs where id = ?"
        con.execute(twice, [run_id])
    result = syncscope("run", "--db", str(db), env=box.env())  # same world: the loads add nothing
    assert result.returncode == EXIT_DATA_TESTS, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "data test   staging.stg_ai_squared__sync_runs key unique (vendor, run_id): 1 offending row",
        f"    vendor='ai_squared', run_id='{run_id}', copies=2",
        "data test   marts.sync_runs key unique (vendor, sync_id, run_id): 1 offending row",
        f"    vendor='ai_squared', sync_id={sync_of(db, run_id)!r}, run_id='{run_id}', copies=2",
        "data test   sql/tests/marts_reconcile_with_raw.sql: 1 offending row",
        f"    reconciliation='marts.sync_runs rows = raw runs', vendor='ai_squared', "
        f"expected={runs_in(db)}, found={runs_in(db) + 1}",
        "publish     skipped: 3 data tests failed; BI tools keep the previous version",
    ]
    assert published_bytes(tmp_path / "w_published") == before


def sync_of(db: Path, run_id: int) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        return str(
            con.execute("select sync_id from raw_ai_squared.sync_runs where id = ?", [run_id]).fetchone()[0]
        )


def runs_in(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select count(distinct id) from raw_ai_squared.sync_runs").fetchone()[0]


def test_a_broken_test_file_exits_8_in_one_line_naming_it(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    (sql / "tests" / "broken.sql").write_text("select * form marts.syncs where")
    monkeypatch.setattr("pipelines.run.run_tests", functools.partial(run_tests, sql_dir=sql))
    with environment(box.env()):
        outcome = execute(tmp_path / "w.duckdb", ["ai_squared"])
    assert outcome.exit_code == EXIT_DATA_TESTS and outcome.publication is None
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "Traceback" not in "\n".join(err)
    assert err[0].startswith("data test   sql/tests/broken.sql cannot run: line 1 syntax error: ")
    assert err[1] == "publish     skipped: 1 data test failed; BI tools keep the previous version"
    assert not (tmp_path / "w_published").exists()


def test_a_vendor_down_does_not_stop_the_others(box: Sandbox, tmp_path: Path) -> None:
    box.set_faults("timbal", Faults(error_rate=1.0))
    try:
        env = {**box.env(), "SOURCES__TIMBAL__MAX_ATTEMPTS": "2"}
        result = syncscope("run", "--db", str(tmp_path / "w.duckdb"), env=env)
    finally:
        box.set_faults("timbal", Faults())
    assert result.returncode == EXIT_PARTIAL, result.stdout + result.stderr
    timbal = next(line for line in result.stdout.splitlines() if line.startswith("timbal"))
    assert timbal.startswith("timbal      failed: timbal: HTTP 50") and "after 2 attempts" in timbal
    assert "ai_squared  loaded" in result.stdout and "paragon     loaded" in result.stdout


def test_every_vendor_refusing_credentials_exits_3(box: Sandbox, tmp_path: Path) -> None:
    env = {name: value for name, value in box.env().items() if "LOGIN" not in name}
    env.update(
        SOURCES__AI_SQUARED__API_TOKEN="wrong",
        SOURCES__TIMBAL__API_KEY="wrong",
        SOURCES__PARAGON__USER_TOKENS='["wrong"]',
    )
    result = syncscope("run", "--db", str(tmp_path / "w.duckdb"), env=env)
    assert result.returncode == EXIT_VENDORS_FAILED, result.stdout + result.stderr
    assert result.stdout.count(" failed: ") == 3


def test_a_wrong_setting_exits_2_with_one_line(box: Sandbox, tmp_path: Path) -> None:
    env = {**box.env(), "SOURCES__AI_SQUARED__RECORDS_MODE": "some"}
    result = syncscope("run", "--vendor", "ai_squared", "--db", str(tmp_path / "w.duckdb"), env=env)
    assert result.returncode == EXIT_CONFIG
    assert result.stdout.splitlines()[0] == (
        "ai_squared  failed: ai_squared: records_mode must be one of failed, all, none, not 'some'"
    )


def test_no_vendor_configured_skips_each_in_one_line_and_exits_2(tmp_path: Path) -> None:
    result = syncscope("run", "--db", str(tmp_path / "w.duckdb"), env={}, cwd=tmp_path)
    assert result.returncode == EXIT_CONFIG, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "ai_squared  skipped: ai_squared: not configured (base_url missing); skipped",
        "timbal      skipped: timbal: not configured (base_url, org_id missing); skipped",
        "paragon     skipped: paragon: not configured (base_url missing); skipped",
    ]


def test_a_second_run_on_a_locked_warehouse_exits_at_once(box: Sandbox, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with warehouse_lock(db):
        result = syncscope("run", "--db", str(db), env=box.env())
        with pytest.raises(LockHeld, match="is being loaded by pid"), warehouse_lock(db):
            pass
    assert result.returncode == EXIT_LOCKED
    assert (
        result.stderr.strip() == f"run: {db} is being loaded by pid {os.getpid()}; try again when it finishes"
    )
    assert not db.exists()


def test_check_lists_breaches_and_exits_1_and_json_says_the_same(box: Sandbox, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    assert syncscope("run", "--db", str(db), env=box.env()).returncode == EXIT_OK
    expected = breaches(load_health(db), Thresholds())
    assert expected, "the sandbox world has failing syncs"
    text = syncscope("check", "--db", str(db))
    assert text.returncode == 1
    assert (
        text.stdout.splitlines()[-1] == f"{len(expected)} of {len(load_health(db))} syncs breach a threshold"
    )
    payload = json.loads(syncscope("check", "--db", str(db), "--json").stdout)
    assert [(b["vendor"], b["sync_id"]) for b in payload["breaches"]] == [
        (b["vendor"], b["sync_id"]) for b in expected
    ]
    relaxed = syncscope("check", "--db", str(db), "--min-success-rate", "0", "--max-staleness-factor", "1e9",
                        "--max-failing-streak", "100000")  # fmt: skip
    assert relaxed.returncode == 0 and relaxed.stdout.startswith("all ")
    from_config = {"CHECK__MIN_SUCCESS_RATE": "0", "CHECK__MAX_STALENESS_FACTOR": "1e9",
                   "CHECK__MAX_FAILING_STREAK": "100000"}  # fmt: skip
    configured = syncscope("check", "--db", str(db), env=from_config)
    assert configured.returncode == 0 and configured.stdout == relaxed.stdout


def test_breaches_follow_each_threshold() -> None:
    row = {"health": "failing", "success_rate_7d": 0.5, "seconds_since_success": 7200.0,
           "staleness_s": 7200.0, "expected_interval_s": 1800, "consecutive_failures": 4}  # fmt: skip
    assert breaches([row], Thresholds())[0]["reasons"] == [
        "success rate 7d 50.0% < 90.0%",
        "no success for 4.0x the expected interval",
        "4 failed runs in a row > 3",
    ]
    assert breaches([{**row, "health": "disabled"}], Thresholds()) == []
    never = {**row, "health": "stale", "success_rate_7d": None, "seconds_since_success": None,
             "consecutive_failures": 0}  # fmt: skip
    assert breaches([never], Thresholds())[0]["reasons"] == ["never succeeded for 4.0x the expected interval"]
    assert breaches([never], Thresholds(max_staleness_factor=5.0)) == []
    assert breaches([row], Thresholds(0.5, 4.0, 4)) == []


def test_json_log_format_writes_one_object_per_step(box: Sandbox, tmp_path: Path) -> None:
    result = syncscope("run", "--db", str(tmp_path / "w.duckdb"), "--log-format", "json", env=box.env())
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["event"] for e in events] == ["vendor", "vendor", "vendor", "models", "tests", "publish", "run"]
    assert [e["vendor"] for e in events[:3]] == ["ai_squared", "timbal", "paragon"]
    assert all(e["status"] == "loaded" and e["requests"] > 0 and e["rows"] for e in events[:3])
    assert events[-1]["exit_code"] == EXIT_OK == result.returncode


def test_generic_environment_variables_never_reach_a_vendor(box: Sandbox, tmp_path: Path) -> None:
    """dlt would fill `api_key` from a bare API_KEY meant for another tool; the runner does not."""
    env = {
        name: value
        for name, value in box.env().items()
        if name not in ("SOURCES__TIMBAL__API_KEY", "SOURCES__TIMBAL__BASE_URL")
    }
    env.update(API_KEY=box.world.timbal.api_key, BASE_URL=box.url("timbal"))
    box.reset_requests("timbal")
    result = syncscope("run", "--vendor", "timbal", "--db", str(tmp_path / "w.duckdb"), env=env, cwd=tmp_path)
    assert (
        result.stdout.splitlines()[0]
        == "timbal      skipped: timbal: not configured (base_url missing); skipped"
    )
    assert box.requests("timbal") == []


def test_a_token_ending_in_a_newline_still_works_and_is_never_printed(box: Sandbox, tmp_path: Path) -> None:
    token = box.world.ai_squared.api_token
    env = {k: v for k, v in box.env().items() if "LOGIN" not in k}
    env["SOURCES__AI_SQUARED__API_TOKEN"] = token + "\r\n"  # as secret files often end
    result = syncscope("run", "--vendor", "ai_squared", "--db", str(tmp_path / "w.duckdb"), env=env)
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert token not in result.stdout + result.stderr


def test_a_setting_that_cannot_be_read_fails_its_vendor_only(box: Sandbox, tmp_path: Path) -> None:
    env = {**box.env(), "SOURCES__AI_SQUARED__HTTP_CONCURRENCY": "many"}
    result = syncscope("run", "--db", str(tmp_path / "w.duckdb"), env=env)
    assert result.returncode == EXIT_CONFIG, result.stdout + result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("ai_squared  failed: ai_squared: ") and "http_concurrency" in first
    assert "timbal      loaded" in result.stdout and "paragon     loaded" in result.stdout
    assert "Traceback" not in result.stderr

"""The AI Squared source loads exactly the sandbox's truth, incrementally, through faults."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import duckdb
import pytest

from pipelines.runner import state_dir
from sandbox.faults import Faults
from sandbox.http import Request
from sandbox.service import Sandbox
from sources.ai_squared import api as api_module
from sources.ai_squared.api import SYNCS_PER_PAGE
from sources.ai_squared.tables import RUN_SHAPE, SYNC_KINDS
from sources.toolkit import iso_ms
from sources.validate import Shape
from tests.conftest import Loader, kill_midway, small_config
from tests.sources.warehouse import all_text, flatten, rows

RAW = "raw_ai_squared"
TERMINAL = {"success", "failed", "canceled"}


def warehouse(db: Path) -> dict[str, dict]:
    runs = {r["id"]: r for r in rows(db, RAW, "sync_runs")}
    records = {(r["sync_run_id"], r["id"]): r for r in rows(db, RAW, "sync_records", ("record", "logs"))}
    syncs = {r["id"]: r for r in rows(db, RAW, "syncs")}
    return {"syncs": syncs, "runs": runs, "records": records}


def truth(box: Sandbox, mode: str = "failed") -> dict[str, dict]:
    world = box.world.ai_squared
    runs = {int(r["id"]): flatten(r) for r in world.truth_runs()}
    records = {}
    if mode != "none":
        for r in world.truth_records(status="failed" if mode == "failed" else None):
            row = flatten(r)
            if runs[row["sync_run_id"]]["status"] in TERMINAL:
                records[(row["sync_run_id"], row["id"])] = row
    syncs = {int(s["id"]): flatten(s) for s in world.truth_syncs()}
    return {"syncs": syncs, "runs": runs, "records": records}


def assert_equal(found: dict[str, dict], expected: dict[str, dict]) -> None:
    for table in ("syncs", "runs", "records"):
        assert found[table].keys() == expected[table].keys(), table
        for key, row in expected[table].items():
            got = {k: v for k, v in found[table][key].items() if k in row or v is not None}
            assert got == row, (table, key)


def row_counts(db: Path) -> dict[str, int]:
    return {t: len(rows(db, RAW, t)) for t in ("syncs", "sync_runs", "sync_records")}


@pytest.fixture
def box() -> Sandbox:
    with Sandbox(small_config(records=20_000)) as sandbox:
        yield sandbox


@pytest.mark.parametrize("mode", ["failed", "all", "none"])
def test_full_load_equals_the_truth(box: Sandbox, load: Loader, db: Path, mode: str) -> None:
    result = load(box, records_mode=mode)
    assert result.status == "loaded", result.message
    expected = truth(box, mode)
    assert_equal(warehouse(db), expected)
    assert result.rows.get("sync_records", 0) == len(expected["records"])
    assert result.rows["sync_runs"] == len(expected["runs"])


def test_a_sync_attribute_null_in_every_row_keeps_its_typed_column_and_dlt_does_not_warn(
    load: Loader, db: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Most accounts schedule by interval: no sync has a cron expression, yet the column is there."""
    with Sandbox(small_config()) as box:
        world = box.world.ai_squared
        for sync in world.truth_syncs():
            if sync["attributes"]["cron_expression"] is not None:
                world.edit_sync(int(sync["id"]), {"schedule_type": "interval", "cron_expression": None})
        assert {s["attributes"]["cron_expression"] for s in world.truth_syncs()} == {None}
        assert load(box).status == "loaded"
    assert "WARNING" not in capfd.readouterr().err  # dlt's "did not receive any data" warning
    with duckdb.connect(str(db), read_only=True) as con:
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = 'syncs'",
                [RAW],
            ).fetchall()
        )
    duckdb_types = {"text": "VARCHAR", "bigint": "BIGINT", "timestamp": "TIMESTAMP WITH TIME ZONE"}
    assert {name: types.get(name) for name in SYNC_KINDS} == {
        name: duckdb_types[kind] for name, kind in SYNC_KINDS.items()
    }


def test_second_load_with_nothing_new_asks_one_page_per_sync_and_loads_nothing(
    box: Sandbox, load: Loader, db: Path
) -> None:
    load(box)
    before = row_counts(db)
    box.reset_requests()
    result = load(box)
    targets = [r.target for r in box.requests("ai_squared")]
    n_syncs = len(box.world.ai_squared.syncs)
    assert result.status == "loaded" and result.rows == {}
    assert len(targets) == 1 + n_syncs  # the sync list, then page 1 of each sync's runs
    assert sum("/sync_runs?" in t for t in targets) == n_syncs
    assert row_counts(db) == before


def test_a_warehouse_moved_without_its_state_folder_stays_incremental(
    box: Sandbox, load: Loader, db: Path
) -> None:
    load(box)
    shutil.rmtree(state_dir(db))  # e.g. only the .duckdb file was copied to a new runner
    box.reset_requests()
    result = load(box)
    assert result.status == "loaded" and result.rows == {}, "cursors come back from the warehouse"
    assert len(box.requests("ai_squared")) == 1 + len(box.world.ai_squared.syncs)


def test_after_the_clock_moves_the_warehouse_follows_and_keeps_old_records(
    box: Sandbox, load: Loader, db: Path
) -> None:
    load(box)
    first = warehouse(db)
    unfinished = {i for i, r in first["runs"].items() if r["status"] not in TERMINAL}
    assert unfinished, "the world must have runs in progress at the first load"
    box.advance(6 * 3600)
    result = load(box)
    assert result.status == "loaded", result.message
    now, found = truth(box), warehouse(db)
    assert found["runs"] == {i: {**found["runs"][i], **r} for i, r in now["runs"].items()}
    assert found["runs"].keys() == now["runs"].keys()
    assert any(found["runs"][i]["status"] in TERMINAL for i in unfinished)
    # Records: every record loaded before stays under its run; newly finished runs add theirs.
    newly = {k: r for k, r in now["records"].items() if k[0] not in first["runs"] or k[0] in unfinished}
    assert found["records"].keys() == first["records"].keys() | newly.keys()
    assert all(found["records"][k] == r for k, r in first["records"].items())
    moved = [k for k in first["records"] if k not in now["records"]]
    assert moved, "some rows must have moved to newer runs, and stay under their old run"


def test_an_incremental_load_probes_one_small_page_and_reads_busy_syncs_in_full(
    box: Sandbox, load: Loader, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sources.ai_squared.api.PROBE_RUNS", 4)  # so some syncs outgrow the probe
    load(box)
    had_runs = {r["sync_id"] for r in warehouse(db)["runs"].values()}
    box.advance(6 * 3600)
    box.reset_requests()
    result = load(box)
    assert result.status == "loaded", result.message
    found, expected = warehouse(db), truth(box)
    assert_equal({**found, "records": {}}, {**expected, "records": {}})  # records: see the test above
    asked: dict[int, list[str]] = {}
    for request in box.requests("ai_squared"):
        url = urlsplit(request.target)
        if url.path.endswith("/sync_runs"):
            query = dict(parse_qsl(url.query))
            asked.setdefault(int(url.path.split("/")[-2]), []).append(
                f"{query.get('page', '1')}@{query['per_page']}"
            )
    assert asked.keys() == box.world.ai_squared.syncs.keys()
    probed_only = [s for s, pages in asked.items() if pages == ["1@4"]]
    read_in_full = [s for s, pages in asked.items() if pages[:2] == ["1@4", "1@500"]]
    assert probed_only and read_in_full, "the world must have quiet and busy syncs"
    no_cursor_yet = [s for s, pages in asked.items() if pages == ["1@500"]]  # read as a first load
    assert set(no_cursor_yet) == asked.keys() - had_runs
    assert len(probed_only) + len(read_in_full) + len(no_cursor_yet) == len(asked)


def test_a_no_op_load_validates_only_the_runs_inside_the_lookback_window(
    box: Sandbox, load: Loader, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load(box).status == "loaded"
    before = row_counts(db)
    validated: list[int] = []
    real_rows = api_module.rows

    def counting(shape: Shape, page: list, strict: bool = False, **context: object) -> list[dict]:
        if shape is RUN_SHAPE:
            validated.extend(int(r["id"]) for r in page)
        return real_rows(shape, page, strict, **context)

    monkeypatch.setattr(api_module, "rows", counting)
    box.reset_requests()
    result = load(box)  # nothing happened since: a no-op
    assert result.status == "loaded", result.message
    assert row_counts(db) == before
    # Per sync, the runs at or after its cursor (newest `updated_at`) minus the 900 s lookback:
    # the only ones a no-op can be unsure of. Older runs on the probe page are never validated.
    newest: dict[int, int] = {}
    runs = [flatten(r) for r in box.world.ai_squared.truth_runs()]
    for run in runs:
        newest[run["sync_id"]] = max(newest.get(run["sync_id"], 0), iso_ms(run["updated_at"]))
    in_window = [r["id"] for r in runs if iso_ms(r["updated_at"]) >= newest[r["sync_id"]] - 900_000]
    assert len(runs) > 2 * len(in_window) > 0, "the probe pages must hold runs outside the window"
    assert sorted(validated) == sorted(in_window)
    syncs = len(box.world.ai_squared.syncs)
    assert len(box.requests("ai_squared")) == -(-syncs // SYNCS_PER_PAGE) + syncs  # the API's floor


def test_runs_that_move_between_pages_mid_crawl_end_up_loaded_once(
    box: Sandbox, load: Loader, db: Path
) -> None:
    pages = []

    def move_on(request: Request) -> None:
        if "/sync_runs?" in request.target and "page=2" in request.target:
            pages.append(request.target)
            if len(pages) in (2, 5):  # runs finish and new ones start while this crawl pages
                box.world.advance(20 * 60)

    box.before_request("ai_squared", move_on)
    assert load(box, runs_per_page=5).status == "loaded"
    box.before_request("ai_squared", None)
    result = load(box, runs_per_page=5)
    assert result.status == "loaded", result.message
    assert len(pages) >= 5
    assert_equal(warehouse(db), truth(box))
    ids = [r["id"] for r in rows(db, RAW, "sync_runs")]
    assert len(ids) == len(set(ids))


def test_faults_do_not_change_what_is_loaded(box: Sandbox, load: Loader, db: Path) -> None:
    box.set_faults(
        "ai_squared",
        Faults(error_rate=0.1, drop_rate=0.05, truncate_rate=0.05, rate_limit_per_s=200, seed=5),
    )
    result = load(box, max_attempts=12)
    assert result.status == "loaded", result.message
    assert result.retries > 0
    assert_equal(warehouse(db), truth(box))


def test_a_load_killed_mid_way_then_rerun_equals_the_truth(box: Sandbox, load: Loader, db: Path) -> None:
    box.set_faults("ai_squared", Faults(latency_ms=40))
    kill_midway(box, "ai_squared", db, after_requests=40)
    box.set_faults("ai_squared", Faults())
    result = load(box)
    assert result.status == "loaded", result.message
    assert_equal(warehouse(db), truth(box))


def test_token_never_appears_in_logs_errors_tables_or_state(
    box: Sandbox, load: Loader, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token = box.world.ai_squared.api_token
    caplog.set_level(logging.DEBUG)
    box.set_faults("ai_squared", Faults(error_rate=0.2, seed=1))
    assert load(box).status == "loaded"
    box.set_faults("ai_squared", Faults())
    failed = load(box, api_token=token[:-4] + "AAAA", login_email=None, login_password=None)
    assert failed.status == "failed"
    secrets = (token, token[:-4] + "AAAA", box.world.ai_squared.password)
    assert not any(s in caplog.text for s in secrets)
    assert not any(s in failed.message for s in secrets)
    assert not any(s in all_text(db) for s in secrets)
    for path in state_dir(db).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(s.encode() in data for s in secrets), path


def test_wrong_token_fails_in_one_line_naming_the_setting(box: Sandbox, load: Loader) -> None:
    result = load(box, api_token="not-a-token", login_email=None, login_password=None)
    assert (result.status, result.message) == (
        "failed",
        "ai_squared: HTTP 401 Unauthorized from /api/v1/syncs: "
        "check sources.ai_squared.api_token (or login_email + login_password)",
    )


def test_login_with_email_and_password_and_again_after_the_token_expires(
    box: Sandbox, load: Loader, db: Path
) -> None:
    logins = lambda: sum(r.target == "/api/v1/login" for r in box.requests("ai_squared"))  # noqa: E731
    assert load(box, api_token=None).status == "loaded"
    assert logins() == 1
    box.advance(31 * 60)  # login tokens live 30 minutes of world time
    result = load(box, api_token=None)
    assert result.status == "loaded", result.message
    assert logins() == 2  # each load logs in once; nothing is kept between loads
    assert_equal(warehouse(db), truth(box))


def test_expired_token_mid_crawl_logs_in_again_once(box: Sandbox) -> None:
    from sources.ai_squared.auth import AiSquaredAuth
    from sources.http import VendorClient

    world = box.world.ai_squared
    auth = AiSquaredAuth(None, world.email, world.password)
    headers = {"Workspace-Id": str(world.workspace_id)}
    with VendorClient("ai_squared", box.url("ai_squared"), auth=auth, headers=headers) as client:
        client.get_json("/api/v1/syncs")
        box.advance(31 * 60)
        body, _ = client.get_json("/api/v1/syncs")
    assert body["data"]
    statuses = [(r.target, r.status) for r in box.requests("ai_squared")]
    assert statuses == [
        ("/api/v1/login", 200),
        ("/api/v1/syncs", 200),
        ("/api/v1/syncs", 401),
        ("/api/v1/login", 200),
        ("/api/v1/syncs", 200),
    ]


def test_a_configured_sync_that_does_not_exist_is_a_warning(
    box: Sandbox, load: Loader, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ids = sorted(box.world.ai_squared.syncs)[:2]
    result = load(box, sync_ids=f"[{ids[0]}, {ids[1]}, 4242]")
    assert result.status == "loaded", result.message
    assert "ai_squared: sync 4242 (from sources.ai_squared.sync_ids) not found; skipped" in caplog.text
    assert sorted(warehouse(db)["syncs"]) == ids
    assert {r["sync_id"] for r in warehouse(db)["runs"].values()} == set(ids)


def test_a_vendor_without_credentials_is_skipped_in_one_line(box: Sandbox, load: Loader) -> None:
    result = load(box, api_token=None, login_email=None, login_password=None)
    assert (result.status, result.message) == (
        "skipped",
        "ai_squared: no credentials: set sources.ai_squared.api_token (or login_email + login_password)",
    )


def test_bad_records_mode_is_a_clear_error(box: Sandbox, load: Loader) -> None:
    result = load(box, records_mode="some")
    assert result.status == "failed"
    assert result.message == "ai_squared: records_mode must be one of failed, all, none, not 'some'"

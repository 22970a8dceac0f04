"""Issue 13, case 3 (and the field-naming part of 10): a bad vendor row never poisons a load.

A Paragon status without `status`, a 10 MB field, a run with a wrong type: each is coerced or set
aside in `raw_<vendor>._rejected` with a reason naming the field, the rest of the load goes in,
and the next load against a healthy vendor equals the sandbox's truth. A package the warehouse
refuses is moved aside (named in a warning) so the next run starts clean.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines.runner import state_dir
from sandbox.paragon.world import ParagonWorld
from sandbox.service import Sandbox
from sources.paragon.api import ParagonApi
from sources.validate import MAX_TEXT
from tests.conftest import Loader, small_config
from tests.sources.warehouse import rows


@pytest.fixture
def box() -> Sandbox:
    with Sandbox(small_config(days=1, records=500)) as sandbox:
        yield sandbox


def rejected(db: Path, vendor: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"select resource, reason, key_ids, raw from raw_{vendor}._rejected order by reason"
        ).fetchall()


def test_a_status_without_status_is_set_aside_and_the_next_load_equals_truth(
    monkeypatch: pytest.MonkeyPatch, box: Sandbox, db: Path, load: Loader
) -> None:
    world = box.world.paragon
    ids = sorted(s["id"] for s in world.truth_syncs())
    broken, big = ids[0], ids[1]
    served = ParagonApi.sync_status

    def hostile(self: ParagonApi, user: object, sync_id: str) -> tuple[dict, object]:
        body, polled_at = served(self, user, sync_id)
        body = dict(body)
        if sync_id == broken:
            del body["status"]
        if sync_id == big:
            body["reason"] = "x" * 10_000_000
        return body, polled_at

    monkeypatch.setattr(ParagonApi, "sync_status", hostile)
    first = load(box, "paragon")
    assert first.status == "loaded", first.message
    assert first.warnings == [
        f"1 row set aside in raw_paragon._rejected: sync_status_snapshots (sync_id {broken}, "
        f"user_id {world.spec(broken).user_id}): status: missing"
    ]
    [(resource, reason, key_ids, raw)] = rejected(db, "paragon")
    assert (resource, reason) == ("sync_status_snapshots", "status: missing")
    assert json.loads(key_ids)["sync_id"] == broken
    assert '"summary"' in raw
    snapshots = {r["sync_id"]: r for r in rows(db, "raw_paragon", "sync_status_snapshots")}
    assert sorted(snapshots) == [i for i in ids if i != broken]
    assert snapshots[big]["reason"] == "x" * MAX_TEXT + f"…[cut {10_000_000 - MAX_TEXT} chars]"

    monkeypatch.setattr(ParagonApi, "sync_status", served)
    second = load(box, "paragon")
    assert second.status == "loaded" and second.warnings == []
    snapshots = {r["sync_id"]: r for r in rows(db, "raw_paragon", "sync_status_snapshots")}
    assert sorted(snapshots) == ids
    assert snapshots[broken]["status"] == world.truth_status(broken)["status"]


def test_a_run_with_a_wrong_type_is_set_aside_naming_field_run_and_sync(
    monkeypatch: pytest.MonkeyPatch, box: Sandbox, db: Path, load: Loader
) -> None:
    from sources.ai_squared import api

    pages = api.AiSquaredApi.pages
    victim: dict[str, object] = {}

    def hostile(self: api.AiSquaredApi, path: str, params: dict, *rest: object) -> object:
        for page in pages(self, path, params, *rest):
            if path.endswith("/sync_runs") and page and not victim:
                page = [dict(r, attributes=dict(r["attributes"])) for r in page]
                page[0]["attributes"]["total_rows"] = "many"
                victim.update(run=int(page[0]["id"]), sync=page[0]["attributes"]["sync_id"])
            yield page

    monkeypatch.setattr(api.AiSquaredApi, "pages", hostile)
    result = load(box, "ai_squared")
    assert result.status == "loaded", result.message
    [(resource, reason, key_ids, _)] = rejected(db, "ai_squared")
    assert (resource, reason) == ("sync_runs", "total_rows: expected a whole number, got 'many'")
    assert json.loads(key_ids) == {"sync_id": str(victim["sync"]), "id": str(victim["run"])}
    loaded = {r["id"] for r in rows(db, "raw_ai_squared", "sync_runs")}
    assert victim["run"] not in loaded
    assert len(loaded) == len(box.world.ai_squared.truth_runs()) - 1


def refuse_a_poisoned_paragon_package(
    monkeypatch: pytest.MonkeyPatch, world: ParagonWorld
) -> tuple[list[str], Callable]:
    """The first sync's status is served with reason POISON, and DuckDB refuses every load file
    holding it (a load job that fails on every try). Returns the sync ids in order and the real
    `ParagonApi.sync_status`, to serve clean statuses again."""
    from dlt.common.destination.exceptions import DestinationTransientException
    from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob

    ids = sorted(s["id"] for s in world.truth_syncs())
    served, insert = ParagonApi.sync_status, DuckDbCopyJob.run

    def poisoned(self: ParagonApi, user: object, sync_id: str) -> tuple[dict, object]:
        body, polled_at = served(self, user, sync_id)
        return ({**body, "reason": "POISON"} if sync_id == ids[0] else body), polled_at

    def refusing(self: DuckDbCopyJob) -> None:
        # Paragon's snapshots are written as Parquet (NUL characters survive it, issue 19)
        if "POISON" in str(pq.read_table(self._file_path).to_pydict()):
            raise DestinationTransientException("the warehouse refuses this file")
        insert(self)

    monkeypatch.setattr(DuckDbCopyJob, "run", refusing)
    monkeypatch.setattr(ParagonApi, "sync_status", poisoned)
    monkeypatch.setenv("LOAD__RAISE_ON_MAX_RETRIES", "1")
    return ids, served


def test_a_package_the_warehouse_refuses_is_moved_aside_and_the_next_run_is_clean(
    monkeypatch: pytest.MonkeyPatch, box: Sandbox, db: Path, load: Loader
) -> None:
    """A load job that fails on every try (DuckDB refusing the file) would leave the package
    pending, and dlt would retry it, and fail, on every later run."""
    world = box.world.paragon
    ids, served = refuse_a_poisoned_paragon_package(monkeypatch, world)
    first = load(box, "paragon")
    assert first.status == "failed"
    [moved] = (state_dir(db) / "failed").iterdir()
    assert moved.name.startswith("syncscope_paragon-")
    assert first.warnings == [
        f"paragon: a load package the warehouse refused was moved aside to {moved}; "
        "its rows are read from the vendor again"
    ]
    assert list((moved / "load" / "normalized").iterdir()), "the package is kept for diagnosis"

    monkeypatch.setattr(ParagonApi, "sync_status", served)
    second = load(box, "paragon")
    assert second.status == "loaded", second.message
    snapshots = {r["sync_id"]: r["status"] for r in rows(db, "raw_paragon", "sync_status_snapshots")}
    assert snapshots == {i: world.truth_status(i)["status"] for i in ids}


def test_a_refused_package_left_by_an_earlier_version_is_moved_aside_and_this_run_loads(
    monkeypatch: pytest.MonkeyPatch, box: Sandbox, db: Path, load: Loader
) -> None:
    """A poisoned package already pending (left before this fix) must not fail every run."""
    from pipelines import runner

    world = box.world.paragon
    ids, served = refuse_a_poisoned_paragon_package(monkeypatch, world)
    with monkeypatch.context() as old_version:  # as before the fix: the package stays pending
        old_version.setattr(runner, "_move_aside_if_poisoned", lambda pipeline, exc: None)
        assert load(box, "paragon").status == "failed"
    assert not (state_dir(db) / "failed").exists()

    monkeypatch.setattr(ParagonApi, "sync_status", served)
    result = load(box, "paragon")
    assert result.status == "loaded", result.message
    [moved] = (state_dir(db) / "failed").iterdir()
    assert result.warnings == [
        f"paragon: a load package the warehouse refused was moved aside to {moved}; "
        "its rows are read from the vendor again"
    ]
    snapshots = {r["sync_id"]: r["status"] for r in rows(db, "raw_paragon", "sync_status_snapshots")}
    assert snapshots == {i: world.truth_status(i)["status"] for i in ids}

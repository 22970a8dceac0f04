"""Issue 19, case 6: a failed vendor load prints one line naming the real error and where it
happened (vendor, sync, run, table), never the StopIteration of dlt's iterator.

Each failure is raised where the sources really fail: in the runs generator while a batch of
many syncs' runs becomes an Arrow table, in a worker thread converting a run's records page (a
transformer), while a Timbal sync's detail becomes rows, and in dlt's load step. The served
bodies come from the sandbox over loopback; the conversions are made to fail with a real Arrow
error on one chosen value (the spec-valid bodies that used to fail are fixed by the sources, so
an error that survives them is simulated at the same place).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import sandbox.ai_squared.api as served_ai_squared
import sources.ai_squared as ai_squared_source
import sources.timbal as timbal_source
from pipelines.commands.demo import environment
from pipelines.commands.run import execute
from pipelines.exit_codes import EXIT_VENDORS_FAILED
from sandbox.service import Sandbox
from tests.conftest import Loader, box_fixture

box = box_fixture(days=1, records=500)


def test_syncscope_run_names_the_sync_run_and_arrow_error_of_one_run_in_a_batch(
    monkeypatch: pytest.MonkeyPatch, box: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One run among every sync's runs carries '12abc' where the table wants a number: the
    batch fails as one Arrow table, and the line still names that run and its sync."""
    runs = box.world.ai_squared.truth_runs()
    victim = runs[len(runs) // 2]
    sync_id, run_id = victim["attributes"]["sync_id"], victim["id"]
    serve = served_ai_squared.run_resource

    def serve_12abc(sync: object, state: object, k: int) -> dict:
        run = serve(sync, state, k)
        error = "12abc" if run["id"] == run_id else None
        return {**run, "attributes": {**run["attributes"], "error": error}}

    convert = ai_squared_source.runs_table

    def strict(rows: list[dict]) -> pa.Table:
        pa.array([row.get("error") for row in rows], pa.float64())  # `error` taken for a number
        return convert(rows)

    monkeypatch.setattr(served_ai_squared, "run_resource", serve_12abc)
    monkeypatch.setattr(ai_squared_source, "runs_table", strict)
    with environment(box.env()):
        outcome = execute(tmp_path / "w.duckdb", ["ai_squared"], publish=False)
    assert outcome.exit_code == EXIT_VENDORS_FAILED
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        f"ai_squared  failed: ai_squared: sync {sync_id} run {run_id}: sync_runs: "
        "Could not convert '12abc' with type str: tried to convert to double (ArrowInvalid)"
    )


def test_an_error_in_a_worker_thread_of_the_records_transformer_names_its_sync_and_run(
    monkeypatch: pytest.MonkeyPatch, box: Sandbox, load: Loader
) -> None:
    failed = next(iter(box.world.ai_squared.truth_records(status="failed")))["attributes"]
    sync_id, run_id = failed["sync_id"], failed["sync_run_id"]
    convert = ai_squared_source.records_table

    def strict(page: list[dict]) -> pa.Table:
        if any(record["sync_run_id"] == run_id for record in page):
            pa.array(["12abc"], pa.int64())
        return convert(page)

    monkeypatch.setattr(ai_squared_source, "records_table", strict)
    result = load(box, "ai_squared")
    assert (result.status, result.error_kind, result.message) == (
        "failed",
        "error",
        f"ai_squared: sync {sync_id} run {run_id}: sync_records: "
        "Could not convert '12abc' with type str: tried to convert to int64 (ArrowInvalid)",
    )


def test_an_error_turning_one_timbal_sync_into_rows_names_that_sync(
    monkeypatch: pytest.MonkeyPatch, box: Sandbox, load: Loader
) -> None:
    victim = sorted(s["sync"]["id"] for s in box.world.timbal.truth_syncs() if s["recent_runs"])[1]
    make_row = timbal_source.run_row

    def strict(run: dict, sync_id: str) -> dict:
        if sync_id == victim:
            raise KeyError("rows_emitted")
        return make_row(run, sync_id)

    monkeypatch.setattr(timbal_source, "run_row", strict)
    result = load(box, "timbal")
    assert (result.status, result.message) == (
        "failed",
        f"timbal: sync {victim}: sync_runs: 'rows_emitted' (KeyError)",
    )


def test_a_load_step_failure_names_the_table_and_the_step(
    monkeypatch: pytest.MonkeyPatch, box: Sandbox, load: Loader
) -> None:
    from dlt.common.destination.exceptions import DestinationTransientException
    from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob

    insert = DuckDbCopyJob.run

    def refusing(self: DuckDbCopyJob) -> None:  # Paragon's snapshots load as Parquet (issue 19)
        if Path(self._file_path).name.startswith("sync_status_snapshots."):
            raise DestinationTransientException("the warehouse refuses this file")
        insert(self)

    monkeypatch.setattr(DuckDbCopyJob, "run", refusing)
    monkeypatch.setenv("LOAD__RAISE_ON_MAX_RETRIES", "1")
    result = load(box, "paragon")
    assert (result.status, result.message) == (
        "failed",
        "paragon: sync_status_snapshots (load): the warehouse refuses this file "
        "(DestinationTransientException)",
    )

"""Every benchmark case at toy size, so the benchmarks cannot rot between real runs.

These check that each case runs end to end against a sandbox in its own process and reports
sane figures with the structure RESULTS.md is written from; they never assert speed (a toy
world on a shared machine says nothing about it). The real run is `python -m bench`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import httpx
import pytest

from bench import alert_case, cases_load, cases_replay, cases_replay_scale, cases_scale, delivery
from bench.replay_proc import ReplayProcess
from bench.results import ANALYSIS, Case
from bench.run import main
from bench.settings import Settings
from tests.deliver.compare import mart_names
from tests.deliver.pg_server import pg_bindir


@pytest.fixture
def toy(tmp_path: Path) -> Settings:
    return Settings.toy(tmp_path)


def _well_formed(case: Case, signed: bool = False) -> None:
    """`signed`: a figure may be negative (peak RSS can shrink between two toy volumes)."""
    assert case.rows and all(len(row) == len(case.headers) for row in case.rows)
    assert case.targets, "every case reports at least one target"
    assert signed or all(t.figure >= 0 for t in case.targets)
    assert "## " in case.markdown()


def test_throughput_and_incremental_at_toy_size(toy: Settings) -> None:
    throughput, incremental = cases_load.throughput_and_incremental(toy)
    for case in (throughput, incremental):
        _well_formed(case)
    data = throughput.data
    assert (
        data["ceiling_rows_per_s"] > 0
        and data["syncscope_rows_per_s"] > 0
        and data["rest_api_rows_per_s"] > 0
    )
    ceiling, syncscope, small, rest = throughput.rows
    assert ceiling[2] == syncscope[2], "the ceiling parses exactly the rows syncscope loads"
    assert ceiling[3] == syncscope[3], "and makes exactly the same requests"
    assert small[2] == rest[2], "rest_api loads the same rows as syncscope on the same world"
    _, noop, _ = incremental.rows
    assert noop[2] == "0", "a load with nothing new writes nothing"
    assert int(noop[1]) == incremental.data["floor"], "and makes only the floor's requests"
    assert 0 < incremental.data["noop_requests"] < 1 and incremental.data["later_requests"] < 1


def test_latency_at_toy_size(toy: Settings) -> None:
    case = cases_load.latency(toy)
    _well_formed(case)
    assert case.data["requests"] > 0
    # Nothing can beat the concurrency bound, whatever the machine.
    assert case.data["extract_vs_bound"] >= 1 and case.data["ceiling_vs_bound"] >= 1


def test_memory_with_its_comparisons_and_models_at_toy_size(toy: Settings) -> None:
    memory, warehouse = cases_scale.memory(dataclasses.replace(toy, levers=True))
    _well_formed(memory)
    labels = [row[0] for row in memory.rows]
    assert labels == ["syncscope (product settings)"] * 2 + ["dlt + DuckDB defaults (before)"] * 2 + list(
        cases_scale.LEVERS
    )
    assert memory.data["growth_before"] > -1
    assert 50 < memory.data["peak_small_mb"] < 4000 and 50 < memory.data["peak_big_mb"] < 4000
    assert all("extract" in row[-1] and "load" in row[-1] for row in memory.rows), "peaks by step"
    assert warehouse.exists()
    models = cases_scale.models(toy, warehouse)
    assert models.data["records"] > 0 and models.data["seconds"] > 0
    assert "built" in models.rows[-1][1]


def test_command_writes_results_and_keeps_the_analysis(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    out.write_text(f"old figures\n{ANALYSIS}\nA person's analysis.\n")
    cases = main(["--toy", "--only", "latency", "--out", str(out)])
    text = out.read_text()
    assert [c.key for c in cases] == ["latency"]
    assert "old figures" not in text and text.endswith(f"{ANALYSIS}\nA person's analysis.\n")
    for needed in ("## Targets", "2. Latency hiding", "dlt 1.", "duckdb", "RAM", "python -m bench --toy"):
        assert needed in text


def test_replay_server_serves_the_recorded_load_and_nothing_else(toy: Settings) -> None:
    """Case 1b at toy size: the fetch loop, the ceiling and syncscope see the same recorded pages."""
    case = cases_replay.throughput(toy)
    _well_formed(case)
    data = case.data
    assert data["fetch_rows_per_s"] > 0 and data["syncscope_rows_per_s"] > 0
    fetch, ceiling, syncscope = case.rows
    assert fetch[2] == ceiling[2] == syncscope[2], "the fetch loop counts exactly the rows loaded"
    assert fetch[3] == ceiling[3] == syncscope[3], "every load made exactly the recorded requests"
    with cases_load.SandboxProcess(toy.replay, toy.workdir) as box:
        truth = box.counts()
    assert int(syncscope[2].replace(",", "")) == truth["syncs"] + truth["runs"] + truth["records"]


def test_replay_server_answers_502_for_what_was_not_recorded(toy: Settings) -> None:
    with ReplayProcess(toy.replay, toy.workdir, {}) as replay:
        response = httpx.get(f"{replay.base_url}/api/v1/syncs?per_page=100")
        assert response.status_code == 502
        assert response.json() == {"error": "not recorded", "target": "/api/v1/syncs?per_page=100"}
        with pytest.raises(RuntimeError, match=r"^1 requests were not recorded: the load was not a replay$"):
            replay.requests()


def test_noop_on_many_syncs_on_the_replay_at_toy_size(toy: Settings) -> None:
    case = cases_replay.noop(toy)
    _well_formed(case)
    full, noop = case.rows
    assert case.data["floor"] == 1 + 12, "one page of the sync list, then page 1 of each of the 12 syncs"
    assert int(noop[1]) == case.data["noop_requests"] == case.data["floor"]
    assert noop[2] == "0" and int(full[2].replace(",", "")) > 0


def test_latency_on_the_replay_at_toy_size(toy: Settings) -> None:
    """Case 2b: the world recorded without latency, replayed with the wait before every answer."""
    case = cases_replay_scale.latency(toy)
    _well_formed(case)
    assert case.key == "replay_latency" and case.data["requests"] > 0
    requests = case.rows[0][1].split(" / ")
    assert requests[0] == requests[1], "syncscope and the ceiling make the same recorded requests"
    # The replay waits before every answer: nothing can beat the concurrency bound.
    assert case.data["extract_vs_bound"] >= 1 and case.data["ceiling_vs_bound"] >= 1


def test_memory_models_and_delivery_on_the_replay_at_toy_size(toy: Settings) -> None:
    """Case 4b loads exactly the sandbox's rows; cases 5, 6 and 8 run on its last warehouse."""
    memory, warehouse = cases_replay_scale.memory(toy)
    _well_formed(memory, signed=True)
    for world, row in zip(toy.replay_memory, memory.rows, strict=True):
        with cases_load.SandboxProcess(world, toy.workdir) as box:
            truth = box.counts()
        assert int(row[2].replace(",", "")) == truth["syncs"] + truth["runs"] + truth["records"]
    assert 50 < memory.data["peak_small_mb"] < 4000 and 50 < memory.data["peak_big_mb"] < 4000
    assert warehouse.exists()
    models = cases_scale.models(toy, warehouse)
    assert models.data["records"] > 0 and "built" in models.rows[-1][1]
    if pg_bindir() is None:
        pytest.skip("PostgreSQL's server binaries are not installed (Debian package postgresql)")
    delivered = delivery.case(1, warehouse)
    _well_formed(delivered)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = sum(con.execute(f"select count(*) from marts.{m}").fetchone()[0] for m in mart_names(con))
    assert delivered.data["rows"] == rows, "the delivery and the COPY ceiling carry every mart row"
    assert delivered.data["noop_sent_runs"] == 0, "a delivery with nothing changed sends no sync_runs row"
    assert [t.name for t in delivered.targets] == [
        "delivery to PostgreSQL vs the COPY ceiling (rows/s)",
        "no-op delivery time vs a full one",
    ]


def test_alert_on_a_fleet_with_5_percent_in_breach_at_toy_size(toy: Settings) -> None:
    """Case 7: one message per destination (PagerDuty one per transition), nothing on a re-run."""
    fleet = alert_case.Fleet(syncs=40, runs_per_sync=5)
    case = alert_case.case(1, toy.workdir, fleet)
    _well_formed(case)
    assert fleet.breaching == 2
    assert case.data["messages"] == case.data["expected"] == 1 + 2 + 1
    assert case.data["resent"] == 0 and case.data["webhook_listed"] == 2
    sent = {row[0]: (row[1], row[2]) for row in case.rows if row[0].startswith("messages to")}
    assert sent == {
        "messages to slack (expected 1)": ("1", "0"),
        "messages to pagerduty (expected 2)": ("2", "0"),
        "messages to webhook (expected 1)": ("1", "0"),
    }
    assert [t.met for t in case.targets[:2]] == [True, True]

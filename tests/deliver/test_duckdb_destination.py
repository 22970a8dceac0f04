"""Delivery to a DuckDB file (dlt's `duckdb` destination): the other destination exercised for real.

It takes the Parquet path through dlt (PostgreSQL takes CSV and COPY) and the same final
transaction, so a team that wants a plain copy file, or MotherDuck, gets the same guarantees.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.exit_codes import EXIT_OK
from sandbox.service import Sandbox
from tests.conftest import small_config
from tests.deliver.compare import differences, duckdb_query, warehouse_marts
from tests.deliver.test_postgres import delivered, syncscope


@pytest.fixture
def box() -> Iterator[Sandbox]:
    with Sandbox(small_config()) as sandbox:
        yield sandbox


def test_a_duckdb_destination_equals_the_warehouse_and_gets_only_changed_runs(
    box: Sandbox, tmp_path: Path
) -> None:
    db, team = tmp_path / "w.duckdb", tmp_path / "team.duckdb"
    env = {**box.env(), "DELIVER__DESTINATION": "duckdb", "DESTINATION__DUCKDB__CREDENTIALS": str(team)}
    first = syncscope("run", "--db", str(db), "--deliver", "--log-format", "json", env=env)
    assert first.returncode == EXIT_OK, first.stderr
    assert differences(db, str(team)) == {}
    before = set(warehouse_marts(db)["sync_runs"][1])
    box.advance(3 * 3600)
    again = syncscope("run", "--db", str(db), "--deliver", "--log-format", "json", env=env)
    assert again.returncode == EXIT_OK, again.stderr
    changed = set(warehouse_marts(db)["sync_runs"][1]) - before
    assert delivered(again)["sent"]["changed_sync_runs"] == len(changed) > 0
    assert differences(db, str(team)) == {}
    versions = duckdb_query(str(team), "select distinct version from syncscope.delivery")
    assert versions == [(delivered(again)["version"],)]

"""Loads run with the memory settings the benchmark chose, and a user's own values win."""

from __future__ import annotations

from pathlib import Path

import pytest
from dlt.extract.pipe_iterator import PipeIterator

from pipelines.dlt_setup import pipeline_for
from sandbox.service import Sandbox
from tests.conftest import Loader


@pytest.fixture
def extract_modes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The next_item_mode of every PipeIterator dlt builds while a test runs."""
    seen: list[str] = []
    original = PipeIterator.__init__

    def spy(self: PipeIterator, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        seen.append(self._next_item_mode)

    monkeypatch.setattr(PipeIterator, "__init__", spy)
    return seen


def memory_limit(db: Path) -> str:
    """What DuckDB reports on a connection dlt opens for this warehouse."""
    with pipeline_for("ai_squared", db).sql_client() as client:
        return client.execute_sql("select current_setting('memory_limit')")[0][0]


def test_a_load_caps_duckdb_memory_and_extracts_fifo(
    sandbox: Sandbox, load: Loader, db: Path, extract_modes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WAREHOUSE__LOAD_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("EXTRACT__NEXT_ITEM_MODE", raising=False)
    assert load(sandbox).status == "loaded"
    assert extract_modes and set(extract_modes) == {"fifo"}
    assert memory_limit(db) == "488.2 MiB"  # 512 MB as DuckDB prints it


def test_the_users_settings_win(
    sandbox: Sandbox, load: Loader, db: Path, extract_modes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAREHOUSE__LOAD_MEMORY_LIMIT", "2GB")
    monkeypatch.setenv("EXTRACT__NEXT_ITEM_MODE", "round_robin")
    assert load(sandbox).status == "loaded"
    assert extract_modes and set(extract_modes) == {"round_robin"}
    assert memory_limit(db) == "1.8 GiB"


def test_a_memory_limit_duckdb_cannot_read_fails_up_front_in_one_line(
    sandbox: Sandbox, load: Loader, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAREHOUSE__LOAD_MEMORY_LIMIT", "lots")
    result = load(sandbox)
    assert (result.status, result.error_kind, result.requests) == ("failed", "config", 0)
    assert result.message == (
        "ai_squared: warehouse.load_memory_limit: 'lots' is not a size DuckDB accepts (e.g. 512MB, 2GB, 50%)"
    )
    assert not db.exists()

"""The memory release between extract and load is paid only when the extract wrote enough to matter."""

from __future__ import annotations

from pathlib import Path

import dlt
import pytest

from pipelines import dlt_setup


def _extract(tmp_path: Path, rows: list[dict]) -> dlt.common.pipeline.ExtractInfo:
    pipeline = dlt.pipeline(
        "release_test",
        destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
        pipelines_dir=str(tmp_path),
    )
    return pipeline.extract(dlt.resource(rows, name="items"))


@pytest.fixture
def releases(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(dlt_setup, "release_memory", lambda: calls.append(1))
    return calls


def test_a_no_op_extract_does_not_pay_for_a_collection(tmp_path: Path, releases: list[int]) -> None:
    info = _extract(tmp_path, [])
    assert 0 < dlt_setup.extracted_bytes(info) < dlt_setup.RELEASE_ABOVE_BYTES  # the state file only
    dlt_setup.release_memory_after(info)
    assert releases == []


def test_an_extract_above_the_threshold_releases_memory(
    tmp_path: Path, releases: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    info = _extract(tmp_path, [{"id": i, "text": "x" * 100} for i in range(1000)])
    monkeypatch.setattr(dlt_setup, "RELEASE_ABOVE_BYTES", dlt_setup.extracted_bytes(info) - 1)
    dlt_setup.release_memory_after(info)
    assert releases == [1]

"""Load a sandbox vendor into a fresh DuckDB file, in-process, configured the way a user would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines.runner import VendorResult, run_vendor
from sandbox.service import Sandbox

Loader = Callable[..., VendorResult]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch, db: Path) -> Loader:
    """load(box, vendor="ai_squared", **settings): env from the sandbox plus SOURCES__<V>__<KEY>."""

    def _load(box: Sandbox, vendor: str = "ai_squared", **settings: object) -> VendorResult:
        for name, value in box.env().items():
            monkeypatch.setenv(name, value)
        for key, value in settings.items():
            name = f"SOURCES__{vendor.upper()}__{key.upper()}"
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, str(value))
        return run_vendor(vendor, db)

    return _load

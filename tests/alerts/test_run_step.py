"""`run --alert`'s step inside run_all: alerts only after the models built and their tests passed."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import run
from pipelines.data_tests import DataTest


def test_alerts_run_after_a_clean_build_and_set_the_exit_code(tmp_path: Path) -> None:
    calls: list[str] = []
    failed = (11, "slack failed: slack: HTTP 404")
    outcome = run.run_all(
        tmp_path / "w.duckdb", [], publish=False, alert=lambda: calls.append("alert") or failed
    )
    assert calls == ["alert"] and outcome.models is not None
    assert (outcome.alert_exit, outcome.alert_message, outcome.exit_code) == (
        11,
        "slack failed: slack: HTTP 404",
        11,
    )


def test_a_failing_data_test_skips_alerts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "run_tests", lambda db: [DataTest("sql/tests/marts_reconcile_with_raw.sql", 2)])
    calls: list[str] = []
    outcome = run.run_all(tmp_path / "w.duckdb", [], publish=False,
                           alert=lambda: calls.append("alert") or (0, "nothing to send"))  # fmt: skip
    assert calls == []
    assert (outcome.alert_exit, outcome.alert_message) == (
        0, "skipped: a data test failed, so the marts are not trusted"
    )  # fmt: skip

"""Delivery faults: 429 + Retry-After, 5xx then success, timeouts, 4xx error bodies, one
destination failing while the others get theirs, and the next run retrying only what failed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.alerts.engine import EXIT_ALERTS, run_alerts
from tests.alerts.conftest import make_config
from tests.alerts.receiver import Reply
from tests.alerts.warehouse import failing, sync, table, write_marts

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    write_marts(path, T0, [sync("1"), failing("2")])
    return path


def log(db: Path) -> list[tuple]:
    rows = table(db, "alerts.notifications", "notification_id")
    return [(n["destination"], n["transition"], n["outcome"], n["http_status"], n["attempts"], n["error"])
            for n in rows]  # fmt: skip


def test_slack_429_waits_retry_after_then_delivers(db: Path, receivers: dict, waits: list[float]) -> None:
    receivers["slack"].script.append(Reply(429, "rate_limited", {"Retry-After": "7"}))
    outcome = run_alerts(db, make_config(receivers, only=("slack",)))
    assert outcome.exit_code == 0 and waits == [7.0]
    assert len(receivers["slack"].requests) == 2
    assert receivers["slack"].bodies()[0] == receivers["slack"].bodies()[1]
    assert log(db) == [("slack", "trigger", "sent", 200, 2, None)]


def test_pagerduty_429_longer_than_allowed_fails_and_the_next_run_retries(
    db: Path, receivers: dict, waits: list[float]
) -> None:
    receivers["pagerduty"].script.append(Reply(429, "", {"Retry-After": "3600"}))
    config = make_config(receivers, only=("pagerduty",), max_retry_after_s=60)
    outcome = run_alerts(db, config)
    assert outcome.exit_code == EXIT_ALERTS and waits == []
    error = (
        "pagerduty: HTTP 429, asked to wait 3600s (more than alerts.max_retry_after_seconds); "
        "the next run retries"
    )
    assert log(db) == [("pagerduty", "trigger", "failed", 429, 1, error)]
    assert run_alerts(db, config).exit_code == 0
    assert [e["event_action"] for e in receivers["pagerduty"].bodies()] == ["trigger", "trigger"]
    assert log(db)[1] == ("pagerduty", "trigger", "sent", 202, 1, None)
    run_alerts(db, config)
    assert len(receivers["pagerduty"].requests) == 2


def test_500_then_success_is_retried_with_back_off(db: Path, receivers: dict, waits: list[float]) -> None:
    receivers["pagerduty"].script.append(Reply(500, "internal error"))
    receivers["webhook"].script.extend([Reply(502, "bad gateway"), Reply(503, "unavailable")])
    outcome = run_alerts(db, make_config(receivers, only=("pagerduty", "webhook"), backoff_s=0.5))
    assert outcome.exit_code == 0
    assert waits == [0.5, 0.5, 1.0]  # doubling per destination
    assert [len(receivers[d].requests) for d in ("pagerduty", "webhook")] == [2, 3]
    assert log(db) == [
        ("pagerduty", "trigger", "sent", 202, 2, None),
        ("webhook", "trigger", "sent", 200, 3, None),
    ]


def test_a_timeout_is_retried(db: Path, receivers: dict, waits: list[float]) -> None:
    receivers["webhook"].script.append(Reply(200, "ok", delay_s=2.0))
    outcome = run_alerts(db, make_config(receivers, only=("webhook",), timeout_s=0.3))
    assert outcome.exit_code == 0 and len(receivers["webhook"].requests) == 2
    assert log(db) == [("webhook", "trigger", "sent", 200, 2, None)]


def test_5xx_until_the_attempts_run_out_fails_in_one_line(
    db: Path, receivers: dict, waits: list[float]
) -> None:
    receivers["webhook"].default = Reply(503, "upstream down\nmore detail")
    outcome = run_alerts(db, make_config(receivers, only=("webhook",), max_attempts=3))
    assert outcome.exit_code == EXIT_ALERTS
    assert log(db) == [
        ("webhook", "trigger", "failed", 503, 3, "webhook: HTTP 503 upstream down after 3 attempts")
    ]


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, "invalid_payload", "slack: HTTP 400 invalid_payload"),
        (404, "channel_not_found", "slack: HTTP 404 channel_not_found"),
        (404, "no_service", "slack: HTTP 404 no_service"),
        (410, "channel_is_archived", "slack: HTTP 410 channel_is_archived"),
    ],
)
def test_slack_4xx_is_one_line_with_its_error_not_retried_and_others_still_sent(
    db: Path, receivers: dict, waits: list[float], status: int, body: str, error: str
) -> None:
    receivers["slack"].script.append(Reply(status, body, {"Content-Type": "text/html"}))
    config = make_config(receivers)
    outcome = run_alerts(db, config)
    assert outcome.exit_code == EXIT_ALERTS and waits == []
    assert [r.delivery.error for r in outcome.failed] == [error]
    assert log(db) == [
        ("slack", "trigger", "failed", status, 1, error),
        ("pagerduty", "trigger", "sent", 202, 1, None),
        ("webhook", "trigger", "sent", 200, 1, None),
    ]
    assert run_alerts(db, config).exit_code == 0  # the next run retries Slack alone
    assert [len(r.requests) for r in receivers.values()] == [2, 1, 1]


def test_pagerduty_400_names_its_errors(db: Path, receivers: dict, waits: list[float]) -> None:
    body = {"status": "invalid event", "message": "Event object is invalid",
            "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"]}  # fmt: skip
    receivers["pagerduty"].script.append(Reply(400, json.dumps(body), {"Content-Type": "application/json"}))
    outcome = run_alerts(db, make_config(receivers, only=("pagerduty",)))
    assert [r.delivery.error for r in outcome.failed] == [
        "pagerduty: HTTP 400 Event object is invalid: "
        "Length of 'routing_key' is incorrect (should be 32 characters)"
    ]


def test_a_destination_nobody_listens_on_fails_after_its_attempts(
    db: Path, receivers: dict, waits: list
) -> None:
    config = make_config(receivers, only=("webhook",), max_attempts=2)
    config.destinations[0].url = "http://127.0.0.1:9/hooks/s3cr3t"  # discard port: refused
    outcome = run_alerts(db, config)
    assert [r.delivery.error for r in outcome.failed] == [
        "webhook: cannot reach it (ConnectError) after 2 attempts"
    ]

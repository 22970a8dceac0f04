"""`syncscope alert` as a scheduler meets it: settings from ALERTS__* variables, exit codes,
--dry-run/--json, a run killed between write-ahead and send, and secrets kept out of sight."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.alerts.config import load_config
from pipelines.alerts.engine import EXIT_ALERTS, PAUSE_ENV, run_alerts
from pipelines.lock import warehouse_lock
from tests.alerts.conftest import HEADER_SECRET, ROUTING_KEY, SLACK_URL_PATH, WEBHOOK_PATH
from tests.alerts.receiver import Receiver, Reply
from tests.alerts.warehouse import failing, sync, table, write_marts

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def alert_env(receivers: dict[str, Receiver], **extra: str) -> dict[str, str]:
    return {
        "ALERTS__SLACK__WEBHOOK_URL": receivers["slack"].url + SLACK_URL_PATH,
        "ALERTS__PAGERDUTY__ROUTING_KEY": ROUTING_KEY,
        "ALERTS__PAGERDUTY__URL": receivers["pagerduty"].url + "/v2/enqueue",
        "ALERTS__WEBHOOK__URL": receivers["webhook"].url + WEBHOOK_PATH,
        "ALERTS__WEBHOOK__HEADERS": json.dumps({"Authorization": HEADER_SECRET}),
        "ALERTS__RETRY_BACKOFF_SECONDS": "0.01",
        **extra,
    }


def syncscope(
    *args: str, env: dict[str, str], wait: bool = True
) -> subprocess.CompletedProcess | subprocess.Popen:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "ALERTS__", "CHECK__"))
    }
    environment.update({"RUNTIME__DLTHUB_TELEMETRY": "false", **env})
    command = [sys.executable, "-m", "pipelines.cli", *args]
    if not wait:
        return subprocess.Popen(
            command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    write_marts(path, T0, [sync("1"), failing("2"), sync("3", success_rate_7d=0.5, health="degraded")])
    return path


def test_alert_sends_once_and_exits_0_then_nothing(db: Path, receivers: dict) -> None:
    first = syncscope("alert", "--db", str(db), env=alert_env(receivers))
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["slack      sent 2", "pagerduty  sent 2", "webhook    sent 2"]
    again = syncscope("alert", "--db", str(db), env=alert_env(receivers))
    assert again.returncode == 0
    assert again.stdout.splitlines() == [
        "nothing to send: 3 syncs as of 2026-11-20 12:00 UTC: 1 failing, 1 degraded, 1 healthy; "
        "2 open incidents"
    ]
    assert [len(r.requests) for r in receivers.values()] == [1, 2, 1]


def test_thresholds_come_from_flags_then_alerts_then_check(db: Path, receivers: dict) -> None:
    env = alert_env(receivers, CHECK__MAX_FAILING_STREAK="10", CHECK__MIN_SUCCESS_RATE="0.4")
    result = syncscope("alert", "--db", str(db), "--dry-run", "--json", env=env)
    assert [t["dedup_key"] for t in json.loads(result.stdout)["destinations"]["webhook"]["transitions"]] == []
    env["ALERTS__MIN_SUCCESS_RATE"] = "0.6"  # [alerts] wins over [check]
    result = syncscope("alert", "--db", str(db), "--dry-run", "--json", env=env)
    keys = [t["dedup_key"] for t in json.loads(result.stdout)["destinations"]["webhook"]["transitions"]]
    assert keys == ["ai_squared:3:success_rate"]
    result = syncscope("alert", "--db", str(db), "--dry-run", "--json", "--max-failing-streak", "4", env=env)
    keys = [t["dedup_key"] for t in json.loads(result.stdout)["destinations"]["webhook"]["transitions"]]
    assert keys == ["ai_squared:2:failing_streak", "ai_squared:3:success_rate"]
    env["ALERTS__OVERRIDES"] = json.dumps({"ai_squared": {"min_success_rate": 0.2},
                                           "ai_squared:2": {"max_failing_streak": 4}})  # fmt: skip
    result = syncscope("alert", "--db", str(db), "--dry-run", "--json", env=env)
    keys = [t["dedup_key"] for t in json.loads(result.stdout)["destinations"]["webhook"]["transitions"]]
    assert keys == ["ai_squared:2:failing_streak"]  # the sync's own override wins over its vendor's


def test_dry_run_prints_payloads_without_secrets_and_changes_nothing(db: Path, receivers: dict) -> None:
    env = alert_env(receivers)
    text = syncscope("alert", "--db", str(db), "--dry-run", env=env)
    assert text.returncode == 0
    assert text.stdout.splitlines()[:3] == [
        "slack      would send 2",
        "  New [critical] ai_squared/2 (sync 2): 5 failed runs in a row > 3, since 2026-11-20 12:00 UTC",
        "  New [warning] ai_squared/3 (sync 3): success rate 7d 50.0% < 90.0%, since 2026-11-20 12:00 UTC",
    ]
    payload = json.loads(syncscope("alert", "--db", str(db), "--dry-run", "--json", env=env).stdout)
    events = payload["destinations"]["pagerduty"]["payloads"]
    assert [(e["routing_key"], e["event_action"], e["dedup_key"]) for e in events] == [
        ("***", "trigger", "ai_squared:2:failing_streak"), ("***", "trigger", "ai_squared:3:success_rate")
    ]  # fmt: skip
    assert payload["destinations"]["slack"]["payloads"][0]["blocks"][0]["text"]["text"] == "syncscope: 2 new"
    assert all(r.requests == [] for r in receivers.values())
    assert not _has_alerts(db)  # rolled back, schema and all
    assert syncscope("alert", "--db", str(db), env=env).returncode == 0
    assert [len(r.requests) for r in receivers.values()] == [1, 2, 1]


def _has_alerts(db: Path) -> bool:
    with duckdb.connect(str(db), read_only=True) as con:
        return bool(
            con.execute("select count(*) from duckdb_tables() where schema_name = 'alerts'").fetchone()[0]
        )


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"ALERTS__DESTINATIONS": '["slack", "teams"]'},
         "alert: unknown destination 'teams' in alerts.destinations (known: slack, pagerduty, webhook, "
         "email)"),
        ({"ALERTS__DESTINATIONS": '["slack", "pagerduty"]', "ALERTS__PAGERDUTY__ROUTING_KEY": ""},
         "alert: pagerduty needs alerts.pagerduty.routing_key (or ALERTS__PAGERDUTY__ROUTING_KEY) "
         "in secrets"),
        ({"ALERTS__SLACK__WEBHOOK_URL": "hooks.slack.com/services/T0/B0/s3cr3t"},
         "alert: alerts.slack.webhook_url must be an http(s) URL (its value is a secret, so not shown)"),
        ({"ALERTS__REMIND_AFTER": "soon"},
         "alert: alerts.remind_after must be a duration like 4h, 30m or 1d, or off, not 'soon'"),
        ({"ALERTS__MUTE": '{"ai_squared:2": "tomorrow"}'},
         "alert: alerts.mute.ai_squared:2 must be an ISO time with a zone (2026-12-01T00:00:00Z), "
         "not 'tomorrow'"),
        ({"ALERTS__MUTE": '{"zapier": "2026-12-01T00:00:00Z"}'},
         "alert: alerts.mute key 'zapier' must be a vendor (ai_squared, timbal, paragon) or vendor:sync_id"),
    ],
)  # fmt: skip
def test_a_wrong_setting_exits_2_in_one_line(db: Path, receivers: dict, extra: dict, error: str) -> None:
    result = syncscope("alert", "--db", str(db), env=alert_env(receivers, **extra))
    assert (result.returncode, result.stderr.strip(), result.stdout) == (2, error, "")


def test_no_destination_exits_2(db: Path) -> None:
    result = syncscope("alert", "--db", str(db), env={})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "alert: no destination configured: set alerts.slack.webhook_url, alerts.pagerduty.routing_key, "
        "alerts.webhook.url or alerts.email.host (README: Alerts)"
    )


def test_a_held_warehouse_exits_10(db: Path, receivers: dict) -> None:
    with warehouse_lock(db):
        result = syncscope("alert", "--db", str(db), env=alert_env(receivers))
    assert result.returncode == 10
    assert (
        result.stderr.strip()
        == f"alert: {db} is being loaded by pid {os.getpid()}; try again when it finishes"
    )


def test_a_failing_destination_exits_11_and_names_it(db: Path, receivers: dict) -> None:
    receivers["slack"].default = Reply(404, "channel_not_found")
    result = syncscope("alert", "--db", str(db), env=alert_env(receivers))
    assert result.returncode == EXIT_ALERTS
    assert result.stdout.splitlines() == [
        "slack      failed: slack: HTTP 404 channel_not_found", "pagerduty  sent 2", "webhook    sent 2"
    ]  # fmt: skip


def test_killed_between_write_ahead_and_send_sends_once_on_the_next_run(
    db: Path, receivers: dict, tmp_path: Path
) -> None:
    marker = tmp_path / "paused"
    proc = syncscope(
        "alert", "--db", str(db), env=alert_env(receivers, **{PAUSE_ENV: str(marker)}), wait=False
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), proc.communicate()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert all(r.requests == [] for r in receivers.values())
    assert {n["outcome"] for n in table(db, "alerts.notifications")} == {"pending"}
    for _ in range(2):
        result = syncscope("alert", "--db", str(db), env=alert_env(receivers))
        assert result.returncode == 0, result.stderr
    assert [len(r.requests) for r in receivers.values()] == [1, 2, 1]
    rows = table(db, "alerts.notifications", "notification_id")
    recorded = [(n["destination"], n["transition"], n["dedup_key"]) for n in rows]
    assert [n["outcome"] for n in rows] == ["interrupted"] * 6 + ["sent"] * 6
    assert recorded[:6] == recorded[6:]  # the same six notices, recorded once more and sent once


def test_secrets_appear_nowhere(
    db: Path, receivers: dict, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    env = alert_env(receivers)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    secrets = [
        receivers["slack"].url + SLACK_URL_PATH,
        SLACK_URL_PATH,
        ROUTING_KEY,
        WEBHOOK_PATH,
        HEADER_SECRET,
    ]
    receivers["slack"].default = Reply(400, "invalid_payload")
    receivers["webhook"].default = Reply(500, "oops")
    receivers["pagerduty"].script.append(Reply(400, json.dumps({"message": "Event object is invalid"})))
    outcome = run_alerts(db, load_config())
    errors = " ".join(r.delivery.error for r in outcome.failed)
    assert "slack: HTTP 400 invalid_payload" in errors and "webhook: HTTP 500" in errors
    cli = syncscope("alert", "--db", str(db), "--json", env=env)
    dry = syncscope("alert", "--db", str(db), "--dry-run", "--json", env=env)
    with duckdb.connect(str(db), read_only=True) as con:
        dump = str(con.execute("select * from alerts.notifications").fetchall())
        dump += str(con.execute("select * from alerts.incidents").fetchall())
    haystacks = {"logs": caplog.text, "errors": errors, "cli": cli.stdout + cli.stderr,
                 "dry-run": dry.stdout + dry.stderr, "warehouse": dump}  # fmt: skip
    assert "HTTP Request: POST" in caplog.text  # httpx did log the requests...
    for where, text in haystacks.items():
        assert not any(s in text for s in secrets), where  # ...without the URL


def test_a_warehouse_without_marts_or_loads_exits_2(tmp_path: Path, receivers: dict) -> None:
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    result = syncscope("alert", "--db", str(db), env=alert_env(receivers))
    assert (result.returncode, result.stderr.strip()) == (
        2, "alert: the warehouse has no marts yet: run `syncscope run` first"
    )  # fmt: skip
    write_marts(db, None, [])  # models built before any load: as_of is null
    result = syncscope("alert", "--db", str(db), env=alert_env(receivers))
    assert (result.returncode, result.stderr.strip()) == (
        2, "alert: the warehouse has no load yet, so no as_of: run `syncscope run` first"
    )  # fmt: skip

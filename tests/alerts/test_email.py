"""Email through SMTP: one plain-text message per run, 4xx retried, 5xx one line, settings."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.alerts.config import load_config
from pipelines.alerts.engine import EXIT_ALERTS, run_alerts
from tests.alerts.smtp_receiver import SmtpReceiver
from tests.alerts.test_cli import syncscope
from tests.alerts.warehouse import failing, sync, table, write_marts

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def smtp() -> SmtpReceiver:
    with SmtpReceiver() as server:
        yield server


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    write_marts(path, T0, [sync("1"), failing("2")])
    return path


def email_env(smtp: SmtpReceiver) -> dict[str, str]:
    return {"ALERTS__EMAIL__HOST": "127.0.0.1", "ALERTS__EMAIL__PORT": str(smtp.port),
            "ALERTS__EMAIL__SECURITY": "none", "ALERTS__EMAIL__SENDER": "syncscope@example.com",
            "ALERTS__EMAIL__TO": '["oncall@example.com", "data@example.com"]',
            "ALERTS__RETRY_BACKOFF_SECONDS": "0.01"}  # fmt: skip


def test_one_email_per_run_with_every_transition_and_nothing_when_unchanged(
    db: Path, smtp: SmtpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in email_env(smtp).items():
        monkeypatch.setenv(name, value)
    config = load_config()
    assert [d.name for d in config.destinations] == ["email"]
    assert run_alerts(db, config).exit_code == 0
    run_alerts(db, config)
    write_marts(db, T0.replace(hour=13), [sync("1"), sync("2")])
    run_alerts(db, config)
    assert [m["Subject"] for m in smtp.messages] == ["syncscope: 1 new", "syncscope: 1 resolved"]
    assert smtp.envelopes[0] == ("<syncscope@example.com>", ["<oncall@example.com>", "<data@example.com>"])
    assert smtp.messages[0].get_payload(decode=True).decode().splitlines() == [
        "2 syncs as of 2026-11-20 12:00 UTC: 1 failing, 1 healthy; 1 open incident",
        "",
        "New [critical] ai_squared/2 (sync 2): 5 failed runs in a row > 3, since 2026-11-20 12:00 UTC",
    ]
    log = [(n["destination"], n["transition"], n["outcome"], n["http_status"])
           for n in table(db, "alerts.notifications", "notification_id")]  # fmt: skip
    assert log == [("email", "trigger", "sent", 250), ("email", "resolve", "sent", 250)]


def test_smtp_4xx_is_retried_and_5xx_fails_in_one_line(db: Path, smtp: SmtpReceiver) -> None:
    smtp.mail_replies.extend(["451 4.3.0 mailbox busy", "550 5.7.1 relaying denied"])
    result = syncscope("alert", "--db", str(db), "--json", env=email_env(smtp))
    assert result.returncode == EXIT_ALERTS, result.stderr
    assert json.loads(result.stdout)["destinations"]["email"]["errors"] == [
        "email: SMTP 550 5.7.1 relaying denied"
    ]
    assert smtp.messages == []
    [row] = table(db, "alerts.notifications")
    assert (row["outcome"], row["http_status"], row["attempts"]) == ("failed", 550, 2)  # 451 was retried
    assert syncscope("alert", "--db", str(db), env=email_env(smtp)).stdout == "email      sent 1\n"
    assert len(smtp.messages) == 1


def test_email_settings_errors_name_the_key(db: Path, smtp: SmtpReceiver) -> None:
    env = {**email_env(smtp), "ALERTS__EMAIL__SECURITY": "tls"}
    result = syncscope("alert", "--db", str(db), env=env)
    assert (result.returncode, result.stderr.strip()) == (
        2, "alert: alerts.email.security must be one of starttls, ssl, none, not 'tls'"
    )  # fmt: skip
    env = {**email_env(smtp), "ALERTS__EMAIL__TO": ""}
    assert syncscope("alert", "--db", str(db), env=env).stderr.strip() == (
        "alert: email needs alerts.email.to, one address or a list"
    )


def test_login_uses_the_secret_password_which_appears_nowhere(db: Path, smtp: SmtpReceiver) -> None:
    password = "s3cr3t-smtp-password"
    env = {**email_env(smtp), "ALERTS__EMAIL__USERNAME": "syncscope", "ALERTS__EMAIL__PASSWORD": password}
    smtp.auth_reply = "535 5.7.8 authentication failed"
    refused = syncscope("alert", "--db", str(db), "--json", env=env)
    assert json.loads(refused.stdout)["destinations"]["email"]["errors"] == [
        "email: SMTP 535 5.7.8 authentication failed"
    ]
    smtp.auth_reply = "235 2.7.0 authenticated"
    sent = syncscope("alert", "--db", str(db), env=env)
    assert sent.returncode == 0 and len(smtp.messages) == 1
    assert base64.b64decode(smtp.logins[-1]) == b"\0syncscope\0" + password.encode()
    dumped = str(table(db, "alerts.notifications")) + str(table(db, "alerts.incidents"))
    for text in (refused.stdout, refused.stderr, sent.stdout, sent.stderr, dumped):
        assert password not in text

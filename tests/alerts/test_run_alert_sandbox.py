"""End to end on the sandbox: `syncscope run --alert` as scheduled, a healthy Paragon sync
starts failing (admin endpoint), then recovers; asserted on the receivers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pipelines.runner import state_dir
from sandbox.paragon.catalog import FREQUENCIES
from sandbox.service import Sandbox
from tests.alerts.conftest import ROUTING_KEY, SLACK_URL_PATH, WEBHOOK_PATH, validator
from tests.alerts.receiver import Receiver, Reply
from tests.alerts.test_cli import alert_env, syncscope
from tests.conftest import small_config

# Only the failing streak matters here (any failed run after the last success), so what the
# receivers get follows from Paragon's status alone.
ONLY_FAILURES = {"ALERTS__MIN_SUCCESS_RATE": "0", "ALERTS__MAX_STALENESS_FACTOR": "1e9",
                 "ALERTS__MAX_FAILING_STREAK": "0", "ALERTS__MAX_FAILED_RECORD_SHARE": "1"}  # fmt: skip


def webhook_transitions(receiver: Receiver) -> list[list[tuple[str, str]]]:
    return [[(t["transition"], t["dedup_key"]) for t in b["transitions"]] for b in receiver.bodies()]


@pytest.mark.slow
def test_a_sync_that_starts_failing_gets_one_trigger_and_one_resolve(receivers: dict, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with Sandbox(small_config()) as box:
        env = {**box.env(), **alert_env(receivers, **ONLY_FAILURES)}
        admin = f"{box.urls['paragon']}/_sandbox/paragon"

        def run() -> None:
            result = syncscope(
                "run", "--vendor", "paragon", "--db", str(db), "--no-publish", "--alert", env=env
            )
            assert result.returncode == 0, result.stdout + result.stderr
            outputs.append(result.stdout + result.stderr)

        outputs: list[str] = []
        truth = httpx.get(f"{admin}/truth/syncs").json()["data"]
        errored = sorted(f"paragon:{s['id']}:failing_streak" for s in truth if s["status"] == "ERRORED")
        assert errored, "the small world has errored Paragon syncs"
        run()
        assert [sorted(k for _, k in m) for m in webhook_transitions(receivers["webhook"])] == [errored]
        run()  # nothing changed in the world
        assert len(receivers["webhook"].requests) == 1
        assert outputs[-1].splitlines()[-1].startswith("alert       nothing to send")

        healthy = [s for s in truth if s["kind"] == "healthy" and s["status"] in ("ACTIVE", "IDLE")]
        victim = min(healthy, key=lambda s: (FREQUENCIES[s["frequency"]], s["id"]))
        key = f"paragon:{victim['id']}:failing_streak"
        patched = httpx.patch(
            f"{admin}/syncs/{victim['id']}", json={"status": "ERRORED", "reason": "token revoked"}
        )
        assert patched.status_code == 200 and patched.json()["status"] == "ERRORED"
        run()
        assert webhook_transitions(receivers["webhook"])[1:] == [[("trigger", key)]]
        events = receivers["pagerduty"].bodies()[len(errored) :]
        assert [(e["event_action"], e["dedup_key"]) for e in events] == [("trigger", key)]
        run()
        assert len(receivers["webhook"].requests) == 2  # still failing: nothing new
        report = syncscope("report", "--db", str(db), env={}).stdout.splitlines()
        at = report.index(f"{len(errored) + 1} open incidents (syncscope alert):")
        opened = [line.split()[1] for line in report[at + 1 :]]
        assert sorted(opened) == sorted(f"paragon/{k.split(':')[1]}" for k in [*errored, key])
        assert (
            syncscope("report", "--db", str(db), "--html", str(tmp_path / "h.html"), env={}).returncode == 0
        )
        page = (tmp_path / "h.html").read_text()
        assert (
            "<h2>Open incidents</h2>" in page
            and page.count("<code>failing_streak</code>") == len(errored) + 1
        )

        assert httpx.patch(f"{admin}/syncs/{victim['id']}", json={"status": "ACTIVE"}).status_code == 200
        httpx.post(
            f"{box.urls['paragon']}/_sandbox/advance",
            json={"seconds": 3 * FREQUENCIES[victim["frequency"]] // 1000},
        )
        run()
        mine = [
            (kind, k)
            for message in webhook_transitions(receivers["webhook"])
            for kind, k in message
            if k == key
        ]
        assert mine == [("trigger", key), ("resolve", key)]
        assert ("resolve", key) in webhook_transitions(receivers["webhook"])[-1]
        pd_mine = [e["event_action"] for e in receivers["pagerduty"].bodies() if e["dedup_key"] == key]
        assert pd_mine == ["trigger", "resolve"]
        for body in receivers["pagerduty"].bodies():
            validator("pagerduty_events_v2").validate(body)
        for body in receivers["slack"].bodies():
            validator("slack_incoming_webhook").validate(body)

    secrets = [SLACK_URL_PATH, ROUTING_KEY, WEBHOOK_PATH, "s3cr3t"]
    assert not any(s in text for s in secrets for text in outputs)
    assert not any(s.encode() in db.read_bytes() for s in secrets)
    for path in state_dir(db).rglob("*"):
        if path.is_file():
            assert not any(s.encode() in path.read_bytes() for s in secrets), path


@pytest.mark.slow
def test_run_alert_exits_11_when_a_destination_fails_and_2_on_a_wrong_alert_setting(
    receivers: dict, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    receivers["slack"].default = Reply(404, "channel_not_found")
    with Sandbox(small_config()) as box:
        env = {**box.env(), **alert_env(receivers, **ONLY_FAILURES)}
        result = syncscope("run", "--vendor", "paragon", "--db", str(db), "--no-publish", "--alert", env=env)
        assert result.returncode == 11, result.stdout + result.stderr
        assert result.stderr.splitlines()[-1] == (
            "alert       slack failed: slack: HTTP 404 channel_not_found; pagerduty sent 2; webhook sent 2"
        )
        env["ALERTS__DESTINATIONS"] = "teams"
        result = syncscope("run", "--vendor", "paragon", "--db", str(db), "--no-publish", "--alert", env=env)
        assert result.returncode == 2
        assert result.stderr.splitlines()[-1] == (
            "alert       failed: unknown destination 'teams' in alerts.destinations "
            "(known: slack, pagerduty, webhook, email)"
        )
        assert "paragon     loaded" in result.stdout

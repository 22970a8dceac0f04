"""Incidents over repeated runs: one trigger per new breach, one resolve, nothing when nothing
changed, escalation, reminders, mutes; payloads valid against the destinations' documented shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipelines.alerts.engine import run_alerts
from tests.alerts.conftest import ROUTING_KEY, make_config, validator
from tests.alerts.receiver import Receiver
from tests.alerts.warehouse import failing, sync, table, write_marts

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "w.duckdb"


def kinds(receiver: Receiver) -> list[list[tuple[str, str]]]:
    """Per webhook message, its (transition, dedup_key) pairs."""
    return [[(t["transition"], t["dedup_key"]) for t in body["transitions"]] for body in receiver.bodies()]


def test_one_trigger_per_new_breach_nothing_when_unchanged_one_resolve(db: Path, receivers: dict) -> None:
    config = make_config(receivers)
    write_marts(db, T0, [sync("1"), failing("2", streak=4)])
    assert run_alerts(db, config).exit_code == 0
    assert kinds(receivers["webhook"]) == [[("trigger", "ai_squared:2:failing_streak")]]
    pd = receivers["pagerduty"].bodies()
    assert [(e["event_action"], e["dedup_key"], e["payload"]["severity"]) for e in pd] == [
        ("trigger", "ai_squared:2:failing_streak", "critical")
    ]
    assert len(receivers["slack"].requests) == 1
    # Two more runs: the streak grows (same rule, same incident), then nothing moves at all.
    write_marts(db, hours(1), [sync("1"), failing("2", streak=5)])
    run_alerts(db, config)
    run_alerts(db, config)
    assert [len(r.requests) for r in receivers.values()] == [1, 1, 1]
    write_marts(db, hours(2), [sync("1"), sync("2")])
    assert run_alerts(db, config).exit_code == 0
    assert kinds(receivers["webhook"])[1] == [("resolve", "ai_squared:2:failing_streak")]
    assert receivers["pagerduty"].bodies()[1] == {
        "routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": "ai_squared:2:failing_streak"
    }  # fmt: skip
    run_alerts(db, config)
    assert [len(r.requests) for r in receivers.values()] == [2, 2, 2]
    incidents = table(db, "alerts.incidents")
    fields = ("dedup_key", "status", "since", "resolved_at", "value", "last_notified_at")
    assert [tuple(i[f] for f in fields) for i in incidents] == [
        ("ai_squared:2:failing_streak", "resolved", T0, hours(2), 5.0, hours(2))
    ]
    log = table(db, "alerts.notifications", "notification_id")
    assert [(n["destination"], n["transition"], n["outcome"], n["http_status"]) for n in log] == [
        ("slack", "trigger", "sent", 200), ("pagerduty", "trigger", "sent", 202),
        ("webhook", "trigger", "sent", 200), ("slack", "resolve", "sent", 200),
        ("pagerduty", "resolve", "sent", 202), ("webhook", "resolve", "sent", 200),
    ]  # fmt: skip


def test_payloads_match_slack_block_kit_and_pagerduty_v2_schemas(db: Path, receivers: dict) -> None:
    config = make_config(receivers)
    fleet = [failing("1"), sync("2", success_rate_7d=0.5, health="degraded"),
             sync("3", "timbal", staleness_s=9000.0, seconds_since_success=None, health="stale",
                  sync_name="Orders <prod> & co")]  # fmt: skip
    write_marts(db, T0, fleet)
    run_alerts(db, config)
    degraded = sync("2", success_rate_7d=0.5, health="degraded")
    write_marts(db, hours(1), [sync("1"), degraded, sync("3", "timbal")])
    run_alerts(db, config)
    slack_schema, pd_schema = validator("slack_incoming_webhook"), validator("pagerduty_events_v2")
    for body in receivers["slack"].bodies():
        slack_schema.validate(body)
    for body in receivers["pagerduty"].bodies():
        pd_schema.validate(body)
    first = receivers["slack"].bodies()[0]
    assert first["blocks"][0]["text"]["text"] == "syncscope: 3 new"
    assert first["blocks"][1]["text"]["text"] == (
        "3 syncs as of 2026-11-20 12:00 UTC: 1 failing, 1 stale, 1 degraded; 3 open incidents"
    )
    lines = [b["text"]["text"] for b in first["blocks"][3:]]
    assert lines == [  # worst first: failing streak (critical), staleness (error), success rate (warning)
        ":red_circle: New [critical] ai_squared/1 (sync 1): 5 failed runs in a row &gt; 3, "
        "since 2026-11-20 12:00 UTC",
        ":red_circle: New [error] timbal/3 (Orders &lt;prod&gt; &amp; co): never succeeded for 2.5x the "
        "expected interval, since 2026-11-20 12:00 UTC",
        ":red_circle: New [warning] ai_squared/2 (sync 2): success rate 7d 50.0% &lt; 90.0%, "
        "since 2026-11-20 12:00 UTC",
    ]
    second = receivers["slack"].bodies()[1]
    assert second["blocks"][0]["text"]["text"] == "syncscope: 2 resolved"
    assert [e["event_action"] for e in receivers["pagerduty"].bodies()] == ["trigger"] * 3 + ["resolve"] * 2
    trigger = receivers["pagerduty"].bodies()[0]
    assert trigger["payload"]["custom_details"]["value"] == 5.0
    assert trigger["payload"]["custom_details"]["threshold"] == 3.0
    payload = trigger["payload"]
    assert (payload["source"], payload["class"]) == ("syncscope/ai_squared", "failing_streak")
    bad = {**trigger, "payload": {**trigger["payload"], "severity": "fatal"}}
    assert not pd_schema.is_valid(bad)  # the schema does reject what PagerDuty would


def test_webhook_payload_is_versioned_with_every_transition(db: Path, receivers: dict) -> None:
    write_marts(db, T0, [failing(str(n)) for n in range(30)])
    run_alerts(db, make_config(receivers, max_listed=5))
    [body] = receivers["webhook"].bodies()
    assert body["schema"] == "syncscope.alerts.v1" and body["as_of"] == T0.isoformat()
    health = {"failing": 30, "stale": 0, "degraded": 0, "healthy": 0, "disabled": 0}
    assert body["fleet"] == {"syncs": 30, "open_incidents": 30, "health": health}
    assert len(body["transitions"]) == 30
    assert body["transitions"][0] == {
        "transition": "trigger", "dedup_key": "ai_squared:0:failing_streak",
        "incident_id": f"ai_squared:0:failing_streak@{T0.isoformat()}", "vendor": "ai_squared",
        "sync_id": "0", "sync_name": "sync 0", "rule": "failing_streak", "severity": "critical", "value": 5.0,
        "threshold": 3.0, "reason": "5 failed runs in a row > 3", "since": T0.isoformat(),
        "resolved_at": None, "link": None,
    }  # fmt: skip
    assert receivers["webhook"].requests[0].headers["Authorization"] == "Bearer s3cr3t-header-value"
    slack = receivers["slack"].bodies()[0]["blocks"]
    assert len(slack) == 3 + 5 + 1
    assert slack[-1]["elements"][0]["text"].startswith("and 25 more")
    assert len(receivers["pagerduty"].requests) == 30  # PagerDuty takes one event per alert


def test_a_worse_rule_escalates_and_the_milder_one_stays_open(db: Path, receivers: dict) -> None:
    config = make_config(receivers, only=("webhook",))
    write_marts(db, T0, [sync("1", success_rate_7d=0.5, health="degraded")])
    run_alerts(db, config)
    write_marts(db, hours(1), [sync("1", success_rate_7d=0.4, consecutive_failures=4, health="failing")])
    run_alerts(db, config)
    write_marts(db, hours(2), [sync("1", success_rate_7d=0.45, health="degraded")])
    run_alerts(db, config)
    assert kinds(receivers["webhook"]) == [
        [("trigger", "ai_squared:1:success_rate")],
        [("escalate", "ai_squared:1:failing_streak")],
        [("resolve", "ai_squared:1:failing_streak")],
    ]


def test_failed_record_share_of_the_last_run(db: Path, receivers: dict) -> None:
    runs = [
        {"vendor": "ai_squared", "sync_id": "1", "run_id": "10", "finished_at": hours(-2), "rows_synced": 10,
         "rows_failed": 90},
        {"vendor": "ai_squared", "sync_id": "1", "run_id": "11", "finished_at": hours(-1), "rows_synced": 80,
         "rows_failed": 20},
        {"vendor": "ai_squared", "sync_id": "2", "run_id": "20", "finished_at": hours(-1), "rows_synced": 95,
         "rows_failed": 5},
        {"vendor": "ai_squared", "sync_id": "2", "run_id": "21", "finished_at": hours(1), "rows_synced": 0,
         "rows_failed": 100},  # after as_of: not seen yet
    ]  # fmt: skip
    write_marts(db, T0, [sync("1"), sync("2")], runs)
    run_alerts(db, make_config(receivers, only=("webhook",)))
    [body] = receivers["webhook"].bodies()
    assert [(t["dedup_key"], t["value"], t["threshold"], t["reason"]) for t in body["transitions"]] == [
        (
            "ai_squared:1:failed_record_share",
            0.2,
            0.1,
            "20.0% of the last run's records failed (20 of 100) > 10.0%",
        ),
    ]


def test_reminders_only_after_remind_after(db: Path, receivers: dict) -> None:
    config = make_config(receivers, remind_after_s=4 * 3600)
    for n in (0, 1, 3.9, 4, 5, 8):
        write_marts(db, hours(n), [failing("1")])
        run_alerts(db, config)
    assert kinds(receivers["webhook"]) == [[("trigger", "ai_squared:1:failing_streak")],
                                           [("remind", "ai_squared:1:failing_streak")],
                                           [("remind", "ai_squared:1:failing_streak")]]  # fmt: skip
    assert [b["blocks"][0]["text"]["text"] for b in receivers["slack"].bodies()] == [
        "syncscope: 1 new",
        "syncscope: 1 still open",
        "syncscope: 1 still open",
    ]
    assert len(receivers["pagerduty"].requests) == 1  # PagerDuty re-notifies by itself


def test_mutes_are_honoured_and_expire(db: Path, receivers: dict) -> None:
    config = make_config(receivers, only=("webhook",), mutes={"ai_squared:1": hours(3), "timbal": hours(1)})
    fleet = [failing("1"), failing("2"), failing("9", vendor="timbal")]
    write_marts(db, T0, fleet)
    run_alerts(db, config)
    write_marts(db, hours(2), fleet)  # the timbal mute has ended, ai_squared:1's has not
    run_alerts(db, config)
    write_marts(db, hours(3), fleet)  # a mute ends at its expiry
    run_alerts(db, config)
    assert kinds(receivers["webhook"]) == [
        [("trigger", "ai_squared:2:failing_streak")],
        [("trigger", "timbal:9:failing_streak")],
        [("trigger", "ai_squared:1:failing_streak")],
    ]


def test_a_run_at_the_same_as_of_on_another_machine_sends_nothing(db: Path, receivers: dict) -> None:
    write_marts(db, T0, [failing("1")])
    run_alerts(db, make_config(receivers, only=("webhook",)))
    with Receiver() as other:  # a second machine, same warehouse, its own process
        config = make_config({"slack": other, "pagerduty": other, "webhook": other}, only=("webhook",))
        run_alerts(db, config)
        assert other.requests == []


def test_links_from_templates_reach_every_destination(db: Path, receivers: dict) -> None:
    links = {"ai_squared": "https://app.squared.ai/syncs/{sync_id}"}
    write_marts(db, T0, [failing("a/1"), failing("9", vendor="timbal")])
    run_alerts(db, make_config(receivers, links=links))
    webhook = {t["dedup_key"]: t["link"] for t in receivers["webhook"].bodies()[0]["transitions"]}
    assert webhook == {"ai_squared:a/1:failing_streak": "https://app.squared.ai/syncs/a%2F1",
                       "timbal:9:failing_streak": None}  # fmt: skip
    events = {e["dedup_key"]: e.get("links") for e in receivers["pagerduty"].bodies()}
    assert events["ai_squared:a/1:failing_streak"] == [
        {"href": "https://app.squared.ai/syncs/a%2F1", "text": "ai_squared sync a/1"}
    ]
    assert events["timbal:9:failing_streak"] is None
    slack = receivers["slack"].bodies()[0]["blocks"][3]["text"]["text"]
    assert slack.endswith(" <https://app.squared.ai/syncs/a%2F1|open>")
    for body in receivers["pagerduty"].bodies():
        validator("pagerduty_events_v2").validate(body)

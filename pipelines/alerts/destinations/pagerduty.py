"""PagerDuty Events API v2: one event per transition, `dedup_key` = vendor:sync:rule.

A trigger (or escalation) is `event_action: trigger` with a payload (summary <= 1,024 characters,
source, severity critical|error|warning|info, timestamp, component, group, class,
custom_details); a recovery is `event_action: resolve` with the same dedup_key. Re-sending a
trigger with a dedup_key PagerDuty already has open adds to that alert instead of paging again,
which is what makes a resend after a crash harmless. Reminders are not sent: PagerDuty escalates
on its own. Errors: `{"status": "invalid event", "message": ..., "errors": [...]}`.
"""

from __future__ import annotations

import json

from pipelines.alerts.messages import as_json, line
from pipelines.alerts.transitions import Transition


def event(routing_key: str, t: Transition) -> dict | None:
    if t.kind == "remind":
        return None
    if t.kind == "resolve":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": t.dedup_key}
    summary = line(t)
    links = {"links": [{"href": t.link, "text": f"{t.vendor} sync {t.sync_id}"}]} if t.link else {}
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": t.dedup_key,
        "client": "syncscope",
        "payload": {
            "summary": summary if len(summary) <= 1024 else summary[:1023] + "…",
            "source": f"syncscope/{t.vendor}",
            "severity": t.severity,
            "timestamp": t.since.isoformat(),
            "component": f"{t.vendor}/{t.sync_id}",
            "group": t.vendor,
            "class": t.rule,
            "custom_details": as_json(t),
        },
        **links,
    }


def error(status: int, body: str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("message"):
        errors = "; ".join(str(e) for e in data.get("errors") or [])
        return f"HTTP {status} {data['message']}" + (f": {errors}" if errors else "")
    first = body.strip().splitlines()[0][:200] if body.strip() else ""
    return f"HTTP {status} {first}".rstrip()

"""The generic JSON webhook: one versioned document per run (schema `syncscope.alerts.v1`).

Every transition is listed (no cap: this is for machines), each with its dedup_key so a
receiver can drop the rare duplicate a crash mid-send can cause. The payload is documented in
the README ("Webhook payload"); a new field is added compatibly, a change of meaning bumps the
version.
"""

from __future__ import annotations

from datetime import datetime

from pipelines.alerts.messages import Fleet, as_json, headline
from pipelines.alerts.transitions import Transition

SCHEMA = "syncscope.alerts.v1"


def message(fleet: Fleet, transitions: list[Transition], message_id: str, sent_at: datetime) -> dict:
    return {
        "schema": SCHEMA,
        "message_id": message_id,
        "sent_at": sent_at.isoformat(),
        "as_of": fleet.as_of.isoformat(),
        "summary": headline(transitions),
        "fleet": {"syncs": fleet.syncs, "health": fleet.health, "open_incidents": fleet.open_incidents},
        "transitions": [as_json(t) for t in transitions],
    }


def error(status: int, body: str) -> str:
    first = body.strip().splitlines()[0][:200] if body.strip() else ""
    return f"HTTP {status} {first}".rstrip()

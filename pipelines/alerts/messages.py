"""Words shared by every destination: the fleet summary and one line per transition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipelines.alerts.transitions import Transition
from pipelines.warehouse_reads import SEVERITY as HEALTH_ORDER

VERBS = {"trigger": "New", "escalate": "Worse", "remind": "Still open", "resolve": "Resolved"}


@dataclass(frozen=True)
class Fleet:
    """The whole fleet at as_of, so a message says how bad things are, not only what changed."""

    as_of: datetime
    health: dict[str, int]  # health -> syncs, worst first
    open_incidents: int

    @property
    def syncs(self) -> int:
        return sum(self.health.values())

    def line(self) -> str:
        parts = ", ".join(f"{n} {h}" for h, n in self.health.items() if n)
        return (f"{self.syncs} syncs as of {self.as_of:%Y-%m-%d %H:%M} UTC: {parts or 'none'}; "
                f"{self.open_incidents} open incident{'s' * (self.open_incidents != 1)}")  # fmt: skip


def fleet(rows: list[dict], as_of: datetime, open_incidents: int) -> Fleet:
    counts = {h: sum(r["health"] == h for r in rows) for h in HEALTH_ORDER}
    return Fleet(as_of, counts, open_incidents)


def headline(transitions: list[Transition]) -> str:
    """`2 new, 1 worse, 1 resolved`: how many of each kind, in a fixed order."""
    counts: dict[str, int] = {}
    for t in transitions:
        counts[VERBS[t.kind].lower()] = counts.get(VERBS[t.kind].lower(), 0) + 1
    return ", ".join(f"{n} {verb}" for verb, n in counts.items())


def sync_label(t: Transition) -> str:
    name = f" ({t.sync_name})" if t.sync_name and t.sync_name != t.sync_id else ""
    return f"{t.vendor}/{t.sync_id}{name}"


def line(t: Transition) -> str:
    """`New [critical] ai_squared/12 (orders): 4 failed runs in a row > 3, since 2026-11-20 12:00 UTC`."""
    when = f"since {t.since:%Y-%m-%d %H:%M} UTC"
    if t.kind == "resolve" and t.resolved_at is not None:
        when = f"{t.rule} ok again at {t.resolved_at:%Y-%m-%d %H:%M} UTC"
        return f"{VERBS[t.kind]} {sync_label(t)}: {when} (open since {t.since:%Y-%m-%d %H:%M})"
    return f"{VERBS[t.kind]} [{t.severity}] {sync_label(t)}: {t.reason}, {when}"


def as_json(t: Transition) -> dict:
    """One transition in the webhook payload (and `--json`); documented in the README."""
    return {
        "transition": t.kind,
        "dedup_key": t.dedup_key,
        "incident_id": t.incident_id,
        "vendor": t.vendor,
        "sync_id": t.sync_id,
        "sync_name": t.sync_name,
        "rule": t.rule,
        "severity": t.severity,
        "value": t.value,
        "threshold": t.threshold,
        "reason": t.reason,
        "since": t.since.isoformat(),
        "resolved_at": t.resolved_at.isoformat() if t.resolved_at else None,
        "link": t.link,
    }

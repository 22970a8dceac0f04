"""What each destination must be told now, derived from the incidents and what it was told.

- trigger / escalate: an open incident this destination has no delivered trigger for
  (escalate: the sync already had an open incident on a milder rule, e.g. degraded -> failing);
- resolve: a resolved incident whose trigger this destination got (or may have got: a run killed
  mid-send), and whose resolve it has not;
- remind: an open incident whose last delivered notice is `remind_after` old (at as_of); never
  to PagerDuty, which re-notifies on its own.
A failed attempt leaves the need in place, so the next run retries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from pipelines.alerts.rules import RULES
from pipelines.alerts.state import has_state
from pipelines.warehouse_reads import rows_of

KIND_ORDER = {"escalate": 0, "trigger": 1, "remind": 2, "resolve": 3}


@dataclass(frozen=True)
class Transition:
    kind: str  # trigger | escalate | remind | resolve
    incident_id: str
    dedup_key: str
    vendor: str
    sync_id: str
    sync_name: str | None
    rule: str
    severity: str
    value: float | None
    threshold: float | None
    reason: str | None
    since: datetime
    resolved_at: datetime | None
    link: str | None = None  # the sync in its vendor's app, from `[alerts.links]`

    @property
    def sort_key(self) -> tuple:
        return (KIND_ORDER[self.kind], RULES.index(self.rule), self.vendor, self.sync_id)


DELIVERIES = """
select
    incident_id,
    destination,
    bool_or(transition in ('trigger', 'escalate') and outcome = 'sent') as triggered,
    bool_or(transition in ('trigger', 'escalate') and outcome in ('sent', 'interrupted')) as maybe_triggered,
    bool_or(transition = 'resolve' and outcome = 'sent') as resolve_sent,
    max(as_of) filter (where outcome = 'sent') as last_sent_as_of
from alerts.notifications
group by incident_id, destination
"""

CANDIDATES = """
select * from alerts.incidents
where status = 'open'
   or incident_id in (
       select incident_id from alerts.notifications
       where transition in ('trigger', 'escalate') and outcome in ('sent', 'interrupted')
       except
       select incident_id from alerts.notifications where transition = 'resolve' and outcome = 'sent'
   )
"""


def pending(
    con: duckdb.DuckDBPyConnection,
    destinations: list[str],
    as_of: datetime,
    remind_after_s: float | None,
    muted: set[tuple[str, str]],
) -> dict[str, list[Transition]]:
    """Per destination, the transitions it still needs, worst first."""
    out: dict[str, list[Transition]] = {d: [] for d in destinations}
    if not has_state(con):
        return out
    told = {(r["incident_id"], r["destination"]): r for r in rows_of(con, DELIVERIES)}
    for incident in rows_of(con, CANDIDATES):
        if (incident["vendor"], incident["sync_id"]) in muted:
            continue
        for destination in destinations:
            past = told.get((incident["incident_id"], destination), {})
            kind = _kind(incident, past, destination, as_of, remind_after_s)
            if kind:
                out[destination].append(_transition(kind, incident))
    for items in out.values():
        items.sort(key=lambda t: t.sort_key)
    return out


def _kind(incident: dict, past: dict, destination: str, as_of: datetime, remind_after_s: float | None) -> str:
    if incident["status"] == "resolved":
        return "resolve" if past.get("maybe_triggered") and not past.get("resolve_sent") else ""
    if not past.get("triggered"):
        return incident["opened_as"]
    last = past.get("last_sent_as_of")
    if remind_after_s and destination != "pagerduty" and last is not None:
        return "remind" if (as_of - last).total_seconds() >= remind_after_s else ""
    return ""


def _transition(kind: str, incident: dict) -> Transition:
    fields = ("incident_id", "dedup_key", "vendor", "sync_id", "sync_name", "rule", "severity", "value",
              "threshold", "reason", "since", "resolved_at")  # fmt: skip
    return Transition(kind, *(incident[f] for f in fields))

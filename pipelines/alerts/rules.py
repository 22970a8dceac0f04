"""The alert rules: `check`'s thresholds (pipelines/check.py) plus the failed-record share of
each sync's last run, evaluated on the marts at their as_of (read by pipelines/warehouse_reads.py).

A rule breach is keyed vendor:sync:rule; that key is the incident's identity, PagerDuty's
dedup_key and the webhook's `dedup_key`, so every machine reading the same warehouse agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from pipelines import warehouse_reads
from pipelines.alerts.config import AlertConfig, Limits
from pipelines.check import RuleBreach, rule_breaches

# Worst first. PagerDuty severities (critical, error, warning, info) by rule.
SEVERITY = {"failing_streak": "critical", "staleness": "error", "failed_record_share": "error",
            "success_rate": "warning"}  # fmt: skip
RULES = tuple(SEVERITY)


@dataclass(frozen=True)
class Breach:
    vendor: str
    sync_id: str
    sync_name: str | None
    rule: str
    value: float
    threshold: float
    reason: str
    health: str

    @property
    def key(self) -> str:
        return f"{self.vendor}:{self.sync_id}:{self.rule}"

    @property
    def severity(self) -> str:
        return SEVERITY[self.rule]


@dataclass
class Evaluation:
    as_of: datetime
    rows: list[dict]  # marts.sync_health
    breaches: list[Breach]  # not muted
    muted: list[Breach]  # breaching but muted at as_of


def share_breach(share: dict | None, limits: Limits) -> RuleBreach | None:
    """The failed-record share of the last run over its limit (Multiwoven's row failure threshold)."""
    if share is None:
        return None
    failed, synced = share["rows_failed"], share["rows_synced"] or 0
    value = failed / (failed + synced)
    if value <= limits.max_failed_record_share:
        return None
    reason = (f"{value:.1%} of the last run's records failed ({failed:,} of {failed + synced:,}) "
              f"> {limits.max_failed_record_share:.1%}")  # fmt: skip
    return RuleBreach("failed_record_share", value, limits.max_failed_record_share, reason)


def evaluate(con: duckdb.DuckDBPyConnection, config: AlertConfig) -> Evaluation:
    """Every rule on every sync at marts.as_of; muted breaches are set aside, not dropped."""
    con.execute("set TimeZone = 'UTC'")
    as_of = warehouse_reads.marts_as_of(con)
    rows = warehouse_reads.health_by_sync(con)
    shares = warehouse_reads.last_run_shares(con)
    found, muted = [], []
    for row in rows:
        limits = config.limits_for(row["vendor"], row["sync_id"])
        rule_hits = rule_breaches(row, limits)
        if row["health"] != "disabled":
            extra = share_breach(shares.get((row["vendor"], row["sync_id"])), limits)
            rule_hits += [extra] if extra else []
        target = muted if config.muted_until(row["vendor"], row["sync_id"], as_of) else found
        for hit in rule_hits:
            target.append(Breach(row["vendor"], row["sync_id"], row["sync_name"], hit.rule, float(hit.value),
                                 float(hit.threshold), hit.reason, row["health"]))  # fmt: skip
    return Evaluation(as_of, rows, found, muted)

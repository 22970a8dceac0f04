"""The alert rules: `check`'s thresholds (pipelines/check.py) plus the failed-record share of
each sync's last run, evaluated on the marts at their as_of.

A rule breach is keyed vendor:sync:rule; that key is the incident's identity, PagerDuty's
dedup_key and the webhook's `dedup_key`, so every machine reading the same warehouse agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

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


# The newest finished run of each sync that counted records: failed / (synced + failed).
LAST_RUN_SHARE = """
select vendor, sync_id, run_id, rows_failed, rows_synced
from (
    select r.*, row_number() over (
        partition by r.vendor, r.sync_id order by r.finished_at desc, r.run_id desc) as n
    from marts.sync_runs as r cross join marts.as_of as a
    where r.finished_at <= a.as_of and r.rows_failed is not null
      and coalesce(r.rows_synced, 0) + r.rows_failed > 0
)
where n = 1
"""


def rows_of(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    """Every row of `sql` as a dict (the alert modules' one way to read the warehouse)."""
    relation = con.execute(sql)
    names = [d[0] for d in relation.description]
    return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]


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
    as_of = con.execute("select max(as_of) from marts.as_of").fetchone()[0]
    rows = rows_of(con, "select * from marts.sync_health order by vendor, sync_id")
    shares = {(s["vendor"], s["sync_id"]): s for s in rows_of(con, LAST_RUN_SHARE)}
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

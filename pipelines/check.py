"""Threshold checks over marts.sync_health, for alerting: which syncs breach, and why.

`rule_breaches` is the one place the thresholds are compared; `syncscope check` prints its
reasons and `syncscope alert` (pipelines/alerts/rules.py) turns the same breaches into incidents.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.warehouse_reads import load_health


@dataclass(frozen=True)
class Thresholds:
    min_success_rate: float = 0.9  # 7-day success rate
    max_staleness_factor: float = 2.0  # seconds since success / expected interval
    max_failing_streak: int = 3  # consecutive failed runs
    max_anomalies: int | None = None  # open anomalies (marts.sync_anomalies, last 24 h); None: unchecked


@dataclass(frozen=True)
class RuleBreach:
    """One threshold one sync breaches: the measured value against its limit."""

    rule: str  # success_rate | staleness | failing_streak
    value: float
    threshold: float
    reason: str


def rule_breaches(row: dict, limits: Thresholds) -> list[RuleBreach]:
    """The thresholds `row` (a marts.sync_health row) breaches; disabled syncs never breach."""
    if row["health"] == "disabled":
        return []
    out = []
    rate = row["success_rate_7d"]
    if rate is not None and rate < limits.min_success_rate:
        reason = f"success rate 7d {rate:.1%} < {limits.min_success_rate:.1%}"
        out.append(RuleBreach("success_rate", rate, limits.min_success_rate, reason))
    stale, interval = row["staleness_s"], row["expected_interval_s"]
    if stale is not None and interval and stale > limits.max_staleness_factor * interval:
        what = "no success" if row["seconds_since_success"] is not None else "never succeeded"
        reason = f"{what} for {stale / interval:.1f}x the expected interval"
        out.append(RuleBreach("staleness", stale / interval, limits.max_staleness_factor, reason))
    streak = row["consecutive_failures"]
    if streak > limits.max_failing_streak:
        reason = f"{streak} failed runs in a row > {limits.max_failing_streak}"
        out.append(RuleBreach("failing_streak", streak, limits.max_failing_streak, reason))
    anomalies = row.get("open_anomalies") or 0
    if limits.max_anomalies is not None and anomalies > limits.max_anomalies:
        reason = f"{anomalies} anomalies in the last 24 h > {limits.max_anomalies}"
        out.append(RuleBreach("anomalies", anomalies, limits.max_anomalies, reason))
    return out


def breaches(rows: list[dict], limits: Thresholds) -> list[dict]:
    """Syncs breaching any threshold (disabled syncs never do), each with its reasons."""
    out = []
    for row in rows:
        reasons = [b.reason for b in rule_breaches(row, limits)]
        if reasons:
            out.append({**row, "reasons": reasons})
    return out


def check(db: Path, limits: Thresholds) -> tuple[list[dict], list[dict]]:
    """Every sync's health, worst first, and those breaching `limits`."""
    rows = load_health(db)
    return rows, breaches(rows, limits)

"""Threshold checks over marts.sync_health, for alerting: which syncs breach, and why."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.report import load_health


@dataclass(frozen=True)
class Thresholds:
    min_success_rate: float = 0.9  # 7-day success rate
    max_staleness_factor: float = 2.0  # seconds since success / expected interval
    max_failing_streak: int = 3  # consecutive failed runs
    max_anomalies: int | None = None  # open anomalies (marts.sync_anomalies, last 24 h); None: unchecked


def breaches(rows: list[dict], limits: Thresholds) -> list[dict]:
    """Syncs breaching any threshold (disabled syncs never do), each with its reasons."""
    out = []
    for row in rows:
        if row["health"] == "disabled":
            continue
        reasons = []
        rate = row["success_rate_7d"]
        if rate is not None and rate < limits.min_success_rate:
            reasons.append(f"success rate 7d {rate:.1%} < {limits.min_success_rate:.1%}")
        stale, interval = row["staleness_s"], row["expected_interval_s"]
        if stale is not None and interval and stale > limits.max_staleness_factor * interval:
            what = "no success" if row["seconds_since_success"] is not None else "never succeeded"
            reasons.append(f"{what} for {stale / interval:.1f}x the expected interval")
        if row["consecutive_failures"] > limits.max_failing_streak:
            reasons.append(
                f"{row['consecutive_failures']} failed runs in a row > {limits.max_failing_streak}"
            )
        open_anomalies = row.get("open_anomalies") or 0
        if limits.max_anomalies is not None and open_anomalies > limits.max_anomalies:
            reasons.append(f"{open_anomalies} anomalies in the last 24 h > {limits.max_anomalies}")
        if reasons:
            out.append({**row, "reasons": reasons})
    return out


def check(db: object, limits: Thresholds) -> tuple[list[dict], list[dict]]:
    rows = load_health(db)
    return rows, breaches(rows, limits)

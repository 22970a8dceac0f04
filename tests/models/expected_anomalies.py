"""marts.sync_anomalies computed independently, in pandas/numpy, from runs built from the truth.

Written from the method in the README ("Anomalies") and the model header, point by point with
explicit slices of each sync's history, not from the SQL's window frames.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

WINDOW = pd.Timedelta(days=28)
MIN_POINTS = 7
PER_WEEKDAY = 4
LOG_FLOOR = 0.05  # stddev floor on the log scale
RELATIVE_FLOOR = 0.05  # linear: stddev at least this share of |mean|
MIN_RELATIVE_CHANGE = 0.2
# metric -> (label, absolute stddev floor (linear), minimum change, unit)
METRICS = {
    "rows_synced": ("rows synced", 0.0, 10.0, "runs"),
    "duration_s": ("duration (s)", 0.0, 5.0, "runs"),
    "rows_per_s": ("rows/s", 0.0, 1.0, "runs"),
    "runs_per_day": ("runs per day", 0.2, 1.0, "days"),
    "failed_record_share": ("failed-record share", 0.005, 0.01, "days"),
}
COLUMNS = [
    "vendor", "sync_id", "metric", "point", "run_id", "point_at", "value", "scale", "seasonal",
    "baseline_mean", "baseline_stddev", "baseline_n", "typical", "z_score", "direction", "sensitivity",
    "explanation",
]  # fmt: skip


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _stats(values: np.ndarray) -> tuple[float, float | None, int]:
    n = len(values)
    return float(values.mean()), (float(values.std(ddof=1)) if n > 1 else None), n


def run_points(runs: pd.DataFrame) -> list[dict]:
    """Per-run points: each succeeded run's positive value, judged on ln(value) against the same
    sync's runs that ended in the 28 UTC days before the run's day."""
    done = runs[(runs["status"] == "succeeded") & runs["ended_at"].notna()]
    out = []
    for metric in ("rows_synced", "duration_s", "rows_per_s"):
        values = pd.to_numeric(done[metric], errors="coerce").astype(float)
        points = done.assign(value=values)[values > 0]
        for (vendor, sync_id), group in points.groupby(["vendor", "sync_id"]):
            days = group["ended_at"].map(lambda t: pd.Timestamp(t).tz_convert("UTC").date()).to_numpy()
            ordinals = np.array([d.toordinal() for d in days])
            logs = np.log(group["value"].to_numpy(dtype=float))
            rows = zip(group["run_id"], group["ended_at"], group["value"], ordinals, strict=True)
            for run_id, ended, value, ordinal in rows:
                before = logs[(ordinals >= ordinal - 28) & (ordinals <= ordinal - 1)]
                if len(before) < MIN_POINTS:
                    continue
                mean, stddev, n = _stats(before)
                out.append({
                    "vendor": vendor, "sync_id": sync_id, "metric": metric, "point": run_id,
                    "run_id": run_id, "point_at": ended, "value": float(value), "scale": "log",
                    "seasonal": False, "baseline_mean": mean, "baseline_stddev": stddev, "baseline_n": n,
                })  # fmt: skip
    return out


def day_series(runs: pd.DataFrame, as_of: pd.Timestamp) -> dict[tuple[str, str, str], pd.Series]:
    """(vendor, sync, metric) -> values by UTC day: runs per day on the days strictly between the
    first and last day with an ended run (0 when none); failed-record share where defined, on
    complete days (before as_of's)."""
    ended = runs[runs["ended_at"].notna()].copy()
    ended["day"] = ended["ended_at"].map(lambda t: pd.Timestamp(t).tz_convert("UTC").date())
    series = {}
    for (vendor, sync_id), group in ended.groupby(["vendor", "sync_id"]):
        counts = group.groupby("day").size()
        first, last = min(counts.index), max(counts.index)
        days = [d.date() for d in pd.date_range(first, last)][1:-1]
        if days:
            series[(vendor, sync_id, "runs_per_day")] = pd.Series(
                [float(counts.get(d, 0)) for d in days], index=days
            )
        ok = group[
            (group["status"] == "succeeded") & group["rows_synced"].notna() & group["rows_failed"].notna()
        ]
        moved = ok.groupby("day").apply(
            lambda g: (g["rows_synced"] + g["rows_failed"]).sum(), include_groups=False
        )
        failed = ok.groupby("day")["rows_failed"].sum()
        today = as_of.tz_convert("UTC").date()
        share = {d: float(failed[d]) / float(moved[d]) for d in moved.index if moved[d] > 0 and d < today}
        if share:
            series[(vendor, sync_id, "failed_record_share")] = pd.Series(share).sort_index()
    return series


def day_points(runs: pd.DataFrame, as_of: pd.Timestamp) -> list[dict]:
    """Daily points against the 28 days before; same weekday only when every weekday has >= 4."""
    out = []
    for (vendor, sync_id, metric), values in day_series(runs, as_of).items():
        days = list(values.index)
        for day, value in values.items():
            before = [d for d in days if 1 <= (day - d).days <= 28]
            if len(before) < MIN_POINTS:
                continue
            per_weekday = [sum(1 for d in before if d.isoweekday() == w) for w in range(1, 8)]
            seasonal = min(per_weekday) >= PER_WEEKDAY
            base = [d for d in before if d.isoweekday() == day.isoweekday()] if seasonal else before
            mean, stddev, n = _stats(values[base].to_numpy(dtype=float))
            out.append({
                "vendor": vendor, "sync_id": sync_id, "metric": metric, "point": day.isoformat(),
                "run_id": None, "point_at": pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1),
                "value": float(value), "scale": "linear", "seasonal": seasonal, "baseline_mean": mean,
                "baseline_stddev": stddev, "baseline_n": n,
            })  # fmt: skip
    return out


def score(point: dict) -> tuple[float, float, float]:
    """(z, typical, stddev used) of a point with a baseline of >= 2 points."""
    mean, stddev, value = point["baseline_mean"], point["baseline_stddev"], point["value"]
    if point["scale"] == "log":
        used = max(stddev or 0.0, LOG_FLOOR)
        return (math.log(value) - mean) / used, math.exp(mean), used
    abs_floor = METRICS[point["metric"]][1]
    used = max(stddev or 0.0, RELATIVE_FLOOR * abs(mean), abs_floor)
    return (value - mean) / used, mean, used


def judge(point: dict, sensitivity: float) -> dict | None:
    """The point with its z-score and sentence when it is anomalous, else None."""
    label, _, min_change, unit = METRICS[point["metric"]]
    if point["baseline_n"] < 2:
        return None
    z, typical, used = score(point)
    value = point["value"]
    spread = f"×/÷ {math.exp(used):.2f}" if point["scale"] == "log" else f"± {used:.3g}"
    change = abs(value - typical)
    if abs(z) < sensitivity or change < MIN_RELATIVE_CHANGE * abs(typical) or change < min_change:
        return None
    kind = " same-weekday " if point["seasonal"] else " "
    n = point["baseline_n"]
    sentence = (
        f"{label} {_number(value)} vs usual {_number(typical)} {spread} over {n}{kind}{unit} (z {z:+.1f})"
    )
    return {
        **point,
        "typical": typical,
        "z_score": z,
        "direction": "spike" if z > 0 else "drop",
        "sensitivity": sensitivity,
        "explanation": sentence,
    }


def anomalies(
    runs: pd.DataFrame,
    as_of: pd.Timestamp,
    sensitivity: float = 3.0,
    overrides: dict[tuple[str, str], float] | None = None,
) -> pd.DataFrame:
    """Every anomalous point of runs ended by as_of (runs: the marts.sync_runs columns)."""
    runs = runs[runs["ended_at"].notna()]
    runs = runs[runs["ended_at"].map(lambda t: pd.Timestamp(t) <= as_of)]
    overrides = overrides or {}
    found = []
    for point in run_points(runs) + day_points(runs, as_of):
        own = overrides.get((point["vendor"], point["sync_id"]), sensitivity)
        judged = judge(point, own)
        if judged is not None:
            found.append(judged)
    return pd.DataFrame(found, columns=COLUMNS)


def all_points(runs: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Every point that gets a verdict (>= 7 points before it), flagged or not: the denominator
    of the flagged share."""
    runs = runs[runs["ended_at"].notna()]
    runs = runs[runs["ended_at"].map(lambda t: pd.Timestamp(t) <= as_of)]
    return pd.DataFrame(run_points(runs) + day_points(runs, as_of))

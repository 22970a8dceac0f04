"""The marts' metrics computed independently, in pandas, from the sandbox's truth.

Written from the metric definitions (README, "The models") and the model headers, not from the SQL:
if the two disagree, one of them misreads the contract.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from sandbox.service import Sandbox

AI_SQUARED_STATUS = {
    "pending": "queued", "queued": "queued", "started": "running", "querying": "running",
    "in_progress": "running", "paused": "running", "success": "succeeded", "failed": "failed",
    "canceled": "cancelled",
}  # fmt: skip
UNIT_S = {"minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}
ENDED = {"succeeded", "failed", "cancelled"}


def ts(value: str | None) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


def ai_squared_runs(box: Sandbox) -> pd.DataFrame:
    rows = []
    for run in box.world.ai_squared.truth_runs():
        a = run["attributes"]
        status = AI_SQUARED_STATUS.get(a["status"], "running" if a["finished_at"] is None else "failed")
        # DESIGN.md ended_at: finished_at, else (terminal status) the time the run was last updated.
        ended = a["finished_at"] or (a["updated_at"] if status in ENDED else None)
        rows.append(
            {
                "vendor": "ai_squared",
                "sync_id": str(a["sync_id"]),
                "run_id": run["id"],
                "status": status,
                "vendor_status": a["status"],
                "created_at": ts(a["created_at"]),
                "started_at": ts(a["started_at"]),
                "finished_at": ts(a["finished_at"]),
                "ended_at": ts(ended),
                "duration_s": a["duration"],
                "rows_synced": a["successful_rows"],
                "rows_failed": a["failed_rows"],
                "error_message": a["error"],
                "is_inferred": False,
            }
        )
    return pd.DataFrame(rows)


def ai_squared_syncs(box: Sandbox) -> pd.DataFrame:
    rows = []
    for sync in box.world.ai_squared.truth_syncs():
        a = sync["attributes"]
        rows.append(
            {
                "vendor": "ai_squared",
                "sync_id": sync["id"],
                "sync_name": f"{a['stream_name']}: {a['source']['name']} → {a['destination']['name']}",
                "is_disabled": a["status"] == "disabled",
                "expected_interval_s": a["sync_interval"] * UNIT_S[a["sync_interval_unit"]],
                "created_at": ts(a["created_at"]),
            }
        )
    return pd.DataFrame(rows)


def with_rows_per_s(runs: pd.DataFrame) -> pd.DataFrame:
    runs = runs.copy()
    positive = runs["duration_s"].astype(float) > 0
    runs["rows_per_s"] = np.where(
        positive, runs["rows_synced"] / runs["duration_s"].where(positive, 1), np.nan
    )
    runs.loc[~positive, "rows_per_s"] = None
    return runs


def _quantile(values: pd.Series, q: float) -> float | None:
    values = values.dropna().astype(float)
    return None if values.empty else float(np.quantile(values, q))


def _rate(frame: pd.DataFrame) -> float | None:
    succeeded, failed = (frame["status"] == "succeeded").sum(), (frame["status"] == "failed").sum()
    return None if succeeded + failed == 0 else succeeded / (succeeded + failed)


def health(
    runs: pd.DataFrame, syncs: pd.DataFrame, as_of: datetime, degraded_below: float = 0.9
) -> pd.DataFrame:
    runs = with_rows_per_s(runs)
    as_of_ts = pd.Timestamp(as_of)
    began = runs["started_at"].fillna(runs["created_at"]).fillna(runs["ended_at"])
    runs = runs.assign(began_at=began)[began <= as_of_ts]
    runs.loc[runs["ended_at"] > as_of_ts, "ended_at"] = pd.NaT
    out = []
    for sync in syncs.itertuples():
        mine = runs[(runs["vendor"] == sync.vendor) & (runs["sync_id"] == sync.sync_id)]
        finished = mine[mine["ended_at"].notna()]
        newest = mine.sort_values("began_at").iloc[-1] if len(mine) else None
        current = None
        if newest is not None:
            current = newest["status"]
            if pd.isna(newest["ended_at"]) and current != "queued":
                current = "running"
        successes = finished[finished["status"] == "succeeded"]["ended_at"]
        last_success = successes.max() if len(successes) else None
        since = None if last_success is None else (as_of_ts - last_success).total_seconds()
        age = (as_of_ts - sync.created_at).total_seconds()
        failed = finished[finished["status"] == "failed"]
        streak = len(failed if last_success is None else failed[failed["ended_at"] > last_success])
        w7 = finished[finished["ended_at"] > as_of_ts - timedelta(days=7)]
        w30 = finished[finished["ended_at"] > as_of_ts - timedelta(days=30)]
        interval = sync.expected_interval_s
        stale = bool(
            not sync.is_disabled
            and interval is not None
            and (since if since is not None else age) > 2 * interval
        )
        rate_7d = _rate(w7)
        if sync.is_disabled:
            verdict = "disabled"
        elif streak > 0:
            verdict = "failing"
        elif stale:
            verdict = "stale"
        elif rate_7d is not None and rate_7d < degraded_below:
            verdict = "degraded"
        else:
            verdict = "healthy"
        out.append(
            {
                "vendor": sync.vendor,
                "sync_id": sync.sync_id,
                "sync_name": sync.sync_name,
                "current_status": current,
                "last_run_at": None if newest is None else newest["began_at"],
                "last_success_at": last_success,
                "seconds_since_success": since,
                "staleness_s": since if since is not None else age,
                "expected_interval_s": interval,
                "is_stale": stale,
                "runs_7d": len(w7),
                "success_rate_7d": rate_7d,
                "success_rate_30d": _rate(w30),
                "duration_p50_s": _quantile(w30["duration_s"], 0.5),
                "duration_p95_s": _quantile(w30["duration_s"], 0.95),
                "rows_per_s_p50": _quantile(w30["rows_per_s"], 0.5),
                "consecutive_failures": streak,
                "health": verdict,
            }
        )
    return pd.DataFrame(out)


def daily(runs: pd.DataFrame) -> pd.DataFrame:
    runs = runs.copy()
    moment = runs["ended_at"].fillna(runs["started_at"]).fillna(runs["created_at"])
    runs["day"] = moment.dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    out = []
    for (vendor, sync_id, day), group in runs.groupby(["vendor", "sync_id", "day"]):
        out.append(
            {
                "vendor": vendor,
                "sync_id": sync_id,
                "day": day,
                "runs": len(group),
                "succeeded": int((group["status"] == "succeeded").sum()),
                "failed": int((group["status"] == "failed").sum()),
                "success_rate": _rate(group),
                "rows_synced": int(group["rows_synced"].fillna(0).sum()),
                "duration_p50_s": _quantile(group[group["ended_at"].notna()]["duration_s"], 0.5),
            }
        )
    return pd.DataFrame(out)


MASKS = (
    (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "<uuid>"),
    (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "<email>"),
    (r"'[^']*'", "'<value>'"),
    (r'"[^"]*"', '"<value>"'),
    (r"«[^»]*»", "«<value>»"),
    (r"\b[0-9a-fA-F]{8,}\b", "<id>"),
    (r"[0-9]+(\.[0-9]+)?", "<n>"),
    (r"[ \t\n\r\f\v]+", " "),
)


def fingerprint(message: str) -> str:
    for pattern, replacement in MASKS:
        message = re.sub(pattern, replacement, message, flags=re.ASCII)
    return message.strip()


NO_MESSAGE = "(no error message)"


def record_errors(records: list[dict]) -> pd.DataFrame:
    """records: failed AI Squared truth records as loaded (each under the run that had it); the
    message is the one the sandbox put in its `logs` (truth.error_message), every failed record
    counts, one without a message under NO_MESSAGE."""
    rows = [
        {
            "vendor": "ai_squared",
            "sync_id": str(r["attributes"]["sync_id"]),
            "error_fingerprint": NO_MESSAGE if message is None else fingerprint(message),
            "error": message,
            "at": ts(r["attributes"]["updated_at"]),
        }
        for r in records
        for message in [r["attributes"].get("error") or r["truth"]["error_message"]]
    ]
    # Newest last: a group's example is its last message in (time, text) order.
    frame = pd.DataFrame(rows).sort_values(["at", "error"], kind="stable")
    grouped = frame.groupby(["vendor", "sync_id", "error_fingerprint"])
    return grouped.agg(
        example_error=("error", "last"),
        failed_records=("error", "size"),
        first_seen_at=("at", "min"),
        last_seen_at=("at", "max"),
    ).reset_index()


TIMBAL_STATE = {"queued": "queued", "running": "running", "completed": "succeeded", "failed": "failed",
                "cancelled": "cancelled", "canceled": "cancelled"}  # fmt: skip


def timbal_seen_runs(polls: list[list[dict]]) -> pd.DataFrame:
    """Every run shown in any poll's recent_runs, as last seen (polls: truth_syncs() per poll)."""
    latest: dict[str, dict] = {}
    for details in polls:
        for detail in details:
            for run in detail["recent_runs"]:
                latest[run["job_id"]] = {**run, "sync_id": detail["sync"]["id"]}
    rows = []
    for run in latest.values():
        state = run["state"].lower()
        status = TIMBAL_STATE.get(state, "running" if run["finished_at"] is None else "failed")
        rows.append(
            {
                "vendor": "timbal",
                "sync_id": run["sync_id"],
                "run_id": run["job_id"],
                "status": status,
                "vendor_status": run["state"],
                "created_at": ts(run["created_at"]),
                "started_at": ts(run["started_at"]),
                "finished_at": ts(run["finished_at"]),
                "ended_at": ts(run["finished_at"]),
                "duration_s": None if run["duration_ms"] is None else run["duration_ms"] / 1000,
                "rows_synced": run["rows_emitted"],
                "rows_failed": None,
                "error_message": run["message"],
                "is_inferred": False,
            }
        )
    return pd.DataFrame(rows)


def timbal_syncs(details: list[dict]) -> pd.DataFrame:
    """The sync dimension from the latest poll's truth."""
    rows = []
    for detail in details:
        s = detail["sync"]
        name = s["name"] or f"{s['source_schema']}.{s['source_table']} → {s['dest_table']}"
        rows.append(
            {
                "vendor": "timbal",
                "sync_id": s["id"],
                "sync_name": name,
                "is_disabled": not s["enabled"],
                "expected_interval_s": s["interval_secs"],
                "created_at": ts(s["created_at"]),
            }
        )
    return pd.DataFrame(rows)


def paragon_inferred_runs(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Paragon runs by the rules of marts.sync_runs, from the change-only snapshots (each sync's
    rows in first_seen_at order): the first lastSyncedAt and every later advance are succeeded
    runs (rows = growth of syncedRecordsCount, unknown for the first); each move into ERRORED,
    a first snapshot already ERRORED included, is a failed run."""
    rows = []
    for sync_id, group in snapshots.sort_values("first_seen_at").groupby("sync_id"):
        previous = None
        for snap in group.itertuples():
            synced_at = snap.last_synced_at
            if synced_at is not None and not pd.isna(synced_at):
                before = None if previous is None else previous.last_synced_at
                if before is None or pd.isna(before) or synced_at > before:
                    growth = None
                    if previous is not None:
                        growth = snap.synced_records_count - (previous.synced_records_count or 0)
                    rows.append(
                        _paragon_run(sync_id, "cycle@", synced_at, "succeeded", snap.status, growth, None)
                    )
            if snap.status == "ERRORED" and (previous is None or previous.status != "ERRORED"):
                rows.append(_paragon_run(sync_id, "error@", snap.first_seen_at, "failed", snap.status, None,
                                         snap.reason))  # fmt: skip
            previous = snap
    return pd.DataFrame(rows)


def _paragon_run(
    sync_id: str,
    prefix: str,
    at: pd.Timestamp,
    status: str,
    vendor_status: str,
    rows: int | None,
    error: str | None,
) -> dict:
    stamp = at.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    return {
        "vendor": "paragon", "sync_id": sync_id, "run_id": prefix + stamp, "status": status,
        "vendor_status": vendor_status, "created_at": None, "started_at": None, "finished_at": at,
        "ended_at": at, "duration_s": None, "rows_synced": rows, "rows_failed": None, "error_message": error,
        "is_inferred": True,
    }  # fmt: skip


FREQUENCY_S = {
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1h": 3600,
    "6h": 21600,
    "12h": 43200,
    "24h": 86400,
}


def paragon_syncs(box: Sandbox, first_seen: pd.Timestamp) -> pd.DataFrame:
    """The sync dimension from the truth: first seen at the first poll."""
    rows = []
    for sync in box.world.paragon.truth_syncs():
        rows.append(
            {
                "vendor": "paragon",
                "sync_id": sync["id"],
                "sync_name": f"{sync['integration']} {sync['pipeline']} ({sync['user_id']})",
                "is_disabled": box.world.paragon.truth_status(sync["id"])["status"] == "DISABLED",
                "expected_interval_s": FREQUENCY_S[sync["frequency"]],
                "created_at": first_seen,
            }
        )
    return pd.DataFrame(rows)

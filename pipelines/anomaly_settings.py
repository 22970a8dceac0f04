"""Anomaly sensitivity from `[anomalies]` in .dlt/config.toml (or ANOMALIES__... variables).

    [anomalies]
    sensitivity = 3.0            # |z| at or above which a point is an anomaly
    [anomalies.syncs]            # per sync: "<vendor>/<sync_id>" = its own sensitivity
    "ai_squared/12" = 4.5        # a noisy sync: flag only larger deviations

The flag `--anomaly-sensitivity` overrides the global value; the per-sync values always apply.
"""

from __future__ import annotations

import dlt

from pipelines.models import ANOMALY_SENSITIVITY, ModelError

VENDORS = ("ai_squared", "timbal", "paragon")


def configured_sensitivity() -> float:
    """`anomalies.sensitivity`, else the built-in default (a click default callable uses it)."""
    value = dlt.config.get("anomalies.sensitivity", float)
    return ANOMALY_SENSITIVITY if value is None else value


def sensitivity_overrides(raw: object = None) -> dict[tuple[str, str], float]:
    """(vendor, sync_id) -> sensitivity from `[anomalies.syncs]`; a bad entry is a one-line
    ModelError naming the key."""
    raw = dlt.config.get("anomalies.syncs", dict) if raw is None else raw
    out: dict[tuple[str, str], float] = {}
    for key, value in (raw or {}).items():
        vendor, _, sync_id = str(key).partition("/")
        if vendor not in VENDORS or not sync_id:
            vendors = ", ".join(VENDORS)
            raise ModelError(f'anomalies.syncs: key "{key}" is not "<vendor>/<sync_id>" (vendor: {vendors})')
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ModelError(f'anomalies.syncs: "{key}" = {value!r} is not a positive number')
        out[(vendor, sync_id)] = float(value)
    return out

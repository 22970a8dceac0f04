"""Which runs of a page can be new since the cursor, told from the page as parsed, before validation.

A no-op load reads page 1 of every sync's runs and nothing else (the API's floor), and nearly all
of those runs are older than the cursor: checking and converting each one only to drop it was most
of the no-op's time (bench/RESULTS.md, 3b). Runs come newest `updated_at` first (VENDORS.md), and
the server writes every timestamp in one fixed-width form (UTC, milliseconds, `Z`), in which text
order is time order: so one string comparison per run tells an old one, with no parsing.

Only a run whose `updated_at` is in that form and before the threshold is dropped here; anything
else (another RFC 3339 form, a malformed or missing value, a row without attributes) goes on to
validation as before, which keeps it, converts it or sets it aside.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

# The server's own form: fixed width, digits where digits go, so comparing text compares times.
_SERVER_FORM = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Triage(NamedTuple):
    """A page of runs as the threshold sorts it."""

    candidates: list[Any]  # resources that may be at or after the threshold: validated and kept
    ends_older: bool  # the page's last run is before the threshold: no later page holds a newer one


def threshold_text(threshold_ms: int | None) -> str | None:
    """`threshold_ms` in the server's timestamp form; None for no threshold (a first load) or one
    outside years 1-9999, which the form cannot hold (then nothing is dropped before validation)."""
    if threshold_ms is None:
        return None
    try:
        moment = _EPOCH + timedelta(milliseconds=threshold_ms)
    except OverflowError:
        return None
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:"
        f"{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )


def triage(page: list[Any], threshold: str | None) -> Triage:
    """The page's runs that validation must see, and whether the page reaches below the threshold.

    `threshold` is `threshold_text`'s: None keeps every run (and never reaches below it)."""
    if threshold is None:
        return Triage(list(page), False)
    candidates = [resource for resource in page if not _older(resource, threshold)]
    return Triage(candidates, bool(page) and _older(page[-1], threshold))


def _older(resource: Any, threshold: str) -> bool:
    """True only when the run's raw `updated_at` is in the server's form and before `threshold`."""
    attributes = resource.get("attributes") if isinstance(resource, dict) else None
    value = attributes.get("updated_at") if isinstance(attributes, dict) else None
    # The comparison first: it is cheap and false for every run worth keeping.
    return isinstance(value, str) and value < threshold and _SERVER_FORM.fullmatch(value) is not None

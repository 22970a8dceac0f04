"""How long to wait before asking again: the vendor's `Retry-After`, else full-jitter backoff."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .errors import RetryableStatus, VendorError

RETRY_STATUSES = {429, 500, 502, 503, 504}


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries in all, the first included; 429s do not count
    backoff_s: float = 0.5  # first backoff ceiling; doubles each retry
    max_backoff_s: float = 30.0
    max_retry_after_s: float = 300.0  # a longer Retry-After fails now instead of hanging a schedule
    rate_limit_wait_s: float = 900.0  # total wait for 429s one request may spend before failing


def told_to_wait(exc: BaseException, policy: RetryPolicy, vendor: str) -> float | None:
    """Retry-After in seconds, if the answer gave one; VendorError if it is unreasonably long."""
    if not isinstance(exc, RetryableStatus):
        return None
    try:
        told = max(0.0, float(exc.response.headers.get("retry-after", "")))
    except ValueError:
        return None
    if told > policy.max_retry_after_s:
        raise VendorError(vendor, f"asked to wait {told:.0f}s (Retry-After); giving up")
    return told + random.uniform(0, 0.1)


def backoff(policy: RetryPolicy, failures: int) -> float:
    """Full jitter under a ceiling that doubles with each failure."""
    ceiling = min(policy.max_backoff_s, policy.backoff_s * 2 ** (failures - 1))
    return random.uniform(0, ceiling)

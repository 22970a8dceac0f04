"""The one HTTP layer of every vendor source.

* client.py: `VendorClient` (retries, shared 429 handling, deadlines, errors naming settings);
* origin.py: requests, redirects, links and logins only to the configured origin;
* body.py: bodies streamed and decompressed under a size cap;
* deadline.py: per-request and per-run deadlines (`set_deadline`);
* ratelimit.py: one rate gate per vendor, shared by its workers;
* retry.py: `RetryPolicy`, Retry-After and backoff;
* pager.py: `paginate`, the pager every vendor's listing goes through;
* auth.py: bearer tokens, and tokens renewed by a login through the client.
"""

from __future__ import annotations

from .auth import BearerAuth, RenewableAuth
from .body import DEFAULT_MAX_BODY_BYTES
from .client import DEFAULT_MAX_PAGES, VendorClient
from .deadline import run_deadline, set_deadline
from .errors import (
    AuthError,
    BadRequest,
    BodyTooLarge,
    ConfigError,
    DeadlineExceeded,
    ForeignOrigin,
    NotFound,
    RetryableStatus,
    VendorError,
)
from .pager import JSONAPI, Page, PageLinks, paginate
from .retry import RETRY_STATUSES, RetryPolicy
from .stats import HttpStats, close_clients, stats_for

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_PAGES",
    "JSONAPI",
    "RETRY_STATUSES",
    "AuthError",
    "BadRequest",
    "BearerAuth",
    "BodyTooLarge",
    "ConfigError",
    "DeadlineExceeded",
    "ForeignOrigin",
    "HttpStats",
    "NotFound",
    "Page",
    "PageLinks",
    "RenewableAuth",
    "RetryPolicy",
    "RetryableStatus",
    "VendorClient",
    "VendorError",
    "close_clients",
    "paginate",
    "run_deadline",
    "set_deadline",
    "stats_for",
]
